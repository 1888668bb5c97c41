"""Registry pseudonyms: same person same pseudonym, invalid IDs refused, nothing raw kept in memory."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from govshare import Workspace
from govshare.consent import SubjectPseudonyms
from govshare.crypto import SecretKey
from govshare.exceptions import InputError
from govshare.pseudonym import Pseudonymiser
from tests.consent.conftest import resident_id


@pytest.fixture
def subjects() -> SubjectPseudonyms:
    """A standalone registry pseudonymiser on a fresh key."""
    return SubjectPseudonyms(Pseudonymiser(SecretKey.generate(), domain="consent-registry"))


def test_one_and_many_agree_and_normalise(subjects: SubjectPseudonyms) -> None:
    """one() and many() give the same pseudonym, also for a full-width or lower-case spelling."""
    raw = resident_id(5)
    full_width = {ord(d): 0xFF10 + int(d) for d in "0123456789"}
    spelled = " " + raw.translate(full_width) + " "
    names = subjects.many(pd.Series([raw, spelled, "junk", None], dtype=object))
    assert names.iloc[0] == names.iloc[1] == subjects.one(raw) == subjects.one(spelled)
    assert names.iloc[2:].isna().all()


def test_invalid_id_refused_without_echo(subjects: SubjectPseudonyms) -> None:
    """one() refuses an invalid ID or a non-string without repeating it."""
    bad = resident_id(5)[:-1] + "Y"
    with pytest.raises(InputError) as info:
        subjects.one(bad)
    assert bad not in str(info.value)
    with pytest.raises(InputError):
        subjects.one(12345)  # type: ignore[arg-type]


def test_cache_holds_no_raw_identifier_and_no_pickle(subjects: SubjectPseudonyms) -> None:
    """The per-process cache is keyed by keyed digests, and the object refuses to be pickled."""
    raw = resident_id(6)
    subjects.one(raw)
    assert all(raw.encode() not in key for key in subjects._cache)
    assert raw not in repr(subjects)
    with pytest.raises(TypeError):
        pickle.dumps(subjects)


def test_workspace_registry_is_built_once(sqlite_workspace: Workspace) -> None:
    """ws.consents returns the same registry object on every access."""
    assert sqlite_workspace.consents is sqlite_workspace.consents
