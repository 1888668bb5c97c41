"""The shared-data catalogue (政务数据目录): publish versions, export signed, import others'."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, Field
from sqlalchemy import Connection, bindparam, func, insert, select

from govshare._clock import Clock, ensure_aware, utc_iso
from govshare._models import Record, build
from govshare.audit import AuditLog
from govshare.consent import Vocabulary
from govshare.exceptions import DocumentMismatch, InputError, InvalidDocument, RecordNotFound
from govshare.exchange._common import from_json, reading, to_json, writing
from govshare.exchange._documents import Documents, SignedDocument
from govshare.exchange._models import CatalogueItem, Department
from govshare.exchange._tables import exchange_catalogue
from govshare.identifiers import shown
from govshare.storage import Store

__all__ = ["Catalogue", "CataloguePayload"]

_c = exchange_catalogue
_LATEST = (
    select(_c.c.item)
    .where(_c.c.provider == bindparam("provider"), _c.c.item_id == bindparam("item_id"))
    .order_by(_c.c.version.desc())
    .limit(1)
)


class CataloguePayload(Record):
    """The payload of a signed catalogue document: a department's current items."""

    provider: Department
    exported_at: AwareDatetime
    items: Annotated[tuple[CatalogueItem, ...], Field(max_length=10_000)]


