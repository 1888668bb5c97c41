"""Front doors: df.govshare comes from govshare.pandas, predictable noise only from testing."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from govshare.testing import PredictableNoiseWarning, deterministic_noise


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_import_govshare_is_enough_for_the_accessor() -> None:
    """df.govshare exists after `import govshare`, whether pandas is imported before or after."""
    after = "import govshare, pandas as pd; print(hasattr(pd.DataFrame(), 'govshare'))"
    before = "import pandas as pd, govshare; print(hasattr(pd.DataFrame(), 'govshare'))"
    assert _run(after) == "True"
    assert _run(before) == "True"


def test_accessor_builds_a_query_on_the_frame() -> None:
    """df.govshare.dp(...) is a Query over the same frame."""
    from govshare.dp import MemoryLedger, Query

    frame = pd.DataFrame({"p": ["a", "b"], "x": [1, 2]})
    q = frame.govshare.dp(privacy_unit="p", dataset="d", ledger=MemoryLedger(), requester="analyst")
    assert isinstance(q, Query)


def test_deterministic_noise_warns_every_time() -> None:
    """Each use of deterministic_noise warns that the releases inside are not private."""
    with pytest.warns(PredictableNoiseWarning, match="not private"), deterministic_noise(1):
        pass
    with pytest.warns(PredictableNoiseWarning), deterministic_noise(2):
        pass
