"""What the verifier promises (issue 11, section 2): own audience only, revocation of every
descendant, no silent revoke of an unknown id, exchange only at the audience with uses counted
together, retirements seen across processes, and lifetime and time limits as typed refusals."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from govshare import Workspace
from govshare.exceptions import (
    AudienceMismatch,
    InputError,
    InvalidToken,
    MalformedToken,
    TokenNotYetValid,
    TokenReplayed,
    TokenRevoked,
    UntrustedKey,
)
from govshare.testing import FrozenClock, temporary_workspace
from govshare.tokens import _paseto
from tests.conftest import Run
from tests.tokens.conftest import PURPOSE
from tests.tokens.test_attacks import _claims, _sign_raw

MakeToken = Any


def _verify(ws: Workspace, token: str, **kw: Any) -> Any:
    return ws.tokens.verify(token, audience=ws.department, purpose=PURPOSE, **kw)


def _rows(ws: Workspace) -> int:
    from govshare.tokens._tables import token_state

    with ws.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(token_state)).scalar_one())


# -- verify(audience=) is this department ----------------------------------------------------------


@pytest.mark.parametrize("audience", ["hrss", "public-security", "civil-affairs-2"])
def test_verify_for_another_audience_is_refused_before_anything(
    holder: Workspace, issuer: Workspace, audience: str
) -> None:
    """A token issued for department X is not accepted by a verifier at civil-affairs that
    passes audience=X: the call itself is refused, and nothing is counted or logged."""
    token = issuer.tokens.issue(
        audience=audience, purpose=PURPOSE, categories=["income"], ttl=timedelta(hours=1)
    )
    size = holder.audit.size()
    with pytest.raises(InputError):
        holder.tokens.verify(token, audience=audience, purpose=PURPOSE)
    with pytest.raises(InputError):
        holder.tokens.verify_many([token], audience=audience, purpose=PURPOSE)
    assert holder.audit.size() == size
    with pytest.raises(AudienceMismatch):
        _verify(holder, token)


# -- revocation reaches every descendant ---------------------------------------------------------


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(depth=st.integers(min_value=1, max_value=7), data=st.data())
def test_revoking_any_level_revokes_every_descendant(
    issuer: Workspace, depth: int, data: st.DataObject
) -> None:
    """In a chain of exchanges of random depth, revoking the token at a random level refuses
    it and everything below it, at any depth, while the tokens above still verify."""
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        holder = temporary_workspace(Path(tmp), department="civil-affairs", clock=clock)
        try:
            holder.tokens.trust(issuer.keys.export_public())
            chain = [
                issuer.tokens.issue(
                    audience="civil-affairs",
                    purpose=PURPOSE,
                    categories=["identity", "income"],
                    ttl=timedelta(hours=1),
                    now=clock.now(),
                )
            ]
            for _ in range(depth):
                chain.append(holder.tokens.exchange(chain[-1]))
            level = data.draw(st.integers(min_value=0, max_value=depth), label="level")
            by_id = data.draw(st.booleans(), label="revoke by id")
            target = chain[level]
            assert holder.tokens.revoke(_claims(target)["jti"] if by_id else target) is True
            for k, token in enumerate(chain):
                if k < level:
                    assert _verify(holder, token).uses == 1
                else:
                    with pytest.raises(TokenRevoked):
                        _verify(holder, token)
                    with pytest.raises(TokenRevoked):
                        holder.tokens.exchange(token)
                    assert holder.tokens.introspect(token) == {"active": False}
        finally:
            holder.close()


def test_descendant_lists_every_ancestor(holder: Workspace, make_token: MakeToken) -> None:
    """An exchanged token names its whole lineage, signed, oldest first; the depth is bounded."""
    from govshare.tokens._models import MAX_CHAIN

    root = make_token()
    child = holder.tokens.exchange(root)
    grandchild = holder.tokens.exchange(child)
    ids = [_claims(t)["jti"] for t in (root, child, grandchild)]
    assert _claims(grandchild)["ancestors"] == ids[:2]
    assert _claims(grandchild)["parent"] == ids[1]
    token = grandchild
    for _ in range(MAX_CHAIN - 2):
        token = holder.tokens.exchange(token)
    with pytest.raises(InputError):
        holder.tokens.exchange(token)


# -- revoke() of a malformed or unknown id ---------------------------------------------------------


@pytest.mark.parametrize(
    "jti",
    ["0" * 31, "0" * 33, "A" * 32, "0" * 32 + "\n", "\n" + "0" * 32, " " + "0" * 31, "０" * 32, ""],
)
def test_revoke_of_a_malformed_id_is_an_error(holder: Workspace, jti: str) -> None:
    """A malformed id (wrong length, upper case, a newline, full-width digits) raises
    InputError, and nothing is written."""
    size, rows = holder.audit.size(), _rows(holder)
    with pytest.raises(InputError):
        holder.tokens.revoke(jti)
    assert (holder.audit.size(), _rows(holder)) == (size, rows)


def test_revoke_of_an_unknown_id_is_an_error(holder: Workspace, make_token: MakeToken) -> None:
    """An id this store never issued, exchanged, checked or used is refused, never "revoked"."""
    size, rows = holder.audit.size(), _rows(holder)
    with pytest.raises(InputError):
        holder.tokens.revoke("0123456789abcdef" * 2)
    with pytest.raises(InputError):
        holder.tokens.revoke(_claims(make_token())["jti"])  # real, but never seen here
    assert (holder.audit.size(), _rows(holder)) == (size, rows)


def test_revoke_of_ids_this_store_knows(holder: Workspace, make_token: MakeToken) -> None:
    """Ids of tokens issued, exchanged, checked (without a use) or used here revoke."""
    issued = holder.tokens.issue(
        audience="hrss", purpose=PURPOSE, categories=["income"], ttl=timedelta(hours=1)
    )
    checked, used = make_token(), make_token()
    _verify(holder, checked, consume=False)
    _verify(holder, used)
    exchanged = holder.tokens.exchange(make_token())
    for token in (issued, checked, used, exchanged):
        assert holder.tokens.revoke(_claims(token)["jti"]) is True
    assert [e.event.type for e in holder.audit.tail(4)] == ["token.revoked"] * 4


def test_revoke_of_a_forged_token_is_refused(holder: Workspace, make_token: MakeToken) -> None:
    """revoke(token) checks the token's signature: a forged one revokes nothing."""
    token = make_token()
    forged = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(InvalidToken):
        holder.tokens.revoke(forged)
    assert _rows(holder) == 0


