"""The capability object that gates export of secret key material (Tink's ``secret_key_access``)."""

from __future__ import annotations

from typing import Final, NoReturn

__all__ = ["SECRET_ACCESS", "SecretAccess", "refuse_pickle"]


class SecretAccess:
    """Proof that the caller means to handle raw secret key material.

    There is one instance (a singleton): ``govshare.hazmat.SECRET_ACCESS``. Functions that return
    key bytes require it as an argument, so an export is always visible at the call site.
    """

    _instance: SecretAccess | None = None

    def __new__(cls) -> SecretAccess:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SECRET_ACCESS"


SECRET_ACCESS: Final = SecretAccess()


def require_secret_access(token: object) -> None:
    """Raise ``PermissionError`` unless *token* is the ``SECRET_ACCESS`` singleton."""
    if token is not SECRET_ACCESS:
        raise PermissionError(
            "exporting secret key material needs govshare.hazmat.SECRET_ACCESS as an argument"
        )


def refuse_pickle(name: str) -> NoReturn:
    """Raise the error every secret handle gives when someone tries to pickle or copy it."""
    raise TypeError(f"{name} holds secret key material and cannot be pickled or copied")
