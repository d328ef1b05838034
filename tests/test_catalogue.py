"""Reference data and the occupation importer (service and `registry import occupations`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.cli import app as cli
from registry.catalogue.loader import load_reference_data
from registry.catalogue.models import (
    City,
    Dimension,
    Equivalence,
    Grade,
    Occupation,
    ProfessionalTitle,
    Province,
    SourceStatus,
)
from registry.catalogue.service import import_occupations
from registry.db import make_engine, session_scope
from registry.errors import InvalidInput
from registry.tabular import read_table

HEADER = "code,name_zh,name_en,sector,levels,work_types,standard_ref\n"
COLUMNS = ("code", "name_zh", "name_en", "sector", "levels", "work_types", "standard_ref")


def _rows(text: str, *, encoding: str = "utf-8") -> list:
    return read_table((HEADER + text).encode(encoding), filename="x.csv", required=COLUMNS, optional=("source",))


class TestReferenceData:
    def test_loading_twice_changes_nothing(self, session: Session) -> None:
        assert set(load_reference_data(session).values()) == {0}

    def test_eight_grades(self, session: Session) -> None:
        assert len(session.exec(select(Grade)).all()) == 8

    def test_occupation_subset_spans_the_sectors(self, session: Session) -> None:
        occupations = session.exec(select(Occupation)).all()
        assert len(occupations) >= 30
        sectors = Counter(o.sector.value for o in occupations)
        assert {"manufacturing", "services", "care", "construction", "digital"} <= set(sectors)
        assert all(o.source for o in occupations)

    def test_some_occupations_lack_a_complete_ladder(self, session: Session) -> None:
        health_manager = session.get(Occupation, "4-14-02-02")
        welder = session.get(Occupation, "6-18-02-04")
        assert health_manager is not None and not health_manager.complete_ladder
        assert welder is not None and welder.complete_ladder

    def test_provinces_and_guangdong_cities(self, session: Session) -> None:
        assert len(session.exec(select(Province)).all()) == 34
        assert len(session.exec(select(City).where(City.province_code == "44")).all()) == 21

    def test_every_equivalence_has_a_source_and_status(self, session: Session) -> None:
        entries = session.exec(select(Equivalence)).all()
        assert {e.source_ref for e in entries} >= {"000:48", "004:288"}
        outside = [e for e in entries if not e.source_ref[:3].isdigit()]
        assert outside
        assert all(e.status == SourceStatus.UNVERIFIED for e in outside)

    @pytest.mark.parametrize(
        ("document", "window"),
        [
            pytest.param("000", (dt.date(2025, 6, 23), dt.date(2027, 12, 31)), id="000-2025-2027"),
            pytest.param("004", (dt.date(2019, 10, 18), dt.date(2021, 12, 31)), id="004-2019-2021"),
        ],
    )
    def test_each_entry_carries_its_documents_effective_window(
        self, session: Session, document: str, window: tuple[dt.date, dt.date]
    ) -> None:
        entries = [e for e in session.exec(select(Equivalence)).all() if e.source_ref.startswith(f"{document}:")]
        assert entries
        assert {(e.effective_on, e.ends_on) for e in entries} == {window}

    def test_004_288_is_pay_and_benefit_parity_not_a_title(self, session: Session) -> None:
        entries = session.exec(select(Equivalence).where(Equivalence.source_ref == "004:288")).all()
        assert {e.dimension for e in entries} == {Dimension.PAY_BENEFITS}

    def test_a_title_no_longer_shipped_and_cited_by_nothing_is_removed(self, session: Session) -> None:
        session.add(
            ProfessionalTitle(
                code="professorate_senior_engineer", ordinal=9, name_zh="正高级工程师", name_en="x", tier_zh="正高级"
            )
        )
        session.flush()
        assert load_reference_data(session)["professional_title"] == 1
        assert session.get(ProfessionalTitle, "professorate_senior_engineer") is None


class TestImportOccupations:
    def test_new_rows_are_created_and_known_rows_updated(self, session: Session) -> None:
        rows = _rows(
            "6-18-01-07,多工序数控机床操作调整工,Multi-process CNC operator,manufacturing,54321,,\n"
            "6-18-02-04,焊工,Welder (renamed),manufacturing,5|4|3|2|1,,国家职业技能标准《焊工》\n"
        )
        report = import_occupations(session, rows)
        assert (report.created, report.updated) == (1, 1)
        welder = session.get(Occupation, "6-18-02-04")
        assert welder is not None and welder.name_en == "Welder (renamed)"

    def test_one_bad_row_among_many_changes_nothing_and_names_every_bad_row(self, session: Session) -> None:
        good = "".join(f"6-99-{i // 100:02d}-{i % 100:02d},职业{i},Occupation {i},other,54321,,\n" for i in range(300))
        bad = "6-99-9,坏编码,Bad,other,54321,,\n" + "6-99-98-01,,No name,martian,9,,\n"
        with pytest.raises(InvalidInput) as refused:
            import_occupations(session, _rows(good + bad))
        assert refused.value.extra["bad_rows"] == [302, 303]
        fields = {(e["line"], e["field"]) for e in refused.value.extra["errors"]}
        assert fields == {(302, "code"), (303, "name_zh"), (303, "sector"), (303, "levels")}
        assert session.get(Occupation, "6-99-00-00") is None

    def test_duplicate_codes_in_one_file_are_refused(self, session: Session) -> None:
        with pytest.raises(InvalidInput) as refused:
            import_occupations(session, _rows("6-99-00-01,甲,A,other,5,,\n6-99-00-01,乙,B,other,5,,\n"))
        assert refused.value.extra["bad_rows"] == [3]
        assert "repeats line 2" in refused.value.en

    def test_missing_column_is_refused_before_any_row(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            read_table(b"code,name_zh\n6-99-00-01,x\n", filename="x.csv", required=COLUMNS)
        assert "sector" in refused.value.extra["missing"]

    def test_gb18030_files_from_excel_are_read(self, session: Session) -> None:
        rows = _rows("6-99-00-02,测试职业,Test,other,543,,\n", encoding="gb18030")
        import_occupations(session, rows)
        imported = session.get(Occupation, "6-99-00-02")
        assert imported is not None and imported.name_zh == "测试职业"


class TestImportCommand:
    def test_cli_imports_a_good_file(self, committed_url: str, tmp_path: Path) -> None:
        file = tmp_path / "occupations.csv"
        file.write_text(HEADER + "6-98-00-01,命令行导入,CLI import,other,54321,,\n", encoding="utf-8")
        result = CliRunner().invoke(cli, ["import", "occupations", str(file)])
        assert result.exit_code == 0, result.output
        assert "1 created" in result.output
        engine = make_engine(committed_url)
        with session_scope(engine) as s:
            assert s.get(Occupation, "6-98-00-01") is not None
        engine.dispose()

    def test_cli_refuses_a_bad_file_and_names_the_rows(self, committed_url: str, tmp_path: Path) -> None:
        file = tmp_path / "occupations.csv"
        file.write_text(HEADER + "6-98-00-02,好,Good,other,5,,\n6-98-00,坏,Bad,other,5,,\n", encoding="utf-8")
        result = CliRunner().invoke(cli, ["import", "occupations", str(file)])
        assert result.exit_code == 1
        assert "line 3" in result.output
        engine = make_engine(committed_url)
        with session_scope(engine) as s:
            assert s.get(Occupation, "6-98-00-02") is None
        engine.dispose()
