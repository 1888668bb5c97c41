"""The one export path of a pseudonymiser: its derived domain key, sealed, for remote workers.

A distributed engine (Spark) runs the same vectorised code on executors, so they need the key of
one domain. :meth:`SealedPseudonymiser.seal` wraps that *derived* key (never the root) under a
fresh :class:`~govshare.crypto.WrappingKey`; the sealed object and the wrapping key are then sent
by different channels, so neither a logged or saved task closure nor a broadcast file on disk holds
the domain key in the clear. Whoever controls a worker while it runs can read the key from memory:
this protects the key in transit and at rest, not from the workers themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from govshare.crypto import WrappingKey
from govshare.exceptions import InputError
from govshare.identifiers import Kind
from govshare.pseudonym._pseudonymiser import Pseudonymiser
from govshare.pseudonym._schemes import SchemeName, key_info, scheme

__all__ = ["SealedPseudonymiser"]

_PURPOSE = b"govshare/pseudonym/worker-key/1|"


@dataclass(frozen=True)
class SealedPseudonymiser:
    """What a remote worker needs to pseudonymise into one domain, with the domain key sealed.

    Picklable on purpose (it holds only ciphertext and public parameters); :meth:`open` with the
    :class:`~govshare.crypto.WrappingKey` it was sealed under gives back a
    :class:`Pseudonymiser` for that domain, scheme, kind and key version only: it makes the same
    pseudonyms as the original, cannot derive any other domain's key and refuses
    :meth:`~Pseudonymiser.reidentify` (it has no audit log).
    """

    domain: str
    scheme: SchemeName
    kind: Kind
    version: int
    sealed: bytes = field(repr=False)

    @classmethod
    def seal(cls, pseudonymiser: Pseudonymiser, wrapping: WrappingKey) -> SealedPseudonymiser:
        """Seal *pseudonymiser*'s current domain key under *wrapping* (use a new one per job).

        Raises:
            InputError: *pseudonymiser* or *wrapping* has the wrong type.
            KeyNotFound: the key version was retired.
        """
        if not isinstance(pseudonymiser, Pseudonymiser) or not isinstance(wrapping, WrappingKey):
            raise InputError("seal() takes a Pseudonymiser and a govshare.crypto.WrappingKey")
        p = pseudonymiser
        aad = _aad(p.domain, p.scheme, p.kind, p.version)
        sealed = wrapping.wrap(p._key(p.version), aad=aad)
        return cls(p.domain, p.scheme, p.kind, p.version, sealed)

    def open(self, wrapping: WrappingKey) -> Pseudonymiser:
        """The worker's pseudonymiser.

        Raises:
            IntegrityError: *wrapping* is not the key this was sealed under, or it was altered.
        """
        aad = _aad(self.domain, self.scheme, self.kind, self.version)
        key = wrapping.unwrap(self.sealed, aad=aad)
        return Pseudonymiser._from_domain_key(
            key, domain=self.domain, scheme=self.scheme, kind=self.kind, version=self.version
        )


def _aad(domain: str, name: SchemeName, kind: Kind, version: int) -> bytes:
    """Binds the sealed key to exactly the domain, scheme, kind and version it belongs to."""
    return _PURPOSE + key_info(scheme(name, kind), kind, domain, version)
