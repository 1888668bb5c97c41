"""A child process for the crash test: share() that stops just before it commits, until killed."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

import govshare.exchange._share as share_module
from govshare import Workspace
from govshare.testing import TEST_PASSPHRASE, FrozenClock


def main(url: str, schema: str, key_file: str, now: str, agreement: str, token: str) -> None:
    """Open the provider's workspace, share, and hang at the last step inside the transaction."""
    ready = Path(key_file).with_name("share-in-transaction")

    def hang(*args: Any, **kwargs: Any) -> None:
        # Everything is written but not committed: the release, the counters, the token use.
        ready.write_text("ready")
        time.sleep(120)

    share_module.Release = hang  # type: ignore[assignment,misc]
    ws = Workspace.open(
        url,
        passphrase=TEST_PASSPHRASE,
        key_file=key_file,
        schema=schema or None,
        clock=FrozenClock(datetime.fromisoformat(now)),
    )
    frame = pd.read_parquet(Path(key_file).with_name("frame.parquet"))
    ws.share(frame, agreement=agreement, token=token, subject_column="id_number")


if __name__ == "__main__":
    main(*sys.argv[1:])
