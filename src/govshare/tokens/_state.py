"""Per-token state in the store: atomic use counting, revocation and trusted-key rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Integer, and_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from govshare.crypto import VerifyKey
from govshare.exceptions import InputError, TokenReplayed, TokenRevoked
from govshare.storage import Prepared
from govshare.tokens._tables import token_state, token_trusted_keys
from govshare.tokens._trust import PublicKeyDocument

__all__ = ["StateStatements", "known", "read_state", "revoked_among", "store_trust"]

_t = token_state
_READ = Prepared(select(_t.c.uses, _t.c.revoked_at).where(_t.c.jti == bindparam("jti")))


class StateStatements:
    """The conditional upserts of one backend, built once and run straight on the driver.

    ``take(conn, jti, n, limit)`` adds *n* uses to token *jti* in one statement that succeeds only
    while the token is not revoked and ``uses + n <= limit``: PostgreSQL re-checks the condition
    on the row it locked, and SQLite runs it under the write lock taken by ``BEGIN IMMEDIATE``, so
    ``max_uses`` holds exactly however many processes race. Every token this store issues, uses,
    checks or exchanges gets a row, which is how :meth:`known` tells a real token id from a typo.
    """

    def __init__(self, backend: str) -> None:
        # Both dialects' Insert have the same on_conflict_* API; typing picks one of them.
        insert = sqlite.insert if backend == "sqlite" else postgresql.insert
        n = bindparam("n", type_=Integer)
        base = insert(_t).values(
            jti=bindparam("jti"), uses=n, max_uses=bindparam("limit", type_=Integer)
        )
        not_revoked = _t.c.revoked_at.is_(None)
        self._limited = Prepared(
            base.on_conflict_do_update(
                index_elements=[_t.c.jti],
                set_={"uses": _t.c.uses + n},
                where=and_(not_revoked, _t.c.uses + n <= bindparam("limit", type_=Integer)),
            ).returning(_t.c.uses)
        )
        self._unlimited = Prepared(
            base.on_conflict_do_update(
                index_elements=[_t.c.jti], set_={"uses": _t.c.uses + n}, where=not_revoked
            ).returning(_t.c.uses)
        )
        self._register = Prepared(
            insert(_t)
            .values(jti=bindparam("jti"), uses=0, max_uses=bindparam("limit", type_=Integer))
            .on_conflict_do_nothing(index_elements=[_t.c.jti])
        )
        self._mark = Prepared(
            _t.update()
            .where(_t.c.jti == bindparam("j"), _t.c.revoked_at.is_(None))
            .values(revoked_at=bindparam("at"))
            .returning(_t.c.jti)
        )

    def take(self, conn: Connection, jti: str, n: int, limit: int | None) -> int:
        """Add *n* uses to *jti*; returns the new count.

        Raises:
            TokenRevoked: the token is revoked.
            TokenReplayed: it would exceed *limit*.
        """
        if limit is not None and n > limit:
            raise TokenReplayed(f"token {jti} allows {limit} use(s), {n} asked")
        params: dict[str, Any] = {"jti": jti, "n": n, "limit": limit}
        stmt = self._unlimited if limit is None else self._limited
        row = stmt.first(conn, params)
        if row is not None:
            return int(row[0])
        uses, revoked = read_state(conn, jti)
        if revoked:
            raise TokenRevoked(f"token {jti} was revoked")
        raise TokenReplayed(f"token {jti} was already used {uses} of {limit} time(s)")

    def register(self, conn: Connection, tokens: list[tuple[str, int | None]]) -> None:
        """Give each ``(jti, max_uses)`` a row with no use yet, unless it has one."""
        self._register.run_many(conn, [{"jti": j, "limit": m} for j, m in tokens])

    def revoke(self, conn: Connection, jti: str, at: str) -> bool:
        """Mark the known token *jti* revoked; returns whether it was not revoked before."""
        return self._mark.first(conn, {"j": jti, "at": at}) is not None


def read_state(conn: Connection, jti: str) -> tuple[int, bool]:
    """``(uses, revoked)`` of token *jti* (``(0, False)`` for a token never seen)."""
    row = _READ.first(conn, {"jti": jti})
    if row is None:
        return 0, False
    return int(row[0]), row[1] is not None


def known(conn: Connection, jti: str) -> bool:
    """Whether this store has a row for token *jti* (issued, used, checked or exchanged here)."""
    return _READ.first(conn, {"jti": jti}) is not None


def revoked_among(conn: Connection, jtis: tuple[str, ...]) -> bool:
    """Whether any of *jtis* (a token's ancestors) is revoked here."""
    return any(read_state(conn, jti)[1] for jti in jtis)


def store_trust(conn: Connection, doc: PublicKeyDocument, at: str) -> tuple[list[str], list[str]]:
    """Store *doc*'s keys as trusted; returns ``(active kids, retired kids)``.

    Keys of the department that the document no longer lists are retired, and a retired key is
    never made active again (a compromised key must not come back by replaying an old document).

    Raises:
        InputError: a key id is already trusted for another department or with another key.
    """
    k = token_trusted_keys
    rows = conn.execute(
        select(k.c.kid, k.c.department, k.c.public_key, k.c.status, k.c.use).where(
            k.c.kid.in_([e.kid for e in doc.keys]) | (k.c.department == doc.department)
        )
    ).all()
    known = {str(r[0]): (str(r[1]), bytes(r[2]), str(r[3]), str(r[4])) for r in rows}
    listed = {e.kid for e in doc.keys}
    for entry in doc.keys:
        key: VerifyKey = entry.verify_key()
        old = known.get(entry.kid)
        if old is not None and (old[0], old[1], old[3]) != (doc.department, key.raw, entry.use):
            raise InputError(f"key id {entry.kid!r} is already trusted with another key")
        status = (
            "retired" if entry.status == "retired" or (old and old[2] == "retired") else "active"
        )
        if old is None:
            conn.execute(
                k.insert().values(
                    kid=entry.kid,
                    department=doc.department,
                    public_key=key.raw,
                    status=status,
                    use=entry.use,
                    created=entry.created.isoformat(),
                    trusted_at=at,
                )
            )
        elif status != old[2]:
            conn.execute(k.update().where(k.c.kid == entry.kid).values(status=status))
    dropped = [kid for kid, (dep, *_) in known.items() if dep == doc.department]
    dropped = [kid for kid in dropped if kid not in listed and known[kid][2] == "active"]
    if dropped:
        conn.execute(k.update().where(k.c.kid.in_(dropped)).values(status="retired"))
    final = conn.execute(
        select(k.c.kid, k.c.status).where(k.c.department == doc.department).order_by(k.c.kid)
    ).all()
    active = [str(r[0]) for r in final if r[1] == "active"]
    retired = [str(r[0]) for r in final if r[1] == "retired"]
    return active, retired
