"""Process entry points for the token concurrency tests."""

from __future__ import annotations

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

from govshare import Workspace
from govshare.exceptions import TokenReplayed
from govshare.testing import TEST_PASSPHRASE


def race_verify(
    url: str,
    schema: str | None,
    key_file: str,
    token: str,
    audience: str,
    purpose: str,
    attempts: int,
    start: Event,
    results: Queue[tuple[int, int]],
) -> None:
    """Try to use *token* *attempts* times once *start* is set; puts (accepted, replayed)."""
    ws = Workspace.open(url, schema=schema, passphrase=TEST_PASSPHRASE, key_file=key_file)
    accepted = replayed = 0
    try:
        start.wait(60)
        for _ in range(attempts):
            try:
                ws.tokens.verify(token, audience=audience, purpose=purpose)
                accepted += 1
            except TokenReplayed:
                replayed += 1
    finally:
        ws.close()
    results.put((accepted, replayed))
