"""What ``ws.receive()`` checks before it returns any data: the content hash, the provider's
audit checkpoint, the agreement, and the data's shape against the manifest and the terms."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from sqlalchemy import Connection

from govshare.audit import SignedCheckpoint, parse_verifier_key
from govshare.exceptions import (
    DocumentMismatch,
    InputError,
    IntegrityError,
    RecordNotFound,
    ReleaseTampered,
)
from govshare.exchange._aggregates import RESULT_COLUMNS
from govshare.exchange._agreements import Agreements, terms_digest
from govshare.exchange._models import DataSharingAgreement
from govshare.exchange._release import AuditAnchor, ReleaseManifest

__all__ = ["check_checkpoint", "check_content", "check_data", "countersigned"]


def countersigned(
    agreements: Agreements, tx: Connection, manifest: ReleaseManifest, now: datetime
) -> DataSharingAgreement:
    """The agreement *manifest* was released under, if this department countersigned it, it
    names the same provider and terms, and it is active at *now*.

    Raises:
        DocumentMismatch: any of those does not hold.
    """
    try:
        agreement = agreements.get(manifest.agreement_id, at=now, conn=tx)
    except RecordNotFound:
        raise DocumentMismatch(
            f"agreement {manifest.agreement_id} is not one this department is party to"
        ) from None
    terms = agreement.terms
    if agreement.side != "requester" or agreement.countersigned_at is None:
        raise DocumentMismatch(
            f"agreement {manifest.agreement_id} was never countersigned by this department"
        )
    if terms.provider != manifest.provider:
        raise DocumentMismatch("the release's provider is not the agreement's provider")
    if terms.version != manifest.agreement_version or not hmac.compare_digest(
        terms_digest(terms), manifest.terms_sha256
    ):
        raise DocumentMismatch("the release was made under other terms than those signed")
    if agreement.status != "active":
        raise DocumentMismatch(
            f"agreement {manifest.agreement_id} is {agreement.status}, not active"
        )
    return agreement


def check_content(data: bytes, manifest: ReleaseManifest) -> None:
    """*data* is exactly what the manifest hashed (size, then SHA-256 in constant time).

    Raises:
        ReleaseTampered: it is not.
    """
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != manifest.content_bytes or not hmac.compare_digest(
        digest, manifest.content_sha256
    ):
        raise ReleaseTampered(
            f"release {manifest.release_id}: the data does not match the manifest's hash"
        )


def check_checkpoint(anchor: AuditAnchor, pinned: str | None) -> None:
    """The manifest's checkpoint is signed by the log key it names (or *pinned*, if given), is
    of that log, and covers the release's event.

    Raises:
        ReleaseTampered: any of those does not hold.
    """
    try:
        origin, key = parse_verifier_key(anchor.log_key)
        checkpoint = SignedCheckpoint.from_text_unverified(anchor.checkpoint)
        if pinned is not None and parse_verifier_key(pinned)[1] != key:
            raise ReleaseTampered("the manifest's log key is not the provider's known log key")
        checkpoint.verify(key, name=origin)
    except (InputError, IntegrityError) as exc:
        if isinstance(exc, ReleaseTampered):
            raise
        raise ReleaseTampered("the manifest's audit checkpoint does not verify") from None
    if checkpoint.origin != anchor.origin or origin != anchor.origin:
        raise ReleaseTampered("the manifest's checkpoint is of another log")
    if checkpoint.size <= anchor.index:
        raise ReleaseTampered("the manifest's checkpoint does not cover the release's event")


def check_data(data: bytes, manifest: ReleaseManifest, agreement: DataSharingAgreement) -> Any:
    """The rows of *data* as a DataFrame, once its columns and rows match the manifest and every
    column is granted by the agreement as the manifest says.

    Raises:
        ReleaseTampered: unreadable Parquet, or other columns or rows than the manifest's.
        DocumentMismatch: a column the agreement does not grant (so).
    """
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError):
        raise ReleaseTampered("the release data is not readable Parquet") from None
    names = (
        list(RESULT_COLUMNS)
        if manifest.kind == "aggregates"
        else [c.name for c in manifest.columns]
    )
    if table.column_names != names or table.num_rows != manifest.rows_kept:
        raise ReleaseTampered("the release data's columns or rows differ from its manifest")
    granted = {(c.name, c.category, c.treatment) for c in agreement.terms.columns}
    outside = [c.name for c in manifest.columns if (c.name, c.category, c.treatment) not in granted]
    if outside:
        raise DocumentMismatch(f"the release holds columns the agreement does not grant: {outside}")
    return table.to_pandas()
