"""share() and receive(): the whole release, end to end, on both backends."""

from __future__ import annotations

import json

import pandas as pd

from govshare.exchange import Release, read_releases
from tests.exchange.conftest import CASE, PRINCIPAL, PURPOSE, Pair
from tests.exchange.share_helpers import counts, residents, token


def test_share_then_receive(pair: Pair) -> None:
    """A release keeps only lawful rows and granted columns, pseudonymised, and verifies on receipt."""
    agreement = pair.agreement()
    people = residents(pair)
    before = counts(pair.provider)
    release = pair.provider.share(
        people.frame, agreement=agreement, token=token(pair, agreement), subject_column="id_number"
    )
    manifest = release.manifest_unverified
    assert manifest.rows_in == len(people.frame)
    assert manifest.rows_kept == len(people.consented) + len(people.minors)
    assert manifest.excluded == {
        "invalid-subject": 1,
        "missing-subject": 1,
        "no-record": len(people.without),
        "withdrawn": len(people.withdrawn),
    }
    assert manifest.kept_by_basis == {"allowed": manifest.rows_kept}
    assert [c.name for c in manifest.columns] == ["id_number", "income"]
    assert manifest.columns[0].treatment == "pseudonymise"
    assert (manifest.columns[0].domain, manifest.columns[0].key_version) == ("hrss", 1)
    assert manifest.columns_dropped == 2
    assert (manifest.purpose, manifest.case_ref, manifest.principal) == (PURPOSE, CASE, PRINCIPAL)
    after = counts(pair.provider)
    # token.accepted + release.shared, in one transaction with the use and the counters
    assert after == before | {
        "uses": before["uses"] + 1,
        "releases": 1,
        "agreement_releases": 1,
        "agreement_rows": manifest.rows_kept,
        "audit": before["audit"] + 2,
    }
    event = pair.provider.audit.get(manifest.audit.index).event
    assert event.type == "release.shared"
    assert event.data["release_id"] == manifest.release_id
    frame = release.frame
    assert not frame["id_number"].isin(people.frame["id_number"].dropna()).any()
    assert frame["id_number"].str.startswith("ap1.").all()
    assert sorted(frame["income"]) == sorted(
        people.frame.loc[people.frame["id_number"].isin(people.consented + people.minors), "income"]
    )
    received_frame, received = pair.requester.receive(release)
    assert received == manifest
    pd.testing.assert_frame_equal(received_frame, frame)
    (sent,) = pair.provider.releases.list()
    (got,) = read_releases(pair.requester.store)
    assert (sent.side, got.side) == ("provider", "requester")
    assert sent.content_sha256 == got.content_sha256 == manifest.content_sha256
    assert (got.rows, got.token_jti, got.purpose) == (
        manifest.rows_kept,
        manifest.token_jti,
        PURPOSE,
    )
    last = pair.requester.audit.tail(1)[0].event
    assert (last.type, last.data["duplicate"]) == ("release.received", False)


def test_saved_release_round_trip(pair: Pair, tmp_path: object) -> None:
    """A release saved to a folder loads back byte for byte and verifies."""
    from pathlib import Path

    agreement = pair.agreement()
    people = residents(pair)
    release = pair.provider.share(
        people.frame, agreement=agreement, token=token(pair, agreement), subject_column="id_number"
    )
    out = release.save(Path(str(tmp_path)) / "out")
    assert sorted(p.name for p in out.iterdir()) == ["data.parquet", "manifest.json"]
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".partial")]
    loaded = Release.load(out)
    assert (loaded.data, loaded.manifest_text) == (release.data, release.manifest_text)
    assert json.loads(loaded.manifest_text)["type"] == "release-manifest"
    frame, manifest = pair.requester.receive(loaded)
    assert len(frame) == manifest.rows_kept


def test_duplicate_receipt_is_flagged_not_counted(pair: Pair) -> None:
    """The same release received twice is recorded and flagged, and counted once."""
    agreement = pair.agreement()
    release = pair.provider.share(
        residents(pair).frame, agreement=agreement, token=token(pair, agreement),
        subject_column="id_number",
    )  # fmt: skip
    first = pair.requester.receive(release)
    again = pair.requester.receive(release)
    assert (first.duplicate, again.duplicate) == (False, True)
    (record,) = pair.requester.releases.list()
    assert record.duplicates == 1
    assert pair.requester.audit.get(again.audit_index).event.data["duplicate"] is True