def test_cli_revoke_of_an_unknown_id_exits_2(cli_workspace: Run) -> None:
    """`govshare token revoke` of an unknown or malformed id exits 2 with one line."""
    for jti in ("0" * 32, "0" * 31):
        code, out, err = cli_workspace("token", "revoke", jti)
        assert code == 2
        assert out == ""
        assert len(err.strip().splitlines()) == 1
        assert "Traceback" not in err


# -- exchange only at the audience, uses counted together ----------------------------------------


def test_exchange_elsewhere_than_the_audience_is_refused(
    holder: Workspace, issuer: Workspace, make_token: MakeToken
) -> None:
    """Another department (here the issuer itself) cannot exchange a token meant for the
    holder: AudienceMismatch, logged as a refusal there."""
    issuer.tokens.trust(holder.keys.export_public())
    token = make_token(max_uses=2)
    with pytest.raises(AudienceMismatch):
        issuer.tokens.exchange(token)
    assert issuer.audit.tail(1)[0].event.data["reason"] == "AudienceMismatch"


def test_a_token_and_its_descendants_share_max_uses(
    holder: Workspace, make_token: MakeToken
) -> None:
    """A 4-use token, a child of 2 of its uses and a grandchild of 1 of those: however they are
    presented, at most 4 uses are accepted in all."""
    root = make_token(max_uses=4)
    _verify(holder, root)
    child = holder.tokens.exchange(root, max_uses=2)
    grandchild = holder.tokens.exchange(child, max_uses=1)
    accepted = 0
    for token in [root, child, grandchild] * 4:
        try:
            _verify(holder, token)
            accepted += 1
        except TokenReplayed:
            pass
    assert accepted + 1 == 4
    with pytest.raises(TokenReplayed):
        holder.tokens.exchange(root)


# -- a key retired by another process ------------------------------------------------------------


