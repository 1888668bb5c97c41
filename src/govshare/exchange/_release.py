"""A release: Parquet data plus the provider's signed manifest, and the record each side keeps.

``ws.share()`` makes a :class:`Release`; ``Release.save(path)`` writes it as a folder holding
``data.parquet`` and ``manifest.json``; ``Release.load(path)`` reads one back *unverified*
(``ws.receive()`` verifies it before returning any data). Every release sent or received is
recorded in ``exchange_releases``; :func:`read_releases` reads those records back for auditors.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from pydantic import AwareDatetime, Field, ValidationError
from sqlalchemy import Connection, select

from govshare._models import Record, describe
from govshare.exceptions import InputError, MalformedDocument
from govshare.exchange._aggregates import AggregateQuery
from govshare.exchange._common import reading
from govshare.exchange._documents import MAX_DOCUMENT_BYTES, SignedDocument
from govshare.exchange._models import ColumnName, IdentifierKind
from govshare.exchange._tables import exchange_releases
from govshare.storage import Store
from govshare.types import AgreementId, CaseRef, Code, DepartmentId, Jti, Principal

__all__ = [
    "DATA_FILE",
    "MANIFEST_FILE",
    "AuditAnchor",
    "Received",
    "Release",
    "ReleaseManifest",
    "ReleaseRecord",
    "ReleasedColumn",
    "read_releases",
    "release_row",
]

DATA_FILE: Final = "data.parquet"
MANIFEST_FILE: Final = "manifest.json"
ReleaseId = Annotated[str, Field(pattern=r"^rl-[0-9a-f]{32}$")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Count = Annotated[int, Field(ge=0)]
_r = exchange_releases


def new_release_id() -> str:
    """A fresh release id: ``rl-`` and 128 random bits as hex."""
    return f"rl-{secrets.token_hex(16)}"


class ReleasedColumn(Record):
    """One column of the released data.

    Attributes:
        name: its name in the data.
        category: its data category (as the agreement grants it).
        treatment: ``release`` (as held), ``pseudonymise`` (replaced by pseudonyms) or, in an
            aggregate release, how the agreement grants a column the statistics read.
        kind: for a pseudonymised identifier, which kind.
        scheme / key_version / domain: for a pseudonymised column, the pseudonym scheme, the
            provider's root key version and the domain (the recipient) the pseudonyms are for.
        nulled: values that were not valid identifiers of their kind, released as missing.
    """

    name: ColumnName
    category: Code
    treatment: Literal["release", "pseudonymise", "aggregate-only"]
    kind: IdentifierKind | None = None
    scheme: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,32}$")] | None = None
    key_version: Annotated[int, Field(ge=1)] | None = None
    domain: DepartmentId | None = None
    nulled: Count = 0


class AuditAnchor(Record):
    """Where the release sits in the provider's audit log.

    Attributes:
        origin: the log's origin line.
        log_key: the log's verifier key string (``name+hash+key``).
        index: the sequence number of the ``release.shared`` event.
        checkpoint: a checkpoint note signed by the log key that covers that event.
    """

    origin: Annotated[str, Field(min_length=1, max_length=300)]
    log_key: Annotated[str, Field(min_length=1, max_length=400)]
    index: Count
    checkpoint: Annotated[str, Field(min_length=1, max_length=10_000)]


class ReleaseManifest(Record):
    """The payload of a ``release-manifest`` document: what was released, to whom, why, how.

    Attributes:
        release_id: unique id (``rl-`` and 32 hex digits).
        provider / requester: the departments.
        agreement_id / agreement_version / terms_sha256: the agreement and the digest of the
            terms it was released under (:func:`terms_digest`).
        token_jti: the id of the token the requester presented.
        purpose / case_ref / principal: why, and who asked.
        released_at: when; consent was decided at this instant.
        rows_in: rows in the provider's frame.
        rows_kept: rows released.
        kept_by_basis: released rows by lawful basis (``allowed`` = consent, ``statutory-basis``).
        excluded: rows excluded, by reason (consent reason codes, ``missing-subject``).
        columns: the released columns, in order.
        columns_dropped: how many columns of the frame were not released.
        kind: ``rows``, or ``aggregates`` (DP statistics only: the data holds one row per query
            and group, ``rows_in`` / ``rows_kept`` count those rows, and the exact numbers of
            input rows stay with the provider, as they would undo the noise).
        queries / epsilon: for aggregates, the statistics and the epsilon they charged.
        content_sha256 / content_bytes: SHA-256 and size of the Parquet data.
        audit: the release event's place in the provider's log, with a signed checkpoint.
    """

    release_id: ReleaseId
    provider: DepartmentId
    requester: DepartmentId
    agreement_id: AgreementId
    agreement_version: Annotated[int, Field(ge=1)]
    terms_sha256: Sha256
    token_jti: Jti
    purpose: Code
    case_ref: CaseRef
    principal: Principal | None = None
    released_at: AwareDatetime
    rows_in: Count
    rows_kept: Count
    kept_by_basis: dict[Code, Count]
    excluded: dict[Code, Count]
    columns: Annotated[tuple[ReleasedColumn, ...], Field(min_length=1, max_length=500)]
    columns_dropped: Count
    kind: Literal["rows", "aggregates"] = "rows"
    queries: Annotated[tuple[AggregateQuery, ...], Field(max_length=1000)] = ()
    epsilon: Annotated[float, Field(ge=0, le=100)] = 0.0
    content_format: Literal["parquet"] = "parquet"
    content_sha256: Sha256
    content_bytes: Count
    audit: AuditAnchor

    @property
    def rows_excluded(self) -> int:
        """Rows excluded, over all reasons."""
        return sum(self.excluded.values())


class ReleaseRecord(Record):
    """A release as one side recorded it (``ws.releases.list()``, :func:`read_releases`).

    Attributes:
        release_id, provider, requester, agreement_id, agreement_version, token_jti, purpose,
            case_ref, released_at, content_sha256: as in the manifest.
        side: ``provider`` (this store sent it) or ``requester`` (it received it).
        columns: the released columns (name, category, treatment).
        rows: rows released.
        excluded: rows excluded, by reason.
        received_at: when it was first received (requester side).
        provider_audit_index: the release event's index in the provider's log.
        audit_index: the index in *this* store's log of its event (release or first receipt).
        document_id: the signed manifest's document id.
        duplicates: how many more times the same release was received (not counted again).
    """

    release_id: ReleaseId
    side: Literal["provider", "requester"]
    provider: DepartmentId
    requester: DepartmentId
    agreement_id: AgreementId
    agreement_version: int
    token_jti: str
    purpose: str
    case_ref: str
    columns: tuple[ReleasedColumn, ...]
    rows: Count
    excluded: dict[str, int]
    released_at: AwareDatetime
    received_at: AwareDatetime | None = None
    content_sha256: Sha256
    provider_audit_index: Count
    audit_index: Count
    document_id: str
    duplicates: Count = 0


def release_row(
    manifest: ReleaseManifest,
    side: Literal["provider", "requester"],
    *,
    document_id: str,
    audit_index: int,
    received_at: str | None,
    rows: int | None = None,
    excluded: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The ``exchange_releases`` row of *manifest* on *side* (*rows* and *excluded*: the
    provider's exact counts, where the manifest does not carry them)."""
    columns = [c.model_dump(mode="json") for c in manifest.columns]
    return {
        "release_id": manifest.release_id,
        "side": side,
        "provider": manifest.provider,
        "requester": manifest.requester,
        "agreement_id": manifest.agreement_id,
        "agreement_version": manifest.agreement_version,
        "token_jti": manifest.token_jti,
        "purpose": manifest.purpose,
        "case_ref": manifest.case_ref,
        "columns": json.dumps(columns, sort_keys=True),
        "rows": manifest.rows_kept if rows is None else rows,
        "excluded": json.dumps(manifest.excluded if excluded is None else excluded, sort_keys=True),
        "released_at": manifest.released_at.isoformat().replace("+00:00", "Z"),
        "received_at": received_at,
        "content_sha256": manifest.content_sha256,
        "provider_audit_index": manifest.audit.index,
        "audit_index": audit_index,
        "document_id": document_id,
        "duplicates": 0,
    }


