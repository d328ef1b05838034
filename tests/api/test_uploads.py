"""Bulk uploads: one bad row among a thousand changes nothing; oversized files are refused; Excel works."""

from __future__ import annotations

import io
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from api.cli import app as cli
from assessment.batches.models import Candidate, Score
from registry.actor import Role
from registry.bodies.models import EvaluationBody
from registry.db import make_engine, session_scope
from registry.grades import GradeCode
from registry.settings import Settings
from tests.conftest import ClientFactory
from tests.factories import (
    SYSTEM,
    Batch,
    han_number,
    login,
    make_batch,
    make_body,
    make_filing,
    make_person,
    make_user,
    valid_id,
)


def _setup(session: Session, settings: Settings) -> tuple[EvaluationBody, Batch, str]:
    body = make_body(session)
    make_filing(session, settings, body=body)
    batch = make_batch(session, settings, body=body, grade=GradeCode.JUNIOR, assessors=2, open_it=False)
    admin = make_user(session, settings, role=Role.BODY_ADMIN, body=body)
    return body, batch, admin.username


def _count(session: Session, batch: Batch) -> int:
    return session.exec(select(func.count()).select_from(Candidate).where(Candidate.session_id == batch.exam.id)).one()


class TestEnrolmentUpload:
    def test_one_bad_row_among_a_thousand_changes_nothing(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        body, batch, admin = _setup(session, settings)
        lines = ["name,id_number,employer_uscc,employer_name"]
        lines += [f"员工{han_number(i)},{valid_id()},{body.uscc},本厂" for i in range(1000)]
        lines[700] = f"员工700,{valid_id()[:17]}Y,{body.uscc},本厂"
        response = client.post(
            f"/api/v1/sessions/{batch.exam.id}/candidates/upload",
            headers=login(client, admin),
            files={"file": ("c.csv", "\n".join(lines).encode(), "text/csv")},
        )
        assert response.status_code == 400
        body_json = response.json()
        assert body_json["bad_rows"] == [701]
        assert "第701行" in body_json["detail_zh"]
        assert _count(session, batch) == 0

    def test_oversized_upload_is_413_and_changes_nothing(
        self, client_for: ClientFactory, session: Session, settings: Settings
    ) -> None:
        body, batch, admin = _setup(session, settings)
        client = client_for(settings.model_copy(update={"max_upload_bytes": 2048}))
        lines = ["name,id_number,employer_uscc,employer_name"] + [
            f"员工{han_number(i)},{valid_id()},{body.uscc},本厂" for i in range(200)
        ]
        response = client.post(
            f"/api/v1/sessions/{batch.exam.id}/candidates/upload",
            headers=login(client, admin),
            files={"file": ("c.csv", "\n".join(lines).encode(), "text/csv")},
        )
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
        assert _count(session, batch) == 0

    def test_excel_upload_enrols(self, client: TestClient, session: Session, settings: Settings) -> None:
        body, batch, admin = _setup(session, settings)
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["name", "id_number", "employer_uscc", "employer_name"])
        for i in range(5):
            sheet.append([f"员工{han_number(i)}", valid_id(), body.uscc, body.name])
        data = io.BytesIO()
        book.save(data)
        response = client.post(
            f"/api/v1/sessions/{batch.exam.id}/candidates/upload",
            headers=login(client, admin),
            files={"file": ("c.xlsx", data.getvalue(), "application/octet-stream")},
        )
        assert response.status_code == 201, response.text
        assert _count(session, batch) == 5

    def test_other_file_types_are_refused(self, client: TestClient, session: Session, settings: Settings) -> None:
        _, batch, admin = _setup(session, settings)
        response = client.post(
            f"/api/v1/sessions/{batch.exam.id}/candidates/upload",
            headers=login(client, admin),
            files={"file": ("c.pdf", b"%PDF", "application/pdf")},
        )
        assert response.status_code == 400
        assert "xlsx" in response.json()["detail"]


class TestImportResultsCommand:
    def test_cli_enrols_and_scores_with_one_transaction(self, committed_url: str, tmp_path: Path) -> None:
        from registry.settings import get_settings

        settings = get_settings()
        engine = make_engine(committed_url)
        with session_scope(engine) as s:
            body = make_body(s)
            make_filing(s, settings, body=body)
            batch = make_batch(s, settings, body=body, grade=GradeCode.JUNIOR, assessors=2)
            cards = [a.card_number for a in batch.assessors]
            people = [(f"工人{han_number(i)}", valid_id()) for i in range(4)]
            existing = make_person(s, settings, employer=body, actor=SYSTEM)
            session_id = batch.exam.id
            uscc = body.uscc
        lines = ["id_number,name,component,score,assessor_card,employer_uscc,employer_name"]
        for name, number in people:
            for card in cards:
                for component in ("theory_exam", "skill_operation"):
                    lines.append(f"{number},{name},{component},75,{card},{uscc},本厂")
        file = tmp_path / "results.csv"
        file.write_text("\n".join(lines), encoding="utf-8")
        result = CliRunner().invoke(cli, ["import", "results", str(file), "--session", str(session_id)])
        assert result.exit_code == 0, result.output
        assert "4 candidates enrolled, 16 scores recorded" in result.output
        with session_scope(engine) as s:
            assert s.exec(select(func.count()).select_from(Score)).one() == 16
        bad = tmp_path / "bad.csv"
        bad.write_text(
            "\n".join(
                [
                    *lines[:1],
                    f"{valid_id()},某人,theory_exam,75,{cards[0]},{uscc},本厂",
                    f"{existing.id},某人,theory_exam,150,{cards[0]},{uscc},本厂",
                ]
            ),
            encoding="utf-8",
        )
        refused = CliRunner().invoke(cli, ["import", "results", str(bad), "--session", str(session_id)])
        assert refused.exit_code == 1
        assert "line 3" in refused.output
        with session_scope(engine) as s:
            assert s.exec(select(func.count()).select_from(Candidate)).one() == 4
        engine.dispose()
