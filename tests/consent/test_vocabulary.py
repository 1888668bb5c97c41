"""Vocabulary: built-in PIPL catalogues, DPV alignment, bilingual labels, extension, refusal of unknown codes."""

from __future__ import annotations

import json

import pytest

from govshare import Workspace
from govshare.consent import Term, Vocabulary
from govshare.exceptions import InputError


def test_builtin_has_the_design_codes_and_seven_legal_bases() -> None:
    """The examples' codes exist, and the legal bases are exactly PIPL Art. 13's seven."""
    vocab = Vocabulary.builtin()
    assert vocab.term("purpose", "subsidy-eligibility").dpv == "https://w3id.org/dpv#PublicBenefit"
    for code in ("identity", "income", "medical-health"):
        vocab.term("category", code)
    bases = vocab.terms("legal-basis")
    assert len(bases) == 7
    assert sorted(b.pipl for b in bases if b.pipl) == [f"Art. 13({i})" for i in range(1, 8)]
    assert len(vocab.terms("purpose")) >= 20
    assert len(vocab.terms("category")) >= 20


def test_sensitive_categories_are_flagged() -> None:
    """PIPL Art. 28 categories (and all information of children under 14) are sensitive, others not."""
    vocab = Vocabulary.builtin()
    sensitive = {t.code for t in vocab.terms("category") if t.sensitive}
    assert {
        "biometrics",
        "religion",
        "specific-identity",
        "medical-health",
        "financial-account",
        "whereabouts",
        "minor-information",
    } <= sensitive
    assert "income" not in sensitive
    assert "identity" not in sensitive


def test_every_term_has_both_labels() -> None:
    """Every built-in term carries a Chinese and an English label."""
    vocab = Vocabulary.builtin()
    for kind in ("purpose", "category", "legal-basis"):
        for term in vocab.terms(kind):
            assert term.label_en
            assert any("\u4e00" <= ch <= "\u9fff" for ch in term.label_zh)


def test_unknown_codes_are_refused_without_echoing_odd_values() -> None:
    """An unknown code raises InputError; a value that is not code-shaped is not repeated."""
    vocab = Vocabulary.builtin()
    with pytest.raises(InputError, match="'telepathy'"):
        vocab.term("purpose", "telepathy")
    with pytest.raises(InputError) as info:
        vocab.term("category", "11010119900307123X")
    assert "11010119900307123X" not in str(info.value)


def test_extension_by_configuration() -> None:
    """A JSON configuration adds purposes and categories; legal bases and redefinitions are refused."""
    config = {
        "purposes": [{"code": "flood-relief", "label_en": "Flood relief", "label_zh": "防汛救灾"}],
        "categories": [
            {"code": "boat-licence", "label_en": "Boat licence", "label_zh": "船舶执照"}
        ],
    }
    vocab = Vocabulary.from_config(json.dumps(config))
    assert vocab.term("purpose", "flood-relief").label_zh == "防汛救灾"
    with pytest.raises(InputError, match="cannot be extended"):
        vocab.extend("legal-basis", [])
    with pytest.raises(InputError, match="another definition"):
        vocab.extend("category", [Term(code="income", label_en="x", label_zh="收")])
    with pytest.raises(InputError, match="keys"):
        Vocabulary.from_config('{"legal_bases": []}')


def test_registry_terms_are_stored_and_audited(workspace: Workspace) -> None:
    """add_terms() persists new codes (a new registry object sees them) and records an audit event."""
    term = Term(code="flood-relief", label_en="Flood relief", label_zh="防汛救灾")
    workspace.consents.add_terms("purpose", [term])
    assert workspace.audit.tail(1)[0].event.type == "consent.vocabulary_extended"
    from govshare.consent import ConsentRegistry

    fresh = ConsentRegistry(
        workspace.store, workspace.audit, pseudonyms=workspace.consents._pseudonyms, controller="x"
    )
    assert fresh.vocabulary.term("purpose", "flood-relief") == term
