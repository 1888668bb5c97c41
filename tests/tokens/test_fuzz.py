"""Property: arbitrary strings and mutated valid tokens only ever raise InvalidToken."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govshare import Workspace
from govshare.exceptions import InvalidToken, PurposeMismatch
from govshare.testing import FrozenClock, temporary_workspace
from tests.tokens.conftest import PURPOSE

_FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def fuzz_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, list[str]]]:
    """A holder on SQLite trusting an issuer, and a few valid tokens from that issuer."""
    folder = tmp_path_factory.mktemp("fuzz")
    clock = FrozenClock()
    issuer = temporary_workspace(folder / "issuer", department="hrss", clock=clock)
    holder = temporary_workspace(folder / "holder", department="civil-affairs", clock=clock)
    holder.tokens.trust(issuer.keys.export_public())
    tokens = [
        issuer.tokens.issue(
            audience="civil-affairs",
            purpose=PURPOSE,
            categories=["income"],
            ttl=timedelta(hours=1),
            max_uses=1000,
        ),
        issuer.tokens.issue(
            audience="civil-affairs",
            purpose=PURPOSE,
            categories=["identity", "income"],
            ttl=timedelta(hours=1),
            consent_record="c-1",
            consent_hash=b"\x07" * 32,
        ),
    ]
    issuer.close()
    yield holder, tokens
    holder.close()


def _refused(holder: Workspace, token: object) -> None:
    """verify() must raise InvalidToken (any subclass) and nothing else."""
    size = holder.audit.size()
    with pytest.raises(InvalidToken):
        holder.tokens.verify(token, audience="civil-affairs", purpose=PURPOSE)  # type: ignore[arg-type]
    assert holder.audit.size() == size + 1  # the refusal was logged


_ALPHABET = st.sampled_from(list("ABCXYZabcxyz0189-_.=+/ \n\x00é"))


@_FUZZ
@given(
    text=st.one_of(
        st.text(max_size=300), st.text(_ALPHABET, max_size=300).map(lambda s: "v4.public." + s)
    )
)
def test_arbitrary_strings_are_invalid_tokens(
    fuzz_pair: tuple[Workspace, list[str]], text: str
) -> None:
    """Any string (random, or shaped like a v4.public token) is refused with InvalidToken."""
    _refused(fuzz_pair[0], text)


@_FUZZ
@given(
    which=st.integers(0, 1),
    data=st.data(),
)
def test_mutated_valid_tokens_are_invalid(
    fuzz_pair: tuple[Workspace, list[str]], which: int, data: st.DataObject
) -> None:
    """Flipping bits, deleting, inserting or replacing characters of a valid token never passes."""
    holder, tokens = fuzz_pair
    token = tokens[which]
    kind = data.draw(st.sampled_from(["flip", "delete", "insert", "replace", "bytes"]))
    pos = data.draw(st.integers(0, len(token) - 1))
    if kind == "delete":
        mutated = token[:pos] + token[pos + 1 :]
    elif kind == "insert":
        mutated = token[:pos] + data.draw(st.characters()) + token[pos:]
    elif kind == "replace":
        char = data.draw(st.characters().filter(lambda c: c != token[pos]))
        mutated = token[:pos] + char + token[pos + 1 :]
    elif kind == "flip":
        mutated = (
            token[:pos]
            + chr(ord(token[pos]) ^ (1 << data.draw(st.integers(0, 6))))
            + token[pos + 1 :]
        )
    else:
        parts = token.split(".")
        body = bytearray(base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4)))
        i = data.draw(st.integers(0, len(body) - 1))
        body[i] ^= 1 << data.draw(st.integers(0, 7))
        parts[2] = base64.urlsafe_b64encode(bytes(body)).rstrip(b"=").decode()
        mutated = ".".join(parts)
    if mutated == token:
        return
    _refused(holder, mutated)


def test_the_unmutated_tokens_verify(fuzz_pair: tuple[Workspace, list[str]]) -> None:
    """The fuzz baseline: the valid tokens do verify, so refusals above come from the mutation."""
    holder, tokens = fuzz_pair
    holder.tokens.verify(tokens[0], audience="civil-affairs", purpose=PURPOSE, consume=False)
    holder.tokens.verify(
        tokens[1],
        audience="civil-affairs",
        purpose=PURPOSE,
        consent_hash=b"\x07" * 32,
        consume=False,
    )


def test_other_types_are_invalid_tokens(
    fuzz_pair: tuple[Workspace, list[str]], tmp_path: Path
) -> None:
    """Non-string tokens (bytes, None, numbers, lists) raise InvalidToken too."""
    for value in (b"v4.public.x", None, 42, ["v4.public.x"], tmp_path):
        _refused(fuzz_pair[0], value)


_UNIVERSE = ["health", "household", "identity", "income", "property"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    granted=st.sets(st.sampled_from(_UNIVERSE), min_size=1),
    asked=st.sets(st.sampled_from(_UNIVERSE), min_size=1),
)
def test_exchange_only_ever_narrows(
    fuzz_pair: tuple[Workspace, list[str]], granted: set[str], asked: set[str]
) -> None:
    """exchange() succeeds exactly when the asked categories are a subset, and grants just those."""
    holder, _ = fuzz_pair
    token = holder.tokens.issue(
        audience="civil-affairs",
        purpose=PURPOSE,
        categories=sorted(granted),
        ttl=timedelta(hours=1),
    )
    if asked <= granted:
        narrow = holder.tokens.exchange(token, categories=sorted(asked))
        grant = holder.tokens.verify(
            narrow, audience="civil-affairs", purpose=PURPOSE, consume=False
        )
        assert set(grant.categories) == asked
    else:
        with pytest.raises(PurposeMismatch):
            holder.tokens.exchange(token, categories=sorted(asked))
