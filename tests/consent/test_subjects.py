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


class _KeyedDouble:
    """A stand-in registry pseudonymiser: any object with the protocol's members will do."""

    prefix = "tt1."

    def pseudonymise_one(self, value: str) -> str:
        import hashlib

        from govshare.identifiers import normalise_resident_id

        number = normalise_resident_id(value)
        if number is None:
            raise InputError("invalid")
        return self.prefix + hashlib.sha256(b"k" + number.encode()).hexdigest()[:32]

    def pseudonymise(self, values: pd.Series, *, invalid: str = "raise") -> pd.Series:
        out = []
        for v in values:
            try:
                out.append(self.pseudonymise_one(v) if isinstance(v, str) else None)
            except InputError:
                out.append(None)
        return pd.Series(out, index=values.index, dtype="str")


def test_the_registry_pseudonymiser_is_injected() -> None:
    """Consent names subjects with whatever pseudonymiser it is given, and refuses non-ones."""
    from govshare.consent import RegistryPseudonymiser

    double = _KeyedDouble()
    assert isinstance(double, RegistryPseudonymiser)
    names = SubjectPseudonyms(double)
    raw = resident_id(9)
    assert names.one(raw) == double.pseudonymise_one(raw)
    assert names.many(pd.Series([raw])).iloc[0] == names.one(raw)
    with pytest.raises(InputError, match="pseudonymiser"):
        SubjectPseudonyms(object())  # type: ignore[arg-type]
