"""The rule modules; importing this package registers every rule."""

from __future__ import annotations

from govshare.compliance._rules import audit, consent, dp, pseudonym, release, request, tokens

__all__ = ["audit", "consent", "dp", "pseudonym", "release", "request", "tokens"]
