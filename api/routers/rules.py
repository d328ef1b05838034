"""The public rule catalogue: every rule with its messages, provenance, citation and quoted phrase."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import Field, SQLModel

from api.deps import SettingsDep
from assessment.batches.eligibility import ELIGIBILITY_RULES
from assessment.recognition.rules import RECOGNITION_RULES
from registry.awards.rules import APPOINTMENT_RULES
from registry.errors import InvalidInput
from registry.filings.rules import FILING_RULES
from registry.rules import PROVENANCE_EN, PROVENANCE_ZH, Provenance, RuleSet

router = APIRouter(prefix="/api/v1", tags=["rules"])

RULE_SETS: tuple[RuleSet[Any], ...] = (FILING_RULES, ELIGIBILITY_RULES, RECOGNITION_RULES, APPOINTMENT_RULES)


class CitedPhrase(SQLModel):
    """A clause a rule's messages name, with the phrase of it meant."""

    ref: str
    phrase: str


class RulePublic(SQLModel):
    """One rule: what it says, where it comes from, and the phrase of the cited line it rests on."""

    id: str
    ruleset: str
    ruleset_version: str
    title_zh: str
    title_en: str
    message_zh: str
    message_en: str
    provenance: Provenance
    provenance_zh: str
    citation: str | None = Field(description="file:line in ../shared/policy (or §9); null for a registry rule")
    phrase: str | None = Field(description="the words of the cited line the rule rests on")
    related: list[CitedPhrase]
    switched_off_without_draft: bool


class RuleSetPublic(SQLModel):
    """A versioned rule set."""

    name: str
    version: str


class ProvenanceNote(SQLModel):
    """What a provenance value means."""

    provenance: Provenance
    zh: str
    en: str


class RuleCatalogue(SQLModel):
    """Every rule the registry applies."""

    rulesets: list[RuleSetPublic]
    draft_rules_jurisdictions: list[str]
    provenances: list[ProvenanceNote]
    items: list[RulePublic]


@router.get("/rules", response_model=RuleCatalogue)
def list_rules(
    settings: SettingsDep,
    ruleset: Annotated[
        str | None, Query(max_length=32, description="filing, eligibility, recognition, appointment")
    ] = None,
    provenance: Provenance | None = None,
) -> RuleCatalogue:
    """List every rule: id, messages (zh/en), provenance, citation, the quoted phrase and the rule-set version.

    Draft rules (document 001, 征求意见稿) apply only in `draft_rules_jurisdictions`; elsewhere they are off and
    the registry rules that stand in for them refuse what they would permit.
    """
    names = [s.name for s in RULE_SETS]
    if ruleset is not None and ruleset not in names:
        raise InvalidInput(
            f"未知的规则集 ruleset={ruleset!r}；可用值：{', '.join(names)}",
            f"unknown ruleset={ruleset!r}; accepted: {', '.join(names)}",
            extra={"field": "ruleset", "accepted": names},
        )
    items = [
        RulePublic.model_validate(rule)
        for rule_set in RULE_SETS
        if ruleset in (None, rule_set.name)
        for rule in rule_set.describe()
        if provenance in (None, rule["provenance"])
    ]
    return RuleCatalogue(
        rulesets=[RuleSetPublic(name=s.name, version=s.version) for s in RULE_SETS],
        draft_rules_jurisdictions=list(settings.draft_rules_jurisdictions),
        provenances=[ProvenanceNote(provenance=p, zh=PROVENANCE_ZH[p], en=PROVENANCE_EN[p]) for p in Provenance],
        items=items,
    )
