"""The rule families, one module each; importing this package registers every rule in order."""

from __future__ import annotations

from govshare.compliance._rules import audit, consent, dp, exchange, pseudonym, release, tokens

__all__ = ["audit", "consent", "dp", "exchange", "pseudonym", "release", "tokens"]