def read_releases(
    store: Store,
    *,
    agreement: str | None = None,
    side: Literal["provider", "requester"] | None = None,
    conn: Connection | None = None,
) -> list[ReleaseRecord]:
    """Every release recorded in *store* (sent and received), oldest first, read-only.

    For auditors (:mod:`govshare.compliance`): it needs only read access to the store.

    Args:
        agreement: only releases under this agreement.
        side: only releases this store sent (``provider``) or received (``requester``).
        conn: read inside this transaction.
    """
    query = select(_r).order_by(_r.c.released_at, _r.c.release_id)
    if agreement is not None:
        query = query.where(_r.c.agreement_id == agreement)
    if side is not None:
        query = query.where(_r.c.side == side)
    with reading(store, conn) as tx:
        rows = tx.execute(query).all()
    return [_record(row._mapping) for row in rows]


def _record(row: Any) -> ReleaseRecord:
    values = dict(row)
    values["columns"] = tuple(ReleasedColumn(**c) for c in json.loads(values["columns"]))
    values["excluded"] = json.loads(values["excluded"])
    for name in ("released_at", "received_at"):
        if values[name] is not None:
            values[name] = datetime.fromisoformat(values[name])
    return ReleaseRecord(**values)


class Release:
    """Released data (Parquet bytes) with the provider's signed manifest.

    Made by ``ws.share()``; travels as a folder (:meth:`save`, :meth:`load`). The manifest's
    ``content_sha256`` is the SHA-256 of exactly :attr:`data`, and the manifest document is kept
    as the exact JSON text that was signed, so the recipient verifies what was sent.
    """

    __slots__ = ("_frame", "data", "manifest_text")

    def __init__(self, manifest_text: str, data: bytes, frame: pd.DataFrame | None = None) -> None:
        self.manifest_text = manifest_text
        self.data = data
        self._frame = frame

    @property
    def document(self) -> SignedDocument:
        """The manifest document, parsed but NOT verified (``ws.receive`` verifies it).

        Raises:
            MalformedDocument: it is not a well-formed signed document.
        """
        try:
            return SignedDocument.model_validate_json(self.manifest_text)
        except ValidationError as exc:
            raise MalformedDocument(describe(exc, "release manifest")) from None

    @property
    def manifest_unverified(self) -> ReleaseManifest:
        """The manifest's payload, NOT verified.

        Raises:
            MalformedDocument: it is not a well-formed release manifest.
        """
        try:
            return ReleaseManifest.model_validate(self.document.payload)
        except ValidationError as exc:
            raise MalformedDocument(describe(exc, "release manifest payload")) from None

    @property
    def frame(self) -> pd.DataFrame:
        """The released rows as a new DataFrame (read from :attr:`data`, unverified)."""
        if self._frame is None:
            return read_parquet(self.data)
        return self._frame.copy()

    def save(self, path: str | Path) -> Path:
        """Write the release as folder *path* (``data.parquet`` and ``manifest.json``).

        Both files are written and flushed under a temporary name beside *path*, which is then
        renamed into place in one step: a crash leaves either no release or a whole one.

        Raises:
            InputError: *path* already exists.
        """
        target = Path(path)
        if target.exists():
            raise InputError(f"{target} already exists; a release is never written over")
        temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
        temp.mkdir(parents=False)
        try:
            _write(temp / DATA_FILE, self.data)
            _write(temp / MANIFEST_FILE, self.manifest_text.encode("utf-8"))
            _fsync_dir(temp)
            temp.rename(target)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        _fsync_dir(target.parent)
        return target

    @classmethod
    def load(cls, path: str | Path) -> Release:
        """Read the release saved in folder *path* (NOT verified: pass it to ``ws.receive``).

        Raises:
            InputError: *path* is not a saved release (a file is missing or too large).
        """
        folder = Path(path)
        data_path, manifest_path = folder / DATA_FILE, folder / MANIFEST_FILE
        if not data_path.is_file() or not manifest_path.is_file():
            raise InputError(f"{folder} is not a saved release (no {DATA_FILE} / {MANIFEST_FILE})")
        if manifest_path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise InputError(f"{manifest_path} is larger than {MAX_DOCUMENT_BYTES} bytes")
        try:
            text = manifest_path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{manifest_path} is not UTF-8 text") from None
        return cls(text, data_path.read_bytes())

    def __repr__(self) -> str:
        try:
            m = self.manifest_unverified
        except MalformedDocument:
            return "Release(<malformed manifest>)"
        return f"Release(id={m.release_id!r}, agreement={m.agreement_id!r}, rows={m.rows_kept})"


