"""Bad input to share() and receive(): typed errors, nothing released or accepted, one event each."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from govshare import Workspace
from govshare.exceptions import (
    AgreementInactive,
    AgreementLimitReached,
    AgreementMismatch,
    AudienceMismatch,
    DocumentMismatch,
    DocumentSignatureInvalid,
    InputError,
    ReleaseTampered,
    TokenReplayed,
    UntrustedSigner,
)
from govshare.exchange import Release, ReleaseManifest
from govshare.testing import temporary_workspace
from tests.exchange.conftest import PURPOSE, Pair
from tests.exchange.share_helpers import Residents, counts, residents, token


def _raw_ids(people: Residents) -> list[str]:
    return [v for v in people.frame["id_number"].dropna() if v]


def refused(
    ws: Workspace, action: Callable[[], object], error: type[Exception], raw: list[str]
) -> Any:
    """Run *action*; expect *error*, nothing charged or stored but one audit event, and no raw
    ID in the message or the event. Returns the event."""
    before = counts(ws)
    with pytest.raises(error) as info:
        action()
    assert counts(ws) == before | {"audit": before["audit"] + 1}
    (last,) = ws.audit.tail(1)
    text = str(info.value) + json.dumps(last.event.data, ensure_ascii=False)
    assert not [r for r in raw if r in text]
    assert last.event.data["reason"] == type(info.value).__name__
    return last.event


def _share(pair: Pair, people: Residents, agreement: str, tok: str, **kw: Any) -> Release:
    frame = kw.pop("frame", people.frame)
    return pair.provider.share(frame, agreement=agreement, token=tok, subject_column="id_number")


def test_token_for_another_agreement(pair: Pair) -> None:
    """A token bound to another agreement is refused: one token.refused, nothing charged."""
    first, second = pair.agreement(), pair.agreement()
    people = residents(pair)
    event = refused(
        pair.provider,
        lambda: _share(pair, people, first, token(pair, second)),
        AgreementMismatch,
        _raw_ids(people),
    )
    assert event.type == "token.refused"


def test_token_for_another_recipient(pair: Pair) -> None:
    """A token addressed to another department is refused."""
    agreement = pair.agreement()
    people = residents(pair)
    other = pair.requester.tokens.issue(
        audience="health", purpose=PURPOSE, categories=["income"], ttl=timedelta(hours=1)
    )
    refused(
        pair.provider,
        lambda: _share(pair, people, agreement, other),
        AudienceMismatch,
        _raw_ids(people),
    )


def test_suspended_agreement(pair: Pair) -> None:
    """No release under a suspended agreement."""
    agreement = pair.agreement()
    people = residents(pair)
    tok = token(pair, agreement)
    pair.provider.agreements.suspend(agreement, reason="核查中")
    refused(
        pair.provider,
        lambda: _share(pair, people, agreement, tok),
        AgreementInactive,
        _raw_ids(people),
    )


def test_expired_agreement(pair: Pair) -> None:
    """No release once the agreement has expired, even with a token still in its lifetime."""
    agreement = pair.agreement(expires_at=pair.clock.now() + timedelta(hours=2))
    people = residents(pair)
    tok = token(pair, agreement, ttl=timedelta(hours=1))
    pair.clock.advance(hours=3)
    event = refused(
        pair.provider,
        lambda: _share(pair, people, agreement, tok),
        Exception,
        _raw_ids(people),
    )
    assert event.data["reason"] in {"AgreementInactive", "TokenExpired"}


def test_release_limit(pair: Pair) -> None:
    """A release past max_releases is refused and charges nothing."""
    agreement = pair.agreement(limits={"max_releases": 1})
    people = residents(pair)
    _share(pair, people, agreement, token(pair, agreement))
    event = refused(
        pair.provider,
        lambda: _share(pair, people, agreement, token(pair, agreement)),
        AgreementLimitReached,
        _raw_ids(people),
    )
    assert event.type == "release.refused"


def test_row_limit(pair: Pair) -> None:
    """A release whose rows would pass max_rows is refused whole (no partial release)."""
    agreement = pair.agreement(limits={"max_rows": 3})
    people = residents(pair)
    refused(
        pair.provider,
        lambda: _share(pair, people, agreement, token(pair, agreement)),
        AgreementLimitReached,
        _raw_ids(people),
    )


def test_used_up_token(pair: Pair) -> None:
    """A single-use token releases once; the second use is refused."""
    agreement = pair.agreement()
    people = residents(pair)
    tok = token(pair, agreement, max_uses=1)
    _share(pair, people, agreement, tok)
    refused(
        pair.provider,
        lambda: _share(pair, people, agreement, tok),
        TokenReplayed,
        _raw_ids(people),
    )


def test_granted_column_missing_from_frame(pair: Pair) -> None:
    """An agreement granting a column the frame lacks is refused, not silently narrowed."""
    agreement = pair.agreement()
    people = residents(pair)
    frame = people.frame.drop(columns=["income"])
    refused(
        pair.provider,
        lambda: _share(pair, people, agreement, token(pair, agreement), frame=frame),
        InputError,
        _raw_ids(people),
    )


def test_missing_subject_column(pair: Pair) -> None:
    """A subject column that is not in the frame is refused."""
    agreement = pair.agreement()
    people = residents(pair)
    tok = token(pair, agreement)
    refused(
        pair.provider,
        lambda: pair.provider.share(
            people.frame, agreement=agreement, token=tok, subject_column="no_such"
        ),
        InputError,
        _raw_ids(people),
    )


def test_invalid_and_missing_ids_are_never_released(pair: Pair) -> None:
    """Malformed and empty IDs are excluded and counted; no raw ID reaches the log."""
    agreement = pair.agreement()
    people = residents(pair)
    frame = people.frame.copy()
    frame.loc[0, "id_number"] = ""
    frame.loc[1, "id_number"] = people.consented[1][:-1] + "?"
    release = _share(pair, people, agreement, token(pair, agreement), frame=frame)
    manifest = release.manifest_unverified
    assert manifest.excluded["missing-subject"] == 2
    assert manifest.excluded["invalid-subject"] == 2
    assert manifest.rows_kept == len(people.consented) + len(people.minors) - 2
    log = json.dumps([r.event.data for r in pair.provider.audit.tail(50)], ensure_ascii=False)
    assert not [r for r in _raw_ids(people) if r in log or r in release.manifest_text]


# -- receive ---------------------------------------------------------------------------------


@pytest.fixture
def saved(pair: Pair, tmp_path: Path) -> tuple[Path, Residents]:
    """A release under a fresh agreement, saved to a folder."""
    agreement = pair.agreement()
    people = residents(pair)
    release = _share(pair, people, agreement, token(pair, agreement))
    return release.save(tmp_path / "release"), people


def _receive_refused(pair: Pair, folder: Path, error: type[Exception], people: Residents) -> None:
    event = refused(
        pair.requester, lambda: pair.requester.receive(Release.load(folder)), error,
        _raw_ids(people),
    )  # fmt: skip
    assert event.type == "document.refused"
    assert pair.requester.releases.list() == []


def test_tampered_data_file(pair: Pair, saved: tuple[Path, Residents]) -> None:
    """One flipped byte of data.parquet is caught by the content hash."""
    folder, people = saved
    data = bytearray((folder / "data.parquet").read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / "data.parquet").write_bytes(bytes(data))
    _receive_refused(pair, folder, ReleaseTampered, people)


def test_truncated_data_file(pair: Pair, saved: tuple[Path, Residents]) -> None:
    """A truncated data file is refused."""
    folder, people = saved
    data = (folder / "data.parquet").read_bytes()
    (folder / "data.parquet").write_bytes(data[:-10])
    _receive_refused(pair, folder, ReleaseTampered, people)


def test_tampered_manifest(pair: Pair, saved: tuple[Path, Residents]) -> None:
    """A manifest edited after signing (more rows, fewer exclusions) fails its signature."""
    folder, people = saved
    doc = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    doc["payload"]["excluded"] = {}
    (folder / "manifest.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    _receive_refused(pair, folder, DocumentSignatureInvalid, people)


def _resigned(pair: Pair, folder: Path, **changes: Any) -> Release:
    """The saved release with its manifest changed and signed again by the provider itself."""
    release = Release.load(folder)
    manifest = release.manifest_unverified
    audit = manifest.audit.model_copy(update=changes)
    payload = ReleaseManifest.model_validate({**manifest.model_dump(), "audit": audit.model_dump()})
    documents = pair.provider._documents()
    _, text = documents.prepare("release-manifest", payload, audience="hrss", now=pair.clock.now())
    return Release(text, release.data)


def test_checkpoint_of_another_log(pair: Pair, saved: tuple[Path, Residents]) -> None:
    """A checkpoint signed by another log's key is refused even in a validly signed manifest."""
    folder, _ = saved
    forged = pair.requester.audit.checkpoint().text
    release = _resigned(pair, folder, checkpoint=forged)
    refused(pair.requester, lambda: pair.requester.receive(release), ReleaseTampered, [])


