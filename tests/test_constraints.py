"""Every declared constraint is enforced: walk every model's fields and prove a bad value is refused.

SQLModel's `Field(regex=...)` (and the other pydantic-v1 keywords) are dropped without a word by the installed
SQLModel, so a declaration alone proves nothing. Two walks:
- the source: no field declaration uses a keyword that is silently ignored;
- the models: for each constraint a model's JSON schema declares (length, pattern, bounds, item counts, enums),
  a value breaking it is refused by the model, with the error on that field and of the matching kind.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from api.metadata import load_all_models
from registry.bodies.models import BodyCreate, BodyUpdate
from registry.people.models import EmploymentIn

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("registry", "assessment", "certificates", "regulator", "api")
IGNORED_KEYWORDS = frozenset({"regex", "const", "unique_items", "min_items", "max_items", "allow_mutation"})
ERROR_KINDS = {
    "maxLength": {"string_too_long"},
    "minLength": {"string_too_short", "empty", "too_short"},
    "pattern": {"string_pattern_mismatch"},
    "maximum": {"less_than_equal"},
    "minimum": {"greater_than_equal"},
    "exclusiveMaximum": {"less_than"},
    "exclusiveMinimum": {"greater_than"},
    "maxItems": {"too_long"},
    "minItems": {"too_short"},
    "enum": {"enum", "literal_error"},
}


def _modules() -> Iterator[Any]:
    load_all_models()
    for package in PACKAGES:
        module = importlib.import_module(package)
        yield module
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if info.name.endswith("__main__"):
                continue
            yield importlib.import_module(info.name)


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for module in _modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseModel) and cls.__module__ == module.__name__:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[k] for k in sorted(found)]


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return root["$defs"][ref.rsplit("/", 1)[-1]]  # type: ignore[no-any-return]
    return schema


def _breaking(keyword: str, limit: Any, schema: dict[str, Any]) -> Any:
    """A value that breaks one constraint (and only by that constraint, as far as possible)."""
    if keyword == "maxLength":
        return "a" * (limit + 1)
    if keyword == "minLength":
        return ""
    if keyword == "pattern":
        return next(v for v in ("!", "a b", "１２３４５６", "٤٤") if not re.search(limit, v))
    if keyword in {"maximum", "exclusiveMaximum"}:
        return limit + 1 if keyword == "maximum" else limit
    if keyword in {"minimum", "exclusiveMinimum"}:
        return limit - 1 if keyword == "minimum" else limit
    item = schema.get("items", {})
    sample = item.get("enum", ["a"])[0] if isinstance(item, dict) else "a"
    if keyword == "maxItems":
        return [sample] * (limit + 1)
    if keyword == "minItems":
        return []
    if keyword == "enum":
        return "not-one-of-them"
    raise AssertionError(keyword)


def _constraints(model: type[BaseModel]) -> Iterator[tuple[str, str, Any, Any]]:
    """(field, keyword, limit, breaking value) for every constraint the model's schema declares."""
    root = model.model_json_schema()
    for name, declared in root.get("properties", {}).items():
        branches = [_resolve(b, root) for b in declared.get("anyOf", [declared])]
        for branch in branches:
            for keyword in ERROR_KINDS:
                if keyword in branch and not (keyword == "minLength" and branch[keyword] == 0):
                    if keyword == "minItems" and branch[keyword] == 0:
                        continue
                    yield name, keyword, branch[keyword], _breaking(keyword, branch[keyword], branch)
            items = branch.get("items")
            if isinstance(items, dict) and branch.get("type") == "array":
                items = _resolve(items, root)
                for keyword in ("maxLength", "pattern", "enum"):
                    if keyword in items:
                        yield name, f"items.{keyword}", items[keyword], [_breaking(keyword, items[keyword], items)]


CASES = [
    pytest.param(model, field, keyword, bad, id=f"{model.__name__}.{field}.{keyword}")
    for model in _models()
    for field, keyword, _, bad in _constraints(model)
]


def test_no_field_uses_a_keyword_sqlmodel_silently_ignores() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Field":
                    offenders += [
                        f"{path.relative_to(ROOT)}:{node.lineno} {kw.arg}"
                        for kw in node.keywords
                        if kw.arg in IGNORED_KEYWORDS
                    ]
    assert offenders == []


def test_the_walk_covers_the_formats_the_issue_named() -> None:
    walked = {(c.values[0].__name__, c.values[1], c.values[2]) for c in CASES}  # type: ignore[union-attr]
    assert ("BodyCreate", "site_code", "pattern") in walked
    assert ("BodyUpdate", "ministry_code", "pattern") in walked
    assert ("UserCreate", "username", "pattern") in walked
    assert ("AssessorCreate", "card_number", "pattern") in walked
    assert ("CompetitionRuleIn", "status", "enum") in walked
    assert len(CASES) > 150


@pytest.mark.parametrize(("model", "field", "keyword", "bad"), CASES)
def test_a_value_breaking_a_declared_constraint_is_refused(
    model: type[BaseModel], field: str, keyword: str, bad: Any
) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate({field: bad})
    kinds = ERROR_KINDS[keyword.removeprefix("items.")]
    on_field = [e for e in refused.value.errors() if e["loc"] and e["loc"][0] == field]
    assert any(e["type"] in kinds for e in on_field), (field, bad, on_field)


@pytest.mark.parametrize(
    "value", ["1970-01-01T00:00:00", 0, 1700000000, "2026-1-1", "２０２６-01-01", "1899-12-31", "2101-01-01"]
)
def test_dates_are_calendar_dates_in_range_written_yyyy_mm_dd(value: Any) -> None:
    with pytest.raises(ValidationError):
        EmploymentIn.model_validate({"employer_uscc": "x", "employer_name": "某公司", "starts_on": value})
    assert EmploymentIn.model_validate(
        {"employer_uscc": "x", "employer_name": "某公司", "starts_on": "2026-01-31"}
    ).starts_on == dt.date(2026, 1, 31)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"is_listed": None}, "is_listed"),
        ({"name": None}, "name"),
        ({"cert_category": "Q"}, "cert_category"),
        ({"site_code": "12A"}, "site_code"),
        ({"site_code": "1234567890"}, "site_code"),
        ({"site_code": "١٢٣٤٥٦"}, "site_code"),  # Arabic-Indic digits: pydantic's \\d would accept them
        ({"ministry_code": "ABCD"}, "ministry_code"),
        ({"ministry_code": None}, "ministry_code"),
    ],
    ids=str,
)
def test_a_partial_body_update_refuses_nulls_and_bad_codes(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        BodyUpdate.model_validate(data)
    assert [e["loc"][0] for e in refused.value.errors()] == [field]


def test_a_partial_update_may_still_clear_a_nullable_field() -> None:
    assert BodyUpdate.model_validate({"city_code": None}).model_dump(exclude_unset=True) == {"city_code": None}


def test_a_body_registration_refuses_what_the_issue_saw_stored() -> None:
    base = {"uscc": "x", "name": "某机构", "kind": "employer", "province_code": "44"}
    for bad in ({"ministry_code": "ABCD"}, {"site_code": "12A"}, {"cert_category": "Q"}, {"province_code": "4"}):
        with pytest.raises(ValidationError):
            BodyCreate.model_validate({**base, **bad})
