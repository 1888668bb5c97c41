"""govshare.spark as a front door: optional, lazily imported, and clear when PySpark is missing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from govshare.exceptions import FeatureNotEnabled
from govshare.spark import _session

pytestmark = pytest.mark.spark


def test_import_govshare_never_imports_pyspark() -> None:
    """`import govshare` (and its capabilities) loads neither govshare.spark nor PySpark."""
    code = (
        "import sys, govshare, govshare.pseudonym, govshare.consent, govshare.dp; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyspark' "
        "or m.startswith('govshare.spark')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_or_old_pyspark_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without PySpark, or with one older than 4.1, the error says pip install 'govshare[spark]'."""
    monkeypatch.setattr(_session, "version", lambda name: "3.5.4")
    with pytest.raises(FeatureNotEnabled, match=r"pip install 'govshare\[spark\]'"):
        _session.require_pyspark()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FeatureNotEnabled, match=r"PySpark 4\.1 or newer"):
        _session.require_pyspark()