@dataclass(frozen=True)
class Received:
    """What ``ws.receive()`` returns: the verified data and manifest (unpacks as a pair).

    Attributes:
        frame: the released rows.
        manifest: the verified manifest.
        duplicate: this release had been received here before (recorded, not counted again).
        audit_index: the index of this receipt's event in this store's log.
    """

    frame: pd.DataFrame
    manifest: ReleaseManifest
    duplicate: bool
    audit_index: int

    def __iter__(self) -> Iterator[Any]:
        yield self.frame
        yield self.manifest


def read_parquet(data: bytes) -> pd.DataFrame:
    """A DataFrame of Parquet *data*.

    Raises:
        InputError: *data* is not readable Parquet.
    """
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError):
        raise InputError("the release data is not readable Parquet") from None
    frame: pd.DataFrame = table.to_pandas()
    return frame


def parquet_bytes(table: pa.Table) -> bytes:
    """*table* as Parquet bytes (zstd, with statistics).

    Dictionary encoding is tried only on text and categorical columns: on numbers it rarely
    pays, and trying it costs about a third of the write.
    """
    textual = [
        f.name
        for f in table.schema
        if pa.types.is_string(f.type)
        or pa.types.is_large_string(f.type)
        or pa.types.is_dictionary(f.type)
    ]
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", use_dictionary=textual or False)
    return sink.getvalue()


def _write(path: Path, data: bytes) -> None:
    with path.open("xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
