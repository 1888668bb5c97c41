"""Workspace pseudonymisers on both backends: rotation, retirement and audited re-identification."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govshare import Workspace
from govshare.exceptions import InputError, IntegrityError, KeyNotFound
from govshare.pseudonym import ROOT_KEY, Pseudonymiser
from tests.identifiers._ids import valid_ids

IDS = valid_ids(100, seed=5)


def test_root_key_is_created_once(workspace: Workspace) -> None:
    """The first pseudonymiser creates the root key; later ones reuse it (same pseudonyms)."""
    first = workspace.pseudonymiser(domain="hrss").pseudonymise(IDS)
    assert [i.version for i in workspace.keys.key_infos() if i.name == ROOT_KEY] == [1]
    assert workspace.pseudonymiser(domain="hrss").pseudonymise(IDS).tolist() == first.tolist()


@pytest.mark.parametrize("scheme", ["aes-prp", "sm4-prp", "aes-siv"])
def test_reidentify_round_trip_is_audited(workspace: Workspace, scheme: str) -> None:
    """reidentify returns the normalised IDs and records who, why and how many, not the values."""
    ps = workspace.pseudonymiser(domain="hrss", scheme=scheme)  # type: ignore[arg-type]
    series = pd.concat([IDS, pd.Series([None])], ignore_index=True)
    pseudonyms = ps.pseudonymise(series)
    size = workspace.audit.size()
    back = ps.reidentify(pseudonyms, reason="fraud case 2026-17", actor="inspector-li")
    assert back.iloc[:-1].tolist() == IDS.tolist()
    assert pd.isna(back.iloc[-1])
    assert workspace.audit.size() == size + 1
    event = workspace.audit.tail(1)[0].event
    assert event.type == "pseudonym.reidentified"
    assert event.actor == "inspector-li"
    assert event.data == {
        "domain": "hrss",
        "scheme": scheme,
        "kind": "resident_id",
        "count": 100,
        "key_versions": [1],
        "reason": "fraud case 2026-17",
    }
    assert IDS.iloc[0] not in event.model_dump_json()


def test_rotation_keeps_old_pseudonyms_readable_until_retired(workspace: Workspace) -> None:
    """After rotation new pseudonyms name v2, old v1 ones still reidentify, and retiring v1 refuses them."""
    old = workspace.pseudonymiser(domain="hrss").pseudonymise(IDS)
    workspace.keys.rotate(ROOT_KEY)
    ps = workspace.pseudonymiser(domain="hrss")
    new = ps.pseudonymise(IDS)
    assert new.str.startswith("ap2.").all()
    assert old.str.startswith("ap1.").all()
    assert not set(new) & set(old)
    mixed = pd.concat([old, new], ignore_index=True)
    assert ps.reidentify(mixed, reason="merge").tolist() == IDS.tolist() * 2
    assert workspace.audit.tail(1)[0].event.data["key_versions"] == [1, 2]
    workspace.keys.retire(ROOT_KEY, 1)
    size = workspace.audit.size()
    with pytest.raises(KeyNotFound):
        ps.reidentify(old, reason="too late")
    assert workspace.audit.size() == size


def test_retired_version_is_refused_for_new_pseudonyms(workspace: Workspace) -> None:
    """A pseudonymiser whose key version was retired refuses to make new pseudonyms."""
    ps = workspace.pseudonymiser(domain="hrss")
    workspace.keys.rotate(ROOT_KEY)
    workspace.keys.retire(ROOT_KEY, 1)
    with pytest.raises(KeyNotFound):
        ps.pseudonymise(IDS)
    assert workspace.pseudonymiser(domain="hrss").version == 2


def test_reidentify_refusals(workspace: Workspace) -> None:
    """One-way schemes, missing reasons, foreign domains and altered values are refused unrecorded."""
    size = workspace.audit.size()
    ps = workspace.pseudonymiser(domain="hrss")
    pseudonyms = ps.pseudonymise(IDS)
    with pytest.raises(InputError):
        workspace.pseudonymiser(domain="hrss", scheme="hmac-sha256").reidentify(
            pseudonyms, reason="x"
        )
    with pytest.raises(InputError):
        ps.reidentify(pseudonyms, reason=" ")
    with pytest.raises(IntegrityError):
        workspace.pseudonymiser(domain="health").reidentify(pseudonyms, reason="x")
    with pytest.raises(InputError):
        ps.reidentify(pd.Series(["sp1." + "0" * 32]), reason="x")
    altered = pseudonyms.str.slice(0, 10) + "0" * 26
    with pytest.raises(IntegrityError):
        ps.reidentify(altered, reason="x")
    with pytest.raises(InputError):
        ps.reidentify(pseudonyms, reason="subject 11010519491231002X")  # the log refuses raw IDs
    assert workspace.audit.size() == size


def test_standalone_reidentify_needs_an_audit_log(workspace: Workspace) -> None:
    """Without audit= a standalone pseudonymiser cannot re-identify."""
    from govshare.crypto import SecretKey

    ps = Pseudonymiser(SecretKey.generate(), domain="hrss")
    with pytest.raises(InputError):
        ps.reidentify(ps.pseudonymise(IDS), reason="x")
    bound = Pseudonymiser(SecretKey.generate(), domain="hrss", audit=workspace.audit)
    assert bound.reidentify(bound.pseudonymise(IDS), reason="x").tolist() == IDS.tolist()


@given(st.lists(st.sampled_from(IDS.tolist()), min_size=1, max_size=10), st.integers(1, 3))
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_rotation_round_trip_property(
    sqlite_workspace: Workspace, values: list[str], rotations: int
) -> None:
    """After any number of rotations, pseudonyms of every active version reidentify to the input."""
    series = pd.Series(values, dtype="str")
    made = []
    for _ in range(rotations):
        made.append(sqlite_workspace.pseudonymiser(domain="hrss").pseudonymise(series))
        sqlite_workspace.keys.rotate(ROOT_KEY)
    ps = sqlite_workspace.pseudonymiser(domain="hrss")
    for pseudonyms in made:
        assert ps.reidentify(pseudonyms, reason="property").tolist() == values


def test_root_key_export_needs_secret_access(workspace: Workspace) -> None:
    """The raw root key leaves only through govshare.hazmat with SECRET_ACCESS."""
    from govshare.hazmat import SECRET_ACCESS, export_pseudonym_root_key

    workspace.pseudonymiser(domain="hrss")
    with pytest.raises(PermissionError):
        export_pseudonym_root_key(workspace.keys, object())  # type: ignore[arg-type]
    raw = export_pseudonym_root_key(workspace.keys, SECRET_ACCESS, version=1)
    assert len(raw) == 32
    assert raw.hex() not in repr(workspace.pseudonymiser(domain="hrss"))
