"""Subjects as registry pseudonyms: the one place the registry turns a raw ID into its pseudonym.

The registry never stores raw identifiers. A resident ID number is normalised, validated
(GB 11643) and pseudonymised into the ``consent-registry`` domain by a
:class:`RegistryPseudonymiser` the registry is *given* (the workspace hands it a
:class:`govshare.pseudonym.Pseudonymiser`; consent never imports the pseudonym capability);
invalid ones are refused (:meth:`SubjectPseudonyms.one`) or reported as missing
(:meth:`SubjectPseudonyms.many`), never pseudonymised.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from typing import Final, Literal, NoReturn, Protocol, runtime_checkable

import pandas as pd

from govshare.exceptions import InputError

__all__ = ["DOMAIN", "RegistryPseudonymiser", "SubjectPseudonyms"]

DOMAIN: Final = "consent-registry"
_CACHE_SIZE: Final = 65_536


@runtime_checkable
class RegistryPseudonymiser(Protocol):
    """What the registry needs to name subjects: a keyed pseudonymiser of resident ID numbers.

    :class:`govshare.pseudonym.Pseudonymiser` for the ``consent-registry`` domain is one; any
    object with these members works (a test double, an HSM-backed service).
    """

    @property
    def prefix(self) -> str:
        """What every new pseudonym starts with (scheme code and key version)."""
        ...

    def pseudonymise_one(self, value: str) -> str:
        """The pseudonym of one resident ID number; raises InputError if it is invalid."""
        ...

    def pseudonymise(
        self, values: pd.Series, *, invalid: Literal["raise", "null"] = "raise"
    ) -> pd.Series:
        """Pseudonyms of a column, index-aligned (missing where invalid with ``invalid="null"``)."""
        ...


class SubjectPseudonyms:
    """Maps raw resident ID numbers to the registry's pseudonyms, one at a time or a column at once.

    Wraps a :class:`RegistryPseudonymiser` for the ``consent-registry`` domain. Single
    lookups are remembered in a bounded in-memory cache keyed by an HMAC under a random key that
    lives only in this process, so the cache never holds a raw identifier.
    """

    __slots__ = ("_cache", "_cache_key", "_lock", "_pseudonymiser")

    def __init__(self, pseudonymiser: RegistryPseudonymiser) -> None:
        if not isinstance(pseudonymiser, RegistryPseudonymiser):
            raise InputError(
                "SubjectPseudonyms needs a pseudonymiser (e.g. govshare.pseudonym.Pseudonymiser)"
            )
        self._pseudonymiser = pseudonymiser
        self._cache_key = os.urandom(32)
        self._cache: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def pseudonymiser(self) -> RegistryPseudonymiser:
        """The ``consent-registry`` pseudonymiser it was given (for engines that decide on
        remote workers)."""
        return self._pseudonymiser

    @property
    def prefix(self) -> str:
        """What every new pseudonym starts with (scheme code and key version)."""
        return self._pseudonymiser.prefix

    def one(self, subject: str, *, what: str = "subject") -> str:
        """The pseudonym of one raw resident ID number.

        Raises:
            InputError: *subject* is not a valid resident ID number (the value is not shown).
        """
        if not isinstance(subject, str):
            raise InputError(f"{what} must be a resident ID number as a string")
        tag = hmac.new(self._cache_key, subject.encode("utf-8", "replace"), hashlib.sha256).digest()
        with self._lock:
            found = self._cache.get(tag)
            if found is not None:
                self._cache.move_to_end(tag)
                return found
        try:
            name = self._pseudonymiser.pseudonymise_one(subject)
        except InputError:
            raise InputError(f"{what} is not a valid resident ID number") from None
        with self._lock:
            self._cache[tag] = name
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return name

    def many(self, values: pd.Series) -> pd.Series:
        """Pseudonyms of a column, index-aligned; invalid or missing IDs become missing.

        Non-string values count as invalid.
        """
        return self._pseudonymiser.pseudonymise(values, invalid="null")

    def __repr__(self) -> str:
        return f"SubjectPseudonyms(prefix={self.prefix!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("SubjectPseudonyms holds secret key material and cannot be pickled")
