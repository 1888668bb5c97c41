"""How a pseudonymiser's domain key reaches the executors, and what protects it on the way.

The driver derives the domain key (the root key never leaves it), seals it under a fresh
:class:`~govshare.crypto.WrappingKey` and puts only the sealed form in the task closure; the
wrapping key goes in a Spark broadcast. Plans and logs show the UDF's name, never its closure; a
pickled closure (a task, an event log, a Py4J debug log) holds ciphertext; the broadcast file holds
a random key that opens nothing without the closure. Executors open the pair in memory, once per
Python worker process. Anyone who controls an executor while it runs can read the domain key: this
keeps the key out of plans, logs and files, not away from the executors.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from typing import Final

from pyspark import Broadcast, SparkContext

from govshare.crypto import WrappingKey
from govshare.exceptions import InputError
from govshare.pseudonym import Pseudonymiser, SealedPseudonymiser

__all__ = ["ShippedPseudonymiser", "ship"]

_OPENED: OrderedDict[str, Pseudonymiser] = OrderedDict()
"""Per executor process: the pseudonymisers opened so far, by job (a process serves many tasks)."""
_OPENED_MAX: Final = 16


class ShippedPseudonymiser:
    """A pseudonymiser on its way to the executors: the sealed domain key and the broadcast
    that holds its wrapping key. Picklable (into a UDF's closure); its repr names only the job,
    domain and scheme."""

    __slots__ = ("_job", "_key", "_sealed")

    def __init__(self, job: str, sealed: SealedPseudonymiser, key: Broadcast[WrappingKey]) -> None:
        self._job, self._sealed, self._key = job, sealed, key

    def open(self) -> Pseudonymiser:
        """On an executor: the pseudonymiser (opened on first use in this process)."""
        found = _OPENED.get(self._job)
        if found is None:
            found = self._sealed.open(self._key.value)
            _OPENED[self._job] = found
            if len(_OPENED) > _OPENED_MAX:
                _OPENED.popitem(last=False)
        return found

    def __repr__(self) -> str:
        return (
            f"ShippedPseudonymiser(job={self._job!r}, domain={self._sealed.domain!r}, "
            f"scheme={self._sealed.scheme!r})"
        )

    def __reduce__(
        self,
    ) -> tuple[type[ShippedPseudonymiser], tuple[str, SealedPseudonymiser, Broadcast[WrappingKey]]]:
        return (ShippedPseudonymiser, (self._job, self._sealed, self._key))


def ship(context: SparkContext, pseudonymiser: object) -> ShippedPseudonymiser:
    """Seal *pseudonymiser*'s domain key for this job and broadcast its fresh wrapping key.

    Raises:
        InputError: *pseudonymiser* is not a :class:`~govshare.pseudonym.Pseudonymiser`.
        KeyNotFound: its key version was retired.
    """
    if not isinstance(pseudonymiser, Pseudonymiser):
        raise InputError(
            "Spark executors need a govshare.pseudonym.Pseudonymiser (ws.pseudonymiser(...)); "
            f"got {type(pseudonymiser).__name__}"
        )
    wrapping = WrappingKey.generate()
    sealed = SealedPseudonymiser.seal(pseudonymiser, wrapping)
    return ShippedPseudonymiser(secrets.token_hex(8), sealed, context.broadcast(wrapping))
