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


def race_verify_threads(
    url: str,
    schema: str | None,
    key_file: str,
    token: str,
    audience: str,
    purpose: str,
    attempts: int,
    threads: int,
    start: Event,
    results: Queue[tuple[int, int]],
) -> None:
    """Like race_verify, from *threads* threads of one process sharing its group commits."""
    import threading

    ws = Workspace.open(url, schema=schema, passphrase=TEST_PASSPHRASE, key_file=key_file)
    counts = [0, 0]
    lock = threading.Lock()

    def one() -> None:
        for _ in range(attempts):
            try:
                ws.tokens.verify(token, audience=audience, purpose=purpose)
                index = 0
            except TokenReplayed:
                index = 1
            with lock:
                counts[index] += 1

    try:
        start.wait(60)
        workers = [threading.Thread(target=one) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        ws.close()
    results.put((counts[0], counts[1]))


def verify_until_killed(
    url: str, key_file: str, tokens: list[str], audience: str, purpose: str, out: str
) -> None:
    """Verify *tokens* from 8 threads (each many times) and append ``<jti>\\n`` to *out* right
    after each accepted verify returns; runs until the parent kills the process."""
    import os
    import threading

    ws = Workspace.open(url, passphrase=TEST_PASSPHRASE, key_file=key_file)
    fd = os.open(out, os.O_WRONLY | os.O_APPEND)
    lock = threading.Lock()

    def one(offset: int) -> None:
        for k in range(10_000):
            token = tokens[(offset + k) % len(tokens)]
            try:
                grant = ws.tokens.verify(token, audience=audience, purpose=purpose)
            except TokenReplayed:
                continue
            with lock:
                os.write(fd, grant.jti.encode() + b"\n")

    workers = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
