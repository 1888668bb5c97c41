"""The audit policy: thresholds a check applies, from a YAML file validated with pydantic."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import Field, ValidationError

from govshare._models import Record, describe
from govshare.exceptions import InputError

__all__ = ["Policy", "load_policy"]

Principal = Annotated[str, Field(min_length=1, max_length=200)]


class Policy(Record):
    """Thresholds of a compliance check. Every field has a default; a policy file overrides some.

    Durations are ISO 8601 (``P30D``, ``PT12H``) or seconds.

    Attributes:
        max_token_lifetime: longest validity (``exp - nbf``) a token may have.
        key_rotation_age: oldest a token-signing key version may be when it signs.
        reidentify_principals: actors allowed to re-identify pseudonyms; ``None`` accepts any
            named actor (the report then says the principals were not constrained).
        decision_deadline_working_days: working days a provider has to decide a request
            (rules over requests, once the exchange records them).
        retention_grace: how long past an agreement's retention data may stay without a
            deletion attestation (rules over releases, once the exchange records them).
        require_checkpoint_coverage: whether entries after the newest signed checkpoint fail
            ``audit-checkpoint-coverage``.
        max_evidence: most evidence entries (each with its proof) listed per finding.
    """

    max_token_lifetime: timedelta = timedelta(days=30)
    key_rotation_age: timedelta = timedelta(days=365)
    reidentify_principals: tuple[Principal, ...] | None = None
    decision_deadline_working_days: Annotated[int, Field(ge=1, le=60)] = 10
    retention_grace: timedelta = timedelta(days=30)
    require_checkpoint_coverage: bool = True
    max_evidence: Annotated[int, Field(ge=1, le=10_000)] = 50


def load_policy(path: str | Path) -> Policy:
    """Read and validate a YAML policy file.

    Raises:
        InputError: the file cannot be read, is not YAML mapping, or has an invalid field.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the policy file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise InputError(f"the policy file {path} is not valid YAML") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"the policy file {path} must hold a mapping of settings")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise InputError(describe(exc, "policy")) from None