class Catalogue:
    """A department's shared-data catalogue, and the catalogues it imported (``ws.catalogue``).

    Items are versioned and append-only: :meth:`publish` adds a version, history is kept. A
    catalogue leaves the department only as a signed document (:meth:`export`), and another
    department's enters only through :meth:`import_catalogue`, which verifies it first.
    """

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        documents: Documents,
        department: str,
        clock: Clock,
        vocabulary: Vocabulary,
    ) -> None:
        self._store = store
        self._audit = audit
        self._documents = documents
        self.department = department
        self._clock = clock
        self._vocabulary = vocabulary
        self._parsed: dict[str, CatalogueItem] = {}

    def __repr__(self) -> str:
        return f"Catalogue(department={self.department!r})"

    def publish(
        self, item: CatalogueItem | Mapping[str, Any], *, conn: Connection | None = None
    ) -> CatalogueItem:
        """Publish *item* as the next version of its item id; returns the stored version.

        The version number, provider and publication time are filled in here; every column's
        category must be in the consent vocabulary. Records ``catalogue.published``.

        Raises:
            InputError: the item is invalid (a conditional item without conditions, a not-shared
                item without its legal basis, an unknown category, another provider, ...).
        """
        draft = item if isinstance(item, CatalogueItem) else build(CatalogueItem, **dict(item))
        if draft.provider not in (None, self.department):
            raise InputError("an item is published by its own provider")
        self._vocabulary.require("category", [c.category for c in draft.columns], what="columns")
        now = self._clock.now()
        with writing(self._store, conn) as tx:
            latest = tx.execute(
                select(func.max(_c.c.version)).where(
                    _c.c.provider == self.department, _c.c.item_id == draft.item_id
                )
            ).scalar()
            fields = draft.model_dump() | {
                "version": int(latest or 0) + 1,
                "provider": self.department,
                "published_at": now,
            }
            stored = build(CatalogueItem, **fields)
            _insert(tx, stored, now, None)
            data = {
                "item_id": stored.item_id,
                "version": stored.version,
                "share": stored.share,
                "grade": stored.grade,
            }
            self._audit.record("catalogue.published", data, conn=tx)
        return stored

    def get(
        self,
        item_id: str,
        version: int | None = None,
        *,
        provider: str | None = None,
        conn: Connection | None = None,
    ) -> CatalogueItem:
        """Item *item_id* of *provider* (default: this department) at *version* (default: the
        latest).

        Raises:
            RecordNotFound: no such item or version here.
        """
        owner = provider or self.department
        query = _LATEST
        if version is not None:
            query = query.where(_c.c.version == version)
        with reading(self._store, conn) as tx:
            row = tx.execute(query, {"provider": owner, "item_id": item_id}).first()
        if row is None:
            raise RecordNotFound(f"no catalogue item {shown(item_id)} of {shown(owner)} here")
        return self._parse(row[0])

    def _parse(self, text: str) -> CatalogueItem:
        # Stored items never change, so the same text always parses to the same item.
        found = self._parsed.get(text)
        if found is None:
            if len(self._parsed) >= 256:
                self._parsed.clear()
            found = self._parsed[text] = from_json(CatalogueItem, text)
        return found

    def list(
        self, *, provider: str | None = None, conn: Connection | None = None
    ) -> builtins.list[CatalogueItem]:
        """The latest version of every item of *provider* (default: this department's own;
        ``"*"``: every department's, own and imported), sorted by provider and item id."""
        latest = (
            select(_c.c.provider, _c.c.item_id, func.max(_c.c.version).label("version"))
            .group_by(_c.c.provider, _c.c.item_id)
            .subquery()
        )
        query = select(_c.c.item).join(
            latest,
            (_c.c.provider == latest.c.provider)
            & (_c.c.item_id == latest.c.item_id)
            & (_c.c.version == latest.c.version),
        )
        if provider != "*":
            query = query.where(_c.c.provider == (provider or self.department))
        with reading(self._store, conn) as tx:
            rows = tx.execute(query.order_by(_c.c.provider, _c.c.item_id)).all()
        return [from_json(CatalogueItem, r[0]) for r in rows]

    def history(self, item_id: str, *, provider: str | None = None) -> builtins.list[CatalogueItem]:
        """Every version of item *item_id* of *provider* (default: this department), oldest
        first (an empty list for an unknown item)."""
        owner = provider or self.department
        with self._store.read() as tx:
            rows = tx.execute(
                select(_c.c.item)
                .where(_c.c.provider == owner, _c.c.item_id == item_id)
                .order_by(_c.c.version)
            ).all()
        return [from_json(CatalogueItem, r[0]) for r in rows]

    def export(self, *, conn: Connection | None = None) -> SignedDocument:
        """This department's current catalogue (latest version of each item), as a signed
        document for any department. Records ``catalogue.exported``."""
        now = self._clock.now()
        with writing(self._store, conn) as tx:
            items = tuple(self.list(conn=tx))
            payload = CataloguePayload(provider=self.department, exported_at=now, items=items)
            doc = self._documents.sign("catalogue", payload, audience=None, now=now, conn=tx)
            data = {"document_id": doc.id, "items": len(items)}
            self._audit.record("catalogue.exported", data, conn=tx)
        return doc

    def import_catalogue(
        self, doc: SignedDocument | str | bytes | Mapping[str, Any]
    ) -> builtins.list[CatalogueItem]:
        """Verify another department's signed catalogue and store its items; returns the items
        that were new here. Records ``catalogue.imported`` (or one ``document.refused``).

        Raises:
            InvalidDocument: the document is refused (untrusted, altered, replayed, this
                department's own, or an item claims another provider or rewrites a version
                already imported); nothing is stored.
        """
        now = self._clock.now()
        facts: dict[str, Any] = {"operation": "catalogue.import"}
        try:
            with self._store.transaction() as tx:
                signed = self._documents.accept(
                    doc, "catalogue", now=now, conn=tx, facts=facts, addressed=False
                )
                payload = Documents.payload(signed, CataloguePayload)
                new = self._store_items(tx, signed, payload, now)
                data = {
                    "provider": signed.issuer,
                    "document_id": signed.id,
                    "items": [f"{i.item_id}@{i.version}" for i in new],
                }
                self._audit.record("catalogue.imported", data, conn=tx)
        except InvalidDocument as exc:
            self._documents.refused(exc, facts)
            raise
        return new

    def _store_items(
        self, tx: Connection, signed: SignedDocument, payload: CataloguePayload, now: datetime
    ) -> builtins.list[CatalogueItem]:
        if payload.provider != signed.issuer:
            raise DocumentMismatch("the catalogue names another provider than its signer")
        new = []
        for item in payload.items:
            if item.provider != signed.issuer or item.published_at is None:
                raise DocumentMismatch(
                    f"item {item.item_id!r} is not a published item of the signer"
                )
            known = tx.execute(
                select(_c.c.item).where(
                    _c.c.provider == item.provider,
                    _c.c.item_id == item.item_id,
                    _c.c.version == item.version,
                )
            ).first()
            if known is None:
                _insert(tx, item, now, signed.id)
                new.append(item)
            elif from_json(CatalogueItem, known[0]) != item:
                raise DocumentMismatch(
                    f"item {item.item_id!r} version {item.version} differs from the one imported"
                )
        return new


def _insert(tx: Connection, item: CatalogueItem, now: datetime, document_id: str | None) -> None:
    assert item.provider is not None
    assert item.published_at is not None
    tx.execute(
        insert(_c).values(
            provider=item.provider,
            item_id=item.item_id,
            version=item.version,
            share=item.share,
            published_at=utc_iso(item.published_at),
            recorded_at=utc_iso(ensure_aware(now)),
            document_id=document_id,
            item=to_json(item),
        )
    )