def test_checkpoint_before_the_release(pair: Pair, saved: tuple[Path, Residents]) -> None:
    """A checkpoint that does not cover the release's event is refused."""
    folder, _ = saved
    release = Release.load(folder)
    index = release.manifest_unverified.audit.index
    early = _resigned(pair, folder, index=index + 10**6)
    refused(pair.requester, lambda: pair.requester.receive(early), ReleaseTampered, [])


def test_untrusted_department(pair: Pair, saved: tuple[Path, Residents], tmp_path: Path) -> None:
    """A store that does not trust the provider refuses its release."""
    folder, people = saved
    stranger = temporary_workspace(tmp_path / "other-hrss", department="hrss", clock=pair.clock)
    try:
        event = refused(
            stranger, lambda: stranger.receive(Release.load(folder)), UntrustedSigner,
            _raw_ids(people),
        )  # fmt: skip
        assert event.type == "document.refused"
    finally:
        stranger.close()


def test_agreement_never_countersigned_here(
    pair: Pair, saved: tuple[Path, Residents], tmp_path: Path
) -> None:
    """A trusting store that never countersigned the agreement refuses the release."""
    folder, people = saved
    other = temporary_workspace(tmp_path / "hrss-2", department="hrss", clock=pair.clock)
    try:
        other.tokens.trust(pair.provider.keys.export_public())
        refused(
            other, lambda: other.receive(Release.load(folder)), DocumentMismatch,
            _raw_ids(people),
        )  # fmt: skip
    finally:
        other.close()


def test_terminated_agreement_refuses_receipt(pair: Pair, saved: tuple[Path, Residents]) -> None:
    """A release under an agreement the requester has since terminated is not accepted."""
    folder, people = saved
    agreement = Release.load(folder).manifest_unverified.agreement_id
    pair.requester.agreements.terminate(agreement, reason="不再需要")
    _receive_refused(pair, folder, DocumentMismatch, people)


def test_save_never_overwrites(pair: Pair, saved: tuple[Path, Residents]) -> None:
    """Saving onto an existing release is refused and leaves it intact."""
    folder, _ = saved
    before = (folder / "manifest.json").read_bytes()
    with pytest.raises(InputError):
        Release.load(folder).save(folder)
    assert (folder / "manifest.json").read_bytes() == before


def test_load_needs_both_files(saved: tuple[Path, Residents]) -> None:
    """A folder without its manifest is not a release."""
    folder, _ = saved
    (folder / "manifest.json").unlink()
    with pytest.raises(InputError):
        Release.load(folder)