def test_own_key_retired_by_another_process_stops_verifying(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """A token key version retired through another Workspace (another process's key ring on the
    same key file) is refused by this one at its next verify, with no restart."""
    ws = temporary_workspace(tmp_path, department="civil-affairs", clock=clock)
    token = ws.tokens.issue(
        audience="civil-affairs", purpose=PURPOSE, categories=["income"], ttl=timedelta(hours=1)
    )
    assert _verify(ws, token).uses == 1
    other = temporary_workspace(tmp_path, department="civil-affairs", clock=clock)
    other.keys.rotate("token-signing")
    other.keys.retire("token-signing", 1)
    other.close()
    with pytest.raises(UntrustedKey):
        _verify(ws, token)
    fresh = ws.tokens.issue(
        audience="civil-affairs", purpose=PURPOSE, categories=["income"], ttl=timedelta(hours=1)
    )
    assert json.loads(_paseto.split(fresh)[1])["kid"].startswith("token-signing-v2-")
    assert _verify(ws, fresh).uses == 1
    ws.close()


def test_trusted_key_retired_by_another_process_stops_verifying(
    holder: Workspace, issuer: Workspace, make_token: MakeToken, tmp_path: Path
) -> None:
    """A foreign key this verifier has cached, retired by another Workspace on the same store,
    is refused at this verifier's next verify (the store is read in the deciding transaction)."""
    token = make_token()
    assert _verify(holder, token).uses == 1
    issuer.keys.rotate("token-signing")
    issuer.keys.retire("token-signing", 1)
    other = Workspace.open(
        holder.store.url if holder.store.backend == "sqlite" else _pg(holder),
        schema=holder.store.schema,
        passphrase="govshare-test-passphrase",
        key_file=str(holder.keys.path),
    )
    other.tokens.trust(issuer.keys.export_public())
    other.close()
    with pytest.raises(UntrustedKey):
        _verify(holder, token)


def _pg(ws: Workspace) -> str:
    import os

    return os.environ["GOVSHARE_TEST_POSTGRES_URL"]


# -- lifetimes and far-future times ----------------------------------------------------------------


def _raw_claims(**over: Any) -> dict[str, Any]:
    claims = {
        "iss": "hrss", "sub": "hrss", "aud": "test-department", "iat": "2026-01-01T00:00:00Z",
        "nbf": "2026-01-01T00:00:00Z", "exp": "2026-01-01T01:00:00Z", "jti": "ab" * 16,
        "authorization_details": [{"type": "govshare_data_access", "purpose": PURPOSE,
                                   "legal_basis": "consent", "categories": ["income"]}],
    }  # fmt: skip
    claims.update(over)
    return claims


def test_lifetime_over_the_maximum_is_refused_at_verify(
    holder: Workspace, issuer: Workspace
) -> None:
    """A trusted issuer's token valid for longer than MAX_TTL (366 days, exp - nbf) is
    MalformedToken here, although its signature is good; one of exactly MAX_TTL is accepted."""
    too_long = _sign_raw(issuer, _raw_claims(exp="2027-01-02T00:00:01Z"))
    with pytest.raises(MalformedToken):
        _verify(holder, too_long)
    assert holder.audit.tail(1)[0].event.data["reason"] == "MalformedToken"
    year = _sign_raw(issuer, _raw_claims(exp="2027-01-02T00:00:00Z", jti="cd" * 16))
    assert _verify(holder, year).uses == 1


@pytest.mark.parametrize(
    ("nbf", "exp"),
    [
        ("9999-12-31T23:00:00Z", "9999-12-31T23:59:59Z"),
        ("9999-06-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"),
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z"),
    ],
)
def test_far_future_times_are_typed_refusals(
    holder: Workspace, issuer: Workspace, nbf: str, exp: str
) -> None:
    """Times at the end of the calendar give TokenNotYetValid (or a plain refusal), never
    OverflowError."""
    token = _sign_raw(issuer, _raw_claims(iat=nbf, nbf=nbf, exp=exp))
    with pytest.raises(InvalidToken):
        _verify(holder, token, now=datetime(2026, 1, 1, 0, 10, tzinfo=UTC))
    if nbf.startswith("9999"):
        with pytest.raises(TokenNotYetValid):
            _verify(holder, token)


@pytest.mark.parametrize(
    "not_before",
    [datetime(9999, 12, 31, 23, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC)],
)
def test_issue_with_a_far_future_not_before_is_input_error(
    holder: Workspace, not_before: datetime
) -> None:
    """issue(not_before=...) more than a year ahead, or so far that nbf + ttl overflows, is an
    InputError rather than an OverflowError."""
    with pytest.raises(InputError):
        holder.tokens.issue(
            audience="hrss", purpose=PURPOSE, categories=["income"],
            ttl=timedelta(days=30), not_before=not_before,
        )  # fmt: skip


def test_verify_at_the_end_of_time_is_input_error(holder: Workspace, make_token: MakeToken) -> None:
    """A caller's now= at the very end of the calendar is an InputError, not OverflowError."""
    with pytest.raises(InputError):
        _verify(holder, make_token(), now=datetime.max.replace(tzinfo=UTC))


def test_cli_revokes_a_token_given_on_stdin(cli_workspace: Run) -> None:
    """`govshare token revoke -` reads the token itself from stdin and revokes it; a second
    time it says it already was."""
    code, token, _ = cli_workspace(
        "token",
        "issue",
        "--audience",
        "civil-affairs",
        "--purpose",
        PURPOSE,
        "--category",
        "income",
    )
    assert code == 0
    code, out, _ = cli_workspace("token", "revoke", "-", input=token)
    assert (code, out.strip()) == (0, "revoked the token")
    code, out, _ = cli_workspace("token", "revoke", "-", input=token)
    assert (code, out.strip()) == (0, "the token was already revoked")
    code, _, err = cli_workspace("token", "verify", token.strip(), "--purpose", PURPOSE)
    assert code == 1
    assert "TokenRevoked" in err
