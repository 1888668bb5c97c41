"""The ``df.govshare`` pandas accessor (a front door).

``import govshare`` registers it as soon as pandas is imported (a post-import hook, so importing
govshare alone never imports pandas); importing this module registers it at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from govshare.dp import Ledger, Query

__all__ = ["GovShareAccessor", "register"]

_registered = False


class GovShareAccessor:
    """``df.govshare``: govshare's entry points for a DataFrame (the frame is never modified)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def dp(self, *, privacy_unit: str, dataset: str, ledger: Ledger, **options: Any) -> Query:
        """A :class:`govshare.dp.Query` over this frame (``ws.budgets`` or a ``MemoryLedger``).

        Raises:
            InputError: as :class:`govshare.dp.Query`.
        """
        from govshare.dp import Query

        return Query(
            self._frame, privacy_unit=privacy_unit, dataset=dataset, ledger=ledger, **options
        )


def register() -> None:
    """Register ``df.govshare`` once per process (idempotent)."""
    global _registered
    if not _registered:
        pd.api.extensions.register_dataframe_accessor("govshare")(GovShareAccessor)
        _registered = True


register()
