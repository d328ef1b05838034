"""The filter every regulator query takes: a month range and who/what/where, checked once."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from registry.bodies.models import BodyKind
from registry.clock import today
from registry.errors import InvalidInput
from registry.grades import GradeCode

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(value: str | None, field: str) -> dt.date | None:
    """'2026-03' → 2026-03-01; None stays None; anything else is refused naming the field."""
    if value is None:
        return None
    match = MONTH.match(value)
    if match is None or not 2000 <= int(match.group(1)) <= 2100:
        raise InvalidInput(
            f"{field} 须为年月 YYYY-MM（2000-2100）",
            f"{field} must be a month YYYY-MM (2000-2100)",
            extra={"field": field},
        )
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def month_end(first: dt.date) -> dt.date:
    """The last day of first's month."""
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


@dataclass(frozen=True)
class StatsFilter:
    """Months from/to (inclusive, first days) and optional body, kind, region, occupation and grade."""

    month_from: dt.date
    month_to: dt.date
    body_id: uuid.UUID | None = None
    body_kind: BodyKind | None = None
    province_code: str | None = None
    city_code: str | None = None
    occupation_code: str | None = None
    grade: GradeCode | None = None

    @classmethod
    def build(
        cls,
        *,
        month_from: str | None = None,
        month_to: str | None = None,
        body_id: uuid.UUID | None = None,
        body_kind: BodyKind | None = None,
        province_code: str | None = None,
        city_code: str | None = None,
        occupation_code: str | None = None,
        grade: GradeCode | None = None,
    ) -> StatsFilter:
        """Parse and check; the default range is the last twelve months including this one."""
        now = today()
        end = parse_month(month_to, "to") or dt.date(now.year, now.month, 1)
        start = parse_month(month_from, "from") or dt.date(end.year - 1, end.month, 1) + dt.timedelta(days=32)
        start = start.replace(day=1)
        if start > end:
            raise InvalidInput("起始月份晚于结束月份", "from is after to", extra={"field": "from"})
        if (end.year - start.year) * 12 + end.month - start.month > 12 * 50:
            raise InvalidInput(
                "时间范围过长（最多 50 年）", "range too long (at most 50 years)", extra={"field": "from"}
            )
        return cls(start, end, body_id, body_kind, province_code, city_code, occupation_code, grade)

    @property
    def first_day(self) -> dt.date:
        """The first day in range."""
        return self.month_from

    @property
    def last_day(self) -> dt.date:
        """The last day in range."""
        return month_end(self.month_to)

    def as_dict(self) -> dict[str, str | None]:
        """The filter as shown in answers and exports."""
        return {
            "from": f"{self.month_from:%Y-%m}",
            "to": f"{self.month_to:%Y-%m}",
            "body_id": str(self.body_id) if self.body_id else None,
            "body_kind": self.body_kind.value if self.body_kind else None,
            "province_code": self.province_code,
            "city_code": self.city_code,
            "occupation_code": self.occupation_code,
            "grade": self.grade.value if self.grade else None,
        }
