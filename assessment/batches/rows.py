"""The rows of a batch's uploads, typed: candidates (enrolment), scores, and results (candidates with scores).

The fields are the columns (required without a default, in header order); registry.tabular.parse_rows types a
table's rows and names every refused cell. Names and ID numbers stay text here: the person's own model
(PersonCreate) judges them when the row is enrolled, with the words it always used.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator

from assessment.batches import scoring
from registry.filings.rules import EvaluationMethod
from registry.people.models import ID_TYPE_REFUSED, EmploymentIn, IdType, PersonCreate
from registry.tabular import RowMessage, UploadRow

YES = frozenset({"1", "true", "yes", "是", "y"})


def _score(value: object) -> Decimal:
    try:
        score = Decimal(str(value))
        scoring.to_tenths(score)
    except (ValueError, InvalidOperation) as error:
        raise ValueError(str(error)) from None
    return score


def _yes(value: object) -> bool:
    return value is True or str(value).lower() in YES


def _day(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


SCORE_REFUSED = RowMessage(
    "考核项目或分数无效（0-100，最多一位小数）",
    "unknown component or a score outside 0–100 with one decimal",
    field="component/score",
)


class CandidateRow(UploadRow):
    """A candidate to enrol: the person, and optionally their employer (employment since 2000-01-01 by default)."""

    name: str
    id_number: str
    id_type: Annotated[IdType, ID_TYPE_REFUSED] = IdType.RESIDENT_ID
    employer_uscc: str = ""
    employer_name: str = ""
    dispatched: Annotated[bool, BeforeValidator(_yes)] = False
    employed_since: Annotated[dt.date, BeforeValidator(_day)] = dt.date(2000, 1, 1)

    @property
    def identity(self) -> tuple[str, str]:
        """(ID type, ID number) as a batch keys its candidates."""
        return self.id_type.value, self.id_number.upper()

    def person(self) -> PersonCreate:
        """The person to register (or find) for this row."""
        employment = None
        if self.employer_uscc:
            employment = EmploymentIn(
                employer_uscc=self.employer_uscc,
                employer_name=self.employer_name or self.employer_uscc,
                dispatched=self.dispatched,
                starts_on=self.employed_since,
            )
        return PersonCreate(name=self.name, id_type=self.id_type, id_number=self.id_number, employment=employment)


class ScoreRow(UploadRow):
    """One score of the calling assessor for one enrolled candidate."""

    id_number: str
    component: Annotated[EvaluationMethod, SCORE_REFUSED]
    score: Annotated[Decimal, BeforeValidator(_score), SCORE_REFUSED]
    name: str = ""
    id_type: str = "resident_id"  # only a key into the batch's candidates: an unknown type finds no one

    @property
    def identity(self) -> tuple[str, str]:
        """(ID type, ID number) as a batch keys its candidates."""
        return self.id_type, self.id_number.upper()


RESULT_REFUSED = RowMessage(
    "考核项目或分数无效（0-100，最多一位小数）",
    "unknown component, or a score outside 0–100 with one decimal",
    field="component/score",
)


class ResultRow(CandidateRow):
    """A results table's row: one assessor's score for one candidate, who is enrolled if missing."""

    FIRST_COLUMNS = ("id_number", "name", "component", "score", "assessor_card")
    component: Annotated[EvaluationMethod, RESULT_REFUSED]
    score: Annotated[Decimal, BeforeValidator(_score), RESULT_REFUSED]
    assessor_card: str
