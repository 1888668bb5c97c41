"""The ``df.govshare`` pandas accessor (a front door).

``import govshare`` registers it as soon as pandas is imported (a post-import hook, so importing
govshare alone never imports pandas); importing this module registers it at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from govshare.exceptions import InputError

if TYPE_CHECKING:
    from govshare import Workspace
    from govshare.dp import Ledger, Query

__all__ = ["GovShareAccessor", "register"]

_registered = False


class GovShareAccessor:
    """``df.govshare``: govshare's entry points for a DataFrame (the frame is never modified)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def dp(
        self,
        *,
        privacy_unit: str,
        dataset: str,
        workspace: Workspace | None = None,
        ledger: Ledger | None = None,
        requester: str | None = None,
        **options: Any,
    ) -> Query:
        """A :class:`govshare.dp.Query` over this frame.

        Who is charged is never implied: give *workspace* (``ws.dp(df, …)``: charged to its
        department, or with ``token=`` and ``purpose=`` to the verified token's subject), or
        both *ledger* and *requester* (a store ledger refuses any requester but its own).

        Raises:
            InputError: neither or both of *workspace* and *ledger*/*requester*; otherwise as
                :meth:`govshare.Workspace.dp` or :class:`govshare.dp.Query`.
        """
        from govshare.dp import Query

        if workspace is not None:
            if ledger is not None or requester is not None:
                raise InputError(
                    "df.govshare.dp takes workspace= or ledger= and requester=, not both"
                )
            return workspace.dp(self._frame, privacy_unit=privacy_unit, dataset=dataset, **options)
        if ledger is None or requester is None:
            raise InputError(
                "df.govshare.dp needs workspace=ws, or both ledger= and requester= (who is charged)"
            )
        return Query(
            self._frame,
            privacy_unit=privacy_unit,
            dataset=dataset,
            ledger=ledger,
            requester=requester,
            **options,
        )


def register() -> None:
    """Register ``df.govshare`` once per process (idempotent)."""
    global _registered
    if not _registered:
        pd.api.extensions.register_dataframe_accessor("govshare")(GovShareAccessor)
        _registered = True


register()
