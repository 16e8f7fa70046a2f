"""Reports: exact figures on a small world, small-cell suppression in what leaves the ERN, access, constant queries."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import AccountRequest
from app.accounts.models import Role
from app.database import db
from app.database import utcnow
from app.panels import services as panel_services
from app.panels.models import ClosingReason
from app.panels.models import Contribution
from app.panels.models import FollowUp
from app.panels.models import Outcome
from app.panels.models import Panel
from app.panels.models import PanelMember
from app.panels.models import Phase
from app.reports import queries
from app.reports import tables
from app.reports.queries import CentreFigures
from app.reports.queries import Period
from app.reports.queries import Report
from app.reports.queries import Scope
from app.tasks.models import OpenTask
from app.tasks.models import SlaRule
from app.workflows.models import InstanceEvent
from app.workflows.models import ProcessInstance
from tests import factories


def _days_ago(days: float):
    return utcnow() - timedelta(days=days)


def _period_args() -> str:
    today = utcnow().date()
    return f"from={(today - timedelta(days=200)).isoformat()}&to={today.isoformat()}"


def _panel(world, user, patient, *, created_days_ago: float, **answers) -> Panel:
    panel = db.session.get(Panel, factories.open_panel(user, patient, **answers))
    panel.created_at = _days_ago(created_days_ago)
    return panel


@pytest.fixture
def reported(world):
    """Three panels in EuroBloodNet (two at Leuven, one at Brno) with contributions, an outcome, closings,
    invitations, follow-up answers, account requests and a service level."""
    leuven_patient = factories.enrol(world.clinician, world.leuven, world.ern)
    brno_patient = factories.enrol(world.brno_clinician, world.brno, world.ern)
    a = _panel(world, world.clinician, leuven_patient, created_days_ago=100, urgent="yes", diagnosis="ORPHA:85443")
    b = _panel(world, world.clinician, leuven_patient, created_days_ago=90, diagnosis="ORPHA:85443")
    c = _panel(world, world.brno_clinician, brno_patient, created_days_ago=80)
    db.session.commit()
    panel_services.close_now(world.brno_clinician, c.id, "withdrawn", "", factories.ORIGIN)
    factories.give_areas(world.brno_clinician, world.ern)
    panel_services.invite_experts(world.clinician, b.id, [world.brno_clinician.id], factories.ORIGIN)
    # Panel A: contributions after 10 h (Brno, 30 min) and 20 h (Leuven, 15 min), signed after 48 h, closed after 72 h.
    db.session.add_all(
        [
            Contribution(panel_id=a.id, author_id=world.brno_clinician.id, minutes_spent=30, created_at=a.created_at + timedelta(hours=10)),
            Contribution(panel_id=a.id, author_id=world.colleague.id, minutes_spent=15, created_at=a.created_at + timedelta(hours=20)),
            Contribution(panel_id=b.id, author_id=world.colleague.id, minutes_spent=60, created_at=b.created_at + timedelta(hours=30)),
            Outcome(panel_id=a.id, signed_at=a.created_at + timedelta(hours=48)),
        ]
    )
    a.phase, a.closing_reason, a.closed_at = Phase.CLOSED, ClosingReason.ADVICE_GIVEN, a.created_at + timedelta(hours=72)
    c.closed_at = c.created_at + timedelta(hours=24)
    invitation = db.session.scalar(select(PanelMember).where(PanelMember.panel_id == b.id, PanelMember.user_id == world.brno_clinician.id))
    invitation.invited_at = b.created_at + timedelta(hours=1)
    db.session.add(
        PanelMember(
            panel_id=a.id, user_id=world.brno_clinician.id, status="accepted", invited_by_id=world.clinician.id, invited_at=a.created_at
        )
    )
    db.session.add(
        PanelMember(
            panel_id=c.id, user_id=world.colleague.id, status="declined", invited_by_id=world.brno_clinician.id, invited_at=c.created_at
        )
    )
    db.session.flush()
    outcome_id = db.session.scalar(select(Outcome.id).where(Outcome.panel_id == a.id))
    for months, followed, diagnosis in ((3, "fully", "confirmed"), (6, "not", "changed"), (12, "partly", "confirmed"), (12, "", "")):
        db.session.add(
            FollowUp(
                panel_id=a.id, outcome_id=outcome_id, months=months, advice_followed=followed, diagnosis=diagnosis, answered_at=_days_ago(5)
            )
        )
    for hours, status in ((24, "approved"), (48, "approved"), (None, "waiting")):
        created = _days_ago(10)
        db.session.add(
            AccountRequest(
                email=f"{status}{hours}@example.org",
                first_name="A",
                last_name="B",
                ern_id=world.ern.id,
                centre_id=world.leuven.id,
                role="member_expert",
                specialisation="",
                reason="",
                status=status,
                created_at=created,
                decided_at=created + timedelta(hours=hours) if hours else None,
            )
        )
    # Service level: 24 h to fill the consultation. Every panel's was filled at once, and one more completion took 48 h.
    db.session.add(SlaRule(ern_id=world.ern.id, task_name="fill_consultation", hours=24))
    instance = db.session.get(ProcessInstance, a.instance_id)
    instance.created_at = _days_ago(3)
    db.session.add(
        InstanceEvent(instance_id=instance.id, engine_task_id="late", task_name="fill_consultation", label="", kind="task", at=_days_ago(1))
    )
    task = db.session.scalars(select(OpenTask).where(OpenTask.ern_id == world.ern.id)).first()
    task.due_at, task.sla_due_at = None, utcnow() - timedelta(hours=1)
    db.session.commit()
    return {"a": a, "b": b, "c": c}


def _report(world, **scope) -> queries.Report:
    today = datetime.combine(utcnow().date(), time.min, UTC)
    period = queries.Period(today - timedelta(days=200), today + timedelta(days=1))
    return queries.report(queries.Scope(world.ern.id, **scope), period, utcnow())


def test_the_ern_report_counts_panels_times_invitations_contributions_and_follow_up_exactly(world, reported):
    result = _report(world)
    assert result.opened == 3
    assert result.closed_by_reason == {"advice_given": 1, "withdrawn": 1}
    assert sum(result.open_by_phase.values()) == 1 and Phase.CLOSED.value not in result.open_by_phase
    times = result.times
    assert (times["first_contribution"].count, times["first_contribution"].median) == (2, pytest.approx(20.0))  # 10 h (A), 30 h (B)
    assert times["first_contribution"].p90 == pytest.approx(28.0)
    assert (times["signed"].count, times["signed"].median) == (1, pytest.approx(48.0))
    assert (times["closed"].count, times["closed"].median, times["closed"].p90) == (2, pytest.approx(48.0), pytest.approx(67.2))
    assert result.urgent_opened == 1 and result.urgent_times["signed"].median == pytest.approx(48.0)
    assert result.invitations == {"sent": 3, "accepted": 1, "declined": 1, "expired": 0, "withdrawn": 0, "invited": 1}
    by_centre = {c.code: (c.contributions, c.minutes) for c in result.centres}
    assert by_centre == {"BE10": (2, 75), "CZ08": (1, 30)}
    by_expert = {(e.name, e.centre): (e.contributions, e.minutes) for e in result.experts}
    assert sum(n for n, _m in by_expert.values()) == 3 and {centre for _name, centre in by_expert} == {"BE10", "CZ08"}
    assert sum(m for key, (_n, m) in by_expert.items() if key[1] == "BE10") == 75
    assert result.countries == [("BE", 2, 75), ("CZ", 1, 30)]
    assert result.account_requests == {"approved": 2, "waiting": 1}
    assert (result.approval.count, result.approval.median) == (2, pytest.approx(36.0))
    assert result.diagnoses == [("ORPHA:85443", "AL amyloidosis", 2), ("", "", 1)]
    assert result.advice_followed == {"fully": 1, "partly": 1, "not": 1}
    assert result.advice_followed_rate == pytest.approx(2 / 3)
    assert result.diagnosis_changed_rate == pytest.approx(1 / 3)
    assert (result.queue.completed, result.queue.within) == (4, 3)
    open_tasks = db.session.scalar(select(func.count()).select_from(OpenTask).where(OpenTask.ern_id == world.ern.id))
    assert (result.queue.open_now, result.queue.overdue_now) == (open_tasks, 1)


def test_a_centre_report_counts_only_that_centres_panels(world, reported):
    result = _report(world, centre_id=world.brno.id)
    assert result.opened == 1 and result.closed_by_reason == {"withdrawn": 1}
    assert result.invitations["sent"] == 1 and result.centres == []
    area = next(a for a in world.ern.thematic_areas if a.name == "Rare lymphomas")
    assert _report(world, area_id=area.id).opened == 0


def test_the_page_shows_exact_numbers_with_a_chart_beside_each_table(world, reported, login):
    page = login(world.coordinator).get(f"/erns/{world.ern.code}/reports?{_period_args()}")
    assert page.status_code == 200
    text = page.text
    assert 'role="img"' in text and "<title id=" in text and "aria-labelledby=" in text
    assert ">75<" in text and ">AL amyloidosis<" in text and "&lt; 5" not in text


def test_downloads_suppress_small_counts_and_match_the_page(world, reported, login):
    client = login(world.coordinator)
    response = client.get(f"/erns/{world.ern.code}/reports/report.csv?{_period_args()}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    cells = {(row[0], row[1], row[2]): row[3] for row in rows[1:]}
    assert cells[("Panels", "Opened in the period", "Panels")] == "< 5"
    assert cells[("Contributions by centre", "BE10 - University Hospital Leuven", "Minutes spent")] == "< 5"
    assert cells[("Invitations sent in the period", "Expired", "Number")] == "0"
    workbook = load_workbook(io.BytesIO(client.get(f"/erns/{world.ern.code}/reports/report.xlsx?{_period_args()}").data))
    sheet = workbook["panels"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1] == ["Opened in the period", "< 5"]
    year = utcnow().year
    pdf = client.get(f"/erns/{world.ern.code}/reports/yearly.pdf?year={year}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "< 5" in text and "Time to advice" in text


def test_a_lower_threshold_shows_the_numbers_in_downloads(world, reported, login):
    from app.ernsettings.models import ErnSettings

    db.session.merge(ErnSettings(ern_id=world.ern.id, small_cell_threshold=2))
    db.session.commit()
    response = login(world.coordinator).get(f"/erns/{world.ern.code}/reports/report.csv?{_period_args()}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    cells = {(row[0], row[1], row[2]): row[3] for row in rows[1:]}
    assert cells[("Panels", "Opened in the period", "Panels")] == "3"
    assert cells[("Contributions by centre", "CZ08 - University Hospital Brno", "Contributions")] == "< 2"


@pytest.mark.parametrize(
    ("who", "ern_page", "leuven_page", "brno_page"),
    [
        ("coordinator", 200, 200, 200),
        ("manager", 200, 200, 200),
        ("clinician", 403, 200, 403),
        ("brno_clinician", 403, 403, 200),
        ("researcher", 403, 403, 403),
    ],
)
def test_reports_are_for_the_erns_managers_and_coordinators_and_a_centres_clinicians(world, login, who, ern_page, leuven_page, brno_page):
    if who == "manager":
        user = factories.make_user("manager@ern.example", [(world.ern, None, Role.ERN_MANAGER)])
        db.session.commit()
    else:
        user = getattr(world, who)
    client = login(user)
    code = world.ern.code
    assert client.get(f"/erns/{code}/reports").status_code == ern_page
    assert client.get(f"/erns/{code}/reports/report.csv").status_code == ern_page
    assert client.get(f"/erns/{code}/reports/report.xlsx").status_code == ern_page
    assert client.get(f"/erns/{code}/reports/yearly.pdf?year=2026").status_code == ern_page
    assert client.get(f"/erns/{code}/centres/BE10/reports").status_code == leuven_page
    assert client.get(f"/erns/{code}/centres/BE10/reports.csv").status_code == leuven_page
    assert client.get(f"/erns/{code}/centres/CZ08/reports").status_code == brno_page
    assert client.get(f"/erns/{world.other_ern.code}/centres/CZ08/reports").status_code == 404  # Brno is not in VASCERN
    assert client.get("/erns/NOSUCH/reports").status_code == 404


def test_a_centre_report_page_shows_only_that_centres_panels(world, reported, login):
    page = login(world.brno_clinician).get(f"/erns/{world.ern.code}/centres/CZ08/reports?{_period_args()}").text
    assert "Withdrawn" in page and "AL amyloidosis" not in page and "Advice given" not in page


def test_bad_dates_answer_422_with_the_form_kept(world, login):
    client = login(world.coordinator)
    page = client.get(f"/erns/{world.ern.code}/reports?from=2026-13-01&to=2026-02-01")
    assert page.status_code == 422 and 'value="2026-13-01"' in page.text and "yyyy-mm-dd" in page.text
    assert client.get(f"/erns/{world.ern.code}/reports?from=2026-05-01&to=2026-02-01").status_code == 422
    assert client.get(f"/erns/{world.ern.code}/reports?area=999999").status_code == 422
    assert client.get(f"/erns/{world.ern.code}/reports/report.csv?from=yesterday").status_code == 422
    assert client.get(f"/erns/{world.ern.code}/reports/yearly.pdf?year=20x6").status_code == 422


def _statements(client, url: str) -> int:
    engine = db.engine
    seen: list[str] = []

    def count(*args) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_number_of_queries_does_not_grow_with_the_panels(world, login):
    patient = factories.enrol(world.clinician, world.leuven, world.ern)
    factories.open_panel(world.clinician, patient)
    client = login(world.coordinator)
    urls = [f"/erns/{world.ern.code}/reports", f"/erns/{world.ern.code}/reports/report.csv", f"/erns/{world.ern.code}/centres/BE10/reports"]
    for url in urls:
        client.get(url)
    one = [_statements(client, url) for url in urls]
    for _ in range(4):
        panel_id = factories.open_panel(world.clinician, patient)
        db.session.add(Contribution(panel_id=panel_id, author_id=world.colleague.id, minutes_spent=5))
        db.session.commit()
    for url in urls:
        client.get(url)  # what the commits expired is loaded again once
    many = [_statements(client, url) for url in urls]
    assert one == many
    assert max(many) <= 20


def test_no_hidden_count_can_be_worked_out_from_what_a_download_shows(app):
    """Secondary suppression: each breakdown with one hidden count hides another; a country with a hidden centre and
    a rate with a hidden part are hidden too (else: closed 7 − advice given 6 = the hidden withdrawn panel)."""
    with app.test_request_context():
        report = Report(Scope(1), Period(datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)), threshold=5)
        report.opened = 8
        report.closed_by_reason = {"advice_given": 6, "withdrawn": 1}
        report.diagnoses = [("ORPHA:85443", "AL amyloidosis", 6), ("ORPHA:232", "Sickle cell anemia", 2)]
        report.centres = [CentreFigures("BE10", "Leuven", "BE", 9, 90), CentreFigures("BE20", "Gent", "BE", 1, 240)]
        report.advice_followed = {"fully": 5, "partly": 1, "not": 0}
        report.diagnosis_follow_up = {"confirmed": 5, "changed": 1, "unknown": 0}
        found = {s.key: s.rows for s in tables.sections(report, suppress=True)}
    assert [row[1] for row in found["closed"]] == ["hidden", "< 5"]
    assert [row[2] for row in found["diagnoses"]] == ["hidden", "< 5"]
    assert [row[2:] for row in found["centres"]] == [("hidden", "hidden"), ("< 5", "< 5")]
    assert found["countries"] == [("BE", "hidden", "hidden")]
    rates = [row[1] for row in found["follow_up"] if "rate" in str(row[0])]
    assert rates == ["< 5", "< 5"]
    # Inside the ERN the page shows every number.
    with app.test_request_context():
        shown = {s.key: s.rows for s in tables.sections(report, suppress=False)}
    assert [row[1] for row in shown["closed"]] == [6, 1]


def test_a_centre_report_downloads_as_xlsx_too(world, login):
    response = login(world.clinician).get(f"/erns/{world.ern.code}/centres/BE10/reports.xlsx?{_period_args()}")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    assert "panels" in workbook.sheetnames
