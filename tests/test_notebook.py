"""Notebook front door: the accessor after a bare `import govshare`, and HTML cards of records."""

from __future__ import annotations

import base64
import html
import re
import subprocess
import sys
from datetime import UTC, datetime

import pandas as pd
import pytest

from govshare import Workspace
from govshare._html import card
from govshare.identifiers import validate_identifiers
from tests.consent.conftest import resident_id

_ORDERS = {
    "govshare first": "import govshare\nimport pandas as pd\n",
    "pandas first": "import pandas as pd\nimport govshare\n",
}


@pytest.mark.parametrize("order", sorted(_ORDERS))
def test_accessor_exists_after_import_govshare_in_either_order(order: str) -> None:
    """`import govshare` alone makes df.govshare exist, whether pandas is imported before or after."""
    code = (
        _ORDERS[order]
        + "import sys\n"
        + "assert 'govshare.pandas' in sys.modules\n"
        + "acc = pd.DataFrame({'a': [1]}).govshare\n"
        + "print(type(acc).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "GovShareAccessor"


def test_import_govshare_alone_does_not_import_pandas() -> None:
    """The hook registers the accessor without `import govshare` importing pandas itself."""
    code = "import sys, govshare\nprint('pandas' in sys.modules)\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def _text(page: str) -> str:
    """The visible text of an HTML fragment, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_card_escapes_and_refuses_bytes() -> None:
    """A card escapes markup in every value and refuses raw bytes outright."""
    page = card("<b>title</b>", [("name", "<script>alert(1)</script>")])
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "<b>title</b>" not in page
    with pytest.raises(TypeError, match="raw bytes"):
        card("t", [("hash", b"\x00\x01")])


def test_consent_record_card_has_no_raw_identifier(sqlite_workspace: Workspace) -> None:
    """A consent record's card names its terms and shows only a shortened registry pseudonym."""
    subject = resident_id(7)
    record = sqlite_workspace.consents.grant(
        subject,
        recipient="hrss",
        purposes=["subsidy-eligibility"],
        categories=["income"],
        expires_at=datetime(2027, 1, 1, tzinfo=UTC),
    )
    page = record._repr_html_()
    text = _text(page)
    assert record.record_id in text
    assert "subsidy-eligibility" in text
    assert "hrss" in text
    assert subject not in page
    assert record.subject not in page  # shortened
    assert record.subject[:10] + "…" in text


def test_filter_result_card_counts_without_rows(sqlite_workspace: Workspace) -> None:
    """A filter result's card gives counts by reason and the frame's shape, never its rows."""
    ids = [resident_id(n) for n in range(3)]
    sqlite_workspace.consents.grant(
        ids[0], recipient="hrss", purposes=["subsidy-eligibility"], categories=["income"]
    )
    frame = pd.DataFrame({"id_number": [*ids, "not-an-id"], "income": [1, 2, 3, 4]})
    result = sqlite_workspace.consents.filter(
        frame,
        subject_column="id_number",
        recipient="hrss",
        purpose="subsidy-eligibility",
        categories=["income"],
    )
    page = result._repr_html_()
    text = _text(page)
    assert "1 of 4 rows kept" in text
    assert "no-record" in text
    assert "invalid-subject" in text
    assert "1 rows, 2 columns" in text
    assert all(i not in page for i in ids)
    assert "not-an-id" not in page
    assert "1 of 4 rows kept" in _text(result.report._repr_html_())


def test_validation_report_card_lists_positions_not_values() -> None:
    """A validation report's card shows counts, reasons and row positions, never the values."""
    bad = "11010119900307123Y"
    report = validate_identifiers(pd.Series([resident_id(1), bad, None] + [bad] * 30))
    page = report._repr_html_()
    text = _text(page)
    assert "31 invalid" in text
    assert "characters" in text
    assert "1, 3, 4" in text
    assert "and 11 more" in text
    assert bad not in page
    assert resident_id(1) not in page


def test_audit_cards_show_hashes_in_base64(sqlite_workspace: Workspace) -> None:
    """Verify reports, proofs and checkpoints render hashes as base64 and never as raw bytes."""
    log = sqlite_workspace.audit
    for n in range(5):
        log.record("dataset.registered", {"dataset": f"d{n}"})
    checkpoint = log.checkpoint()
    report = log.verify()
    proof = log.inclusion_proof(2)
    consistency = log.consistency_proof(2)
    root = base64.b64encode(report.root).decode()
    assert root in _text(report._repr_html_())
    assert "verified" in _text(report._repr_html_())
    inclusion_text = _text(proof._repr_html_())
    assert base64.b64encode(proof.leaf_hash).decode() in inclusion_text
    assert all(base64.b64encode(h).decode() in inclusion_text for h in proof.proof)
    assert "unverified" in inclusion_text
    assert base64.b64encode(consistency.root1).decode() in _text(consistency._repr_html_())
    assert root in _text(checkpoint._repr_html_())
    for shown in (repr(report), repr(proof), repr(consistency), repr(checkpoint)):
        # No bytes literal (b'…'); a hex origin that happens to end in "b" before a quote is fine.
        assert not re.search(r"(?<![0-9A-Za-z])b['\"]", shown), shown
        assert "\\x" not in shown
    assert root in repr(report)
    assert root in repr(checkpoint)


def test_card_of_empty_proof_says_so(sqlite_workspace: Workspace) -> None:
    """The proof of the only leaf of a one-leaf tree renders an explicit empty path."""
    sqlite_workspace.audit.record("dataset.registered", {"dataset": "d"})
    proof = sqlite_workspace.audit.inclusion_proof(0, 1)
    assert "none (a one-leaf tree)" in _text(proof._repr_html_())
