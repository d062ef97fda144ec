"""The leaders' dashboard and the public figures: known answers on a fixture built through the
services, quarter boundaries on the Shanghai clock, a fixed query cost, the workbooks, the pages."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from casework import services
from casework.models import Case, Referral
from casework.tests import factories
from complaints.models import Category, Channel, Complaint
from complaints.services import complaint_rate, complaint_submit
from complaints.tests import factories as complaint_factories
from core.calendar import working_days_between
from core.periods import SHANGHAI, Quarter
from liaison.models import Department, LiaisonPoint, Supervisor
from liaison.services import liaison_visit_record
from reports.dashboard.figures import Selection
from reports.dashboard.selectors import Dashboard, dashboard_report
from reports.dashboard.tables import league_rows
from reports.dashboard.workbooks import DashboardWorkbook, LeagueTableWorkbook
from tests.fixtures import export_download

pytestmark = [pytest.mark.django_db, pytest.mark.urls("reports.tests.urls_dashboard")]

URLS = "reports.tests.urls_dashboard"


@pytest.fixture(autouse=True)
def _notification_urls(settings):
    # Overrides reports/tests/conftest.py: the project's URLs plus the dashboard's.
    settings.ROOT_URLCONF = URLS


# Personal data and complaint text planted in the fixture; never on the public page.
PLANTED = {
    "contact_name": "王五保密",
    "phone": "13700001111",
    "email": "wangwu-secret@example.com",
    "enterprise_name": "秘密科技有限公司",
    "credit_code": "91110000MA01SECRET",
}
PLANTED_TEXT = "投诉内容独特文本XYZ被重复检查"
PLANTED_HEAD = "局长赵六保密"
PLANTED_HANDLER = "handler-secret-name"
PLANTED_SUPERVISOR = "监督员孙七保密"


def _today() -> dt.date:
    return timezone.now().astimezone(SHANGHAI).date()


def _inside(quarter: Quarter, *, days: int = 20, hours: int = 0) -> dt.datetime:
    """A moment inside a quarter that is over (the middle of it, give or take)."""
    return quarter.start + dt.timedelta(days=days, hours=hours)


def _complaint(case: Case) -> Complaint:
    return Complaint.objects.get(case_link__case=case)


def _file(*, department, category=Category.INSPECTIONS, channel=Channel.WEB, received_at=None, **data):
    return complaint_submit(
        data=complaint_factories.complaint_data(department=department, category=category, **data),
        identity=complaint_factories.identity(**PLANTED),
        channel=channel,
        received_at=received_at,
    ).complaint


def _report(referral, dept_user):
    if referral.status == Referral.Status.SENT:
        services.referral_acknowledge(referral=referral, actor=dept_user)
    return services.referral_report(
        referral=referral,
        facts="经核查,情况属实。",
        finding=Case.Finding.SUBSTANTIATED,
        measures="已责令整改。",
        actor=dept_user,
    )


def _refer(case, department, handler):
    return services.case_refer(
        case=case,
        department=department,
        kind=Referral.Kind.ASSIGN,
        released_text="企业反映的问题,请核实。",
        actor=handler,
    )


@dataclass
class Scenario:
    current: Quarter
    previous: Quarter
    year_earlier: Quarter
    key: Department
    other: Department
    cases: dict[str, Case]
    handler: object


def build_scenario(suffix: str = "") -> Scenario:
    """Known answers, in the quarter in progress (C), the previous one (P) and a year earlier (Y):

    c1  key dept, fines, web: self-handled, concluded on time (no referral), rated satisfied (C)
    c2  key dept, inspections, hotline: referred, report returned then accepted, recommendation
        issued and rectified, concluded after its due date (late), rated unsatisfied (C)
    c3  key dept, inspections, liaison point: referred, due date passed, open late, warned (2) (C)
    c4  other dept, charges, web: referred, due later, open in time, recommendation issued (C)
    c5  other dept, charges, supervisor: received only (C)
    c6  unit not in the directory, other, letter: received only (C)
    c7  key dept, fines, web: received, accepted, self-handled and concluded in P; rated in C
    c8  other dept, inspections, web: received and accepted in P, referral overdue at the end of
        P (open late in P), escalated (3), concluded late in C: a case spanning quarters
    c9  other dept, charges, web: received in Y only
    Talks: one in C, one in P. Liaison log: a visit and a feedback in C, a meeting in P.
    """
    current = Quarter.current()
    previous, year_earlier = current.previous(), current.year_earlier()
    handler = factories.user("handler", username=f"{PLANTED_HANDLER}{suffix}")
    key = Department.objects.create(
        name=f"市税务局{suffix}", email="sw@dept.example", is_key=True, head_name=PLANTED_HEAD
    )
    other = complaint_factories.department(head_name=PLANTED_HEAD)
    key_user = factories.user("dept", department=key)
    other_user = factories.user("dept", department=other)
    cases = {}
    yesterday = _today() - dt.timedelta(days=1)

    def accept(complaint, *, opened_at=None):
        case = services.complaint_accept(complaint=complaint, actor=handler)
        if opened_at is not None:
            Case.objects.filter(pk=case.pk).update(opened_at=opened_at)
            case.refresh_from_db()
        return case

    # c1
    cases["c1"] = case = accept(_file(department=key, category=Category.FINES, description=PLANTED_TEXT))
    services.case_self_handle(case=case, actor=handler)
    services.case_close(
        case=case, result_summary="已纠正。", finding=Case.Finding.SUBSTANTIATED, actor=handler
    )
    complaint_rate(complaint=_complaint(case), level="satisfied", comment=PLANTED_TEXT)

    # c2
    cases["c2"] = case = accept(_file(department=key, channel=Channel.HOTLINE))
    referral = _refer(case, key, handler)
    services.report_review(
        report=_report(referral, key_user), decision="return", reason="事实不清,重新调查。", actor=handler
    )
    referral.refresh_from_db()
    services.report_review(report=_report(referral, key_user), decision="accept", actor=handler)
    recommendation = services.recommendation_issue(
        case=case, department=key, content="建议规范检查行为。", actor=handler
    )
    services.recommendation_reply(recommendation=recommendation, reply="已整改。", actor=key_user)
    services.recommendation_close(recommendation=recommendation, accept=True, actor=handler)
    services.case_close(case=case, result_summary="已办结。", actor=handler)
    Referral.objects.filter(case=case).update(due_date=yesterday)
    complaint_rate(complaint=_complaint(case), level="unsatisfied")

    # c3
    cases["c3"] = case = accept(_file(department=key, channel=Channel.LIAISON_POINT))
    _refer(case, key, handler)
    Referral.objects.filter(case=case).update(due_date=yesterday)
    Case.objects.filter(pk=case.pk).update(escalation_level=2)

    # c4
    cases["c4"] = case = accept(_file(department=other, category=Category.CHARGES))
    _refer(case, other, handler)
    services.recommendation_issue(case=case, department=other, content="建议退还费用。", actor=handler)

    # c5, c6
    _file(department=other, category=Category.CHARGES, channel=Channel.SUPERVISOR)
    _file(department=None, department_text="某街道办事处", category=Category.OTHER, channel=Channel.LETTER)

    # c7
    cases["c7"] = case = accept(
        _file(department=key, category=Category.FINES, received_at=_inside(previous)),
        opened_at=_inside(previous, hours=1),
    )
    services.case_self_handle(case=case, actor=handler)
    services.case_close(case=case, result_summary="已办结。", finding=Case.Finding.PARTLY, actor=handler)
    Case.objects.filter(pk=case.pk).update(closed_at=_inside(previous, days=23))
    complaint_rate(complaint=_complaint(case), level="basically")

    # c8
    cases["c8"] = case = accept(
        _file(department=other, received_at=_inside(previous)), opened_at=_inside(previous, hours=1)
    )
    referral = _refer(case, other, handler)
    Referral.objects.filter(pk=referral.pk).update(
        sent_at=_inside(previous, hours=2), due_date=previous.last_day - dt.timedelta(days=1)
    )
    referral.refresh_from_db()
    services.report_review(report=_report(referral, other_user), decision="accept", actor=handler)
    services.case_close(case=case, result_summary="已办结。", actor=handler)
    Case.objects.filter(pk=case.pk).update(escalation_level=3)

    # c9
    _file(department=other, category=Category.CHARGES, received_at=_inside(year_earlier))

    for held_on in (_today(), previous.first_day + dt.timedelta(days=5)):
        services.talk_record(
            department=key,
            heads=f"{PLANTED_HEAD},局长",
            held_on=held_on,
            place="市纪委",
            record=PLANTED_TEXT,
            cases=[cases["c3"]],
            actor=handler,
        )
    point = LiaisonPoint.objects.create(
        enterprise_name=f"{PLANTED['enterprise_name']}{suffix}",
        contact_name=PLANTED["contact_name"],
        appointed_on=dt.date(2025, 1, 1),
    )
    supervisor = Supervisor.objects.create(
        name=PLANTED_SUPERVISOR, enterprise_name="监督企业", appointed_on=dt.date(2025, 1, 1)
    )
    liaison_visit_record(point=point, visited_on=_today(), kind="visit", summary=PLANTED_TEXT, actor=handler)
    liaison_visit_record(
        supervisor=supervisor, visited_on=_today(), kind="feedback", summary=PLANTED_TEXT, actor=handler
    )
    liaison_visit_record(
        point=point,
        visited_on=previous.first_day + dt.timedelta(days=3),
        kind="meeting",
        summary=PLANTED_TEXT,
        actor=handler,
    )
    for case in cases.values():
        case.refresh_from_db()
    return Scenario(current, previous, year_earlier, key, other, cases, handler)


@pytest.fixture
def scenario():
    return build_scenario()


EXPECTED_CURRENT = {
    "received": 6,
    "liaison_complaints": 2,
    "accepted": 4,
    "self_handled": 1,
    "referred": 3,
    "transferred": 0,
    "assigned": 3,
    "undecided": 0,
    "concluded": 3,
    "concluded_on_time": 1,
    "concluded_late": 2,
    "open": 2,
    "open_in_time": 1,
    "open_late": 1,
    "returned": 1,
    "escalated": 2,
    "escalated_1": 0,
    "escalated_2": 1,
    "escalated_3": 1,
    "recommendations_issued": 2,
    "recommendations_rectified": 1,
    "talks": 1,
    "liaison_entries": 2,
    "liaison_visits": 1,
    "liaison_feedback": 1,
    "liaison_meetings": 0,
    "rated": 3,
    "rated_satisfied": 1,
    "rated_basically": 1,
    "rated_unsatisfied": 1,
}
EXPECTED_PREVIOUS = {
    "received": 2,
    "accepted": 2,
    "self_handled": 1,
    "referred": 1,
    "concluded": 1,
    "concluded_on_time": 1,
    "concluded_late": 0,
    "open": 1,
    "open_late": 1,
    "open_in_time": 0,
    "escalated": 1,
    "escalated_3": 1,
    "returned": 0,
    "talks": 1,
    "liaison_entries": 1,
    "liaison_meetings": 1,
    "rated": 0,
}


def test_the_quarter_in_progress_has_the_known_answers(scenario):
    report = Dashboard(quarter=scenario.current).generate()
    total = report.current.total
    assert {key: total[key] for key in EXPECTED_CURRENT} == EXPECTED_CURRENT
    assert total.self_share == pytest.approx(1 / 4)
    assert total.on_time_rate == pytest.approx(1 / 3)
    assert total.satisfaction_rate == pytest.approx(2 / 3)


def test_the_previous_quarter_and_a_year_earlier_have_the_known_answers(scenario):
    report = Dashboard(quarter=scenario.current).generate()
    assert report.previous.quarter == scenario.previous
    assert {key: report.previous.total[key] for key in EXPECTED_PREVIOUS} == EXPECTED_PREVIOUS
    assert report.year_earlier.total["received"] == 1
    assert sum(report.year_earlier.total.counts.values()) == 1


def test_breakdowns_by_category_channel_and_department(scenario):
    current = Dashboard(quarter=scenario.current).generate().current
    received = {value: tally["received"] for value, tally in current.by_category.items() if tally["received"]}
    assert received == {"fines": 1, "inspections": 2, "charges": 2, "other": 1}
    by_channel = {
        value: tally["received"] for value, tally in current.by_channel.items() if tally["received"]
    }
    assert by_channel == {"web": 2, "hotline": 1, "liaison_point": 1, "supervisor": 1, "letter": 1}
    key, other = current.by_department[scenario.key.pk], current.by_department[scenario.other.pk]
    assert (key["received"], other["received"], current.by_department[None]["received"]) == (3, 2, 1)
    assert (key["accepted"], other["accepted"]) == (3, 1)
    assert (key["concluded"], key["concluded_on_time"], key.on_time_rate) == (2, 1, 0.5)
    assert (other["concluded"], other["concluded_late"], other.on_time_rate) == (1, 1, 0.0)
    assert (key["rated"], key.satisfaction_rate) == (3, pytest.approx(2 / 3))


def test_the_league_table_ranks_by_on_time_rate_and_lists_key_departments(scenario):
    idle_key = Department.objects.create(name="市环保局", email="hb@dept.example", is_key=True)
    with translation.override("en"):
        rows = league_rows(Dashboard(quarter=scenario.current).generate())
    assert [(row.label, row.rank, row.is_key) for row in rows] == [
        (scenario.key.name, 1, True),
        (scenario.other.name, 2, False),
        (idle_key.name, None, True),  # a key department with nothing this quarter is still listed
        ("Units not in the directory", None, False),
    ]
    assert rows[0].cells["returned"].value == 1
    assert rows[-1].value == "none"


def test_a_case_spanning_quarters_is_open_late_in_one_and_concluded_late_in_the_next(scenario):
    case = scenario.cases["c8"]
    assert Quarter.containing(case.opened_at) == scenario.previous
    assert Quarter.containing(case.closed_at) == scenario.current
    report = Dashboard(quarter=scenario.current).generate()
    assert report.previous.by_department[scenario.other.pk]["open_late"] == 1
    assert report.current.by_department[scenario.other.pk]["concluded_late"] == 1
    assert case in Selection.build("open_late", scenario.previous).queryset()
    assert case in Selection.build("concluded_late", scenario.current).queryset()
    assert case not in Selection.build("open", scenario.current).queryset()


def test_average_handling_time_counts_working_days_with_the_calendar(scenario):
    report = Dashboard(quarter=scenario.current).generate()
    expected = []
    for name in ("c1", "c2", "c8"):
        case = scenario.cases[name]
        expected.append(
            working_days_between(
                case.opened_at.astimezone(SHANGHAI).date(), case.closed_at.astimezone(SHANGHAI).date()
            )
        )
    assert report.current.total.handled == 3
    assert report.current.total.average_handling_days == pytest.approx(sum(expected) / 3)
    c7 = scenario.cases["c7"]
    assert report.previous.total.average_handling_days == working_days_between(
        c7.opened_at.astimezone(SHANGHAI).date(), c7.closed_at.astimezone(SHANGHAI).date()
    )


# --- Quarter boundaries on the Shanghai clock ------------------------------------------------------

Q3, Q4 = Quarter(2026, 3), Quarter(2026, 4)
LATE_SEPTEMBER = dt.datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC
EARLY_OCTOBER = dt.datetime(2026, 10, 1, 0, 10, tzinfo=SHANGHAI)  # 16:10 UTC on 30 September


def test_quarters_are_bounded_on_the_shanghai_clock():
    assert Quarter.containing(LATE_SEPTEMBER) == Q3
    assert Quarter.containing(EARLY_OCTOBER) == Q4
    assert Q3.end == Q4.start == dt.datetime(2026, 9, 30, 16, 0, tzinfo=dt.UTC)
    assert Quarter.parse("2026Q3") == Quarter.parse("2026-q3") == Quarter.parse("2026年第3季度") == Q3
    assert (Q4.previous(), Q4.year_earlier(), Quarter(2026, 1).previous()) == (
        Q3,
        Quarter(2025, 4),
        Quarter(2025, 4),
    )


def test_complaints_and_cases_fall_in_the_quarter_of_their_shanghai_time():
    handler = factories.user("handler")
    department = complaint_factories.department()
    for moment in (LATE_SEPTEMBER, EARLY_OCTOBER):
        complaint = _file(department=department, received_at=moment)
        case = services.complaint_accept(complaint=complaint, actor=handler)
        Case.objects.filter(pk=case.pk).update(opened_at=moment)
    for quarter in (Q3, Q4):
        total = Dashboard(quarter=quarter).generate().current.total
        assert (total["received"], total["accepted"]) == (1, 1), quarter


def test_a_case_concluded_on_its_due_day_in_shanghai_is_on_time():
    handler = factories.user("handler")
    department = complaint_factories.department()
    due = dt.date(2026, 10, 13)
    for closed_at in (
        dt.datetime(2026, 10, 13, 23, 30, tzinfo=SHANGHAI),  # on the due day: on time
        dt.datetime(2026, 10, 14, 0, 10, tzinfo=SHANGHAI),  # still the 13th in UTC: late
    ):
        case = factories.accepted_case(actor=handler, department=department)
        _refer(case, department, handler)
        services.case_take_over(case=case, reason="案情重大,中心接手。", actor=handler)
        services.case_record_finding(case=case, finding=Case.Finding.SUBSTANTIATED, actor=handler)
        services.case_close(case=case, result_summary="已办结。", actor=handler)
        Referral.objects.filter(case=case).update(due_date=due)
        Case.objects.filter(pk=case.pk).update(
            opened_at=dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), closed_at=closed_at
        )
    total = Dashboard(quarter=Q4).generate().current.total
    assert (total["concluded"], total["concluded_on_time"], total["concluded_late"]) == (2, 1, 1)
    # 30 September → 13 October 2026 is 5 working days (1–7 October off, Saturday the 10th on);
    # the case concluded on the 14th took 6.
    assert total.handled == 2 and total.average_handling_days == pytest.approx((5 + 6) / 2)


def test_a_complaint_rated_twice_in_a_quarter_counts_once_at_its_latest_level():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    services.case_self_handle(case=case, actor=handler)
    services.case_close(case=case, result_summary="已办结。", finding=Case.Finding.PARTLY, actor=handler)
    complaint_rate(complaint=_complaint(case), level="unsatisfied")
    services.case_reopen(case=case, reason="投诉人不满意。", actor=handler)
    services.case_close(case=case, result_summary="重新办结。", actor=handler)
    complaint_rate(complaint=_complaint(case), level="satisfied")
    total = Dashboard(quarter=Quarter.current()).generate().current.total
    assert (total["rated"], total["rated_satisfied"], total["rated_unsatisfied"]) == (1, 1, 0)
    assert total["concluded"] == 1  # at its latest conclusion


# --- The fast path on PostgreSQL --------------------------------------------------------------------


def _tallies(report) -> list:
    """Every tally of a report as plain data, to compare two reports number by number."""
    return [
        (
            tally_name,
            key,
            sorted(tally.counts.items()),
            tally.handling_days,
            tally.handled,
        )
        for item in report.chronological
        for tally_name, tallies in (
            ("total", {None: item.total}),
            ("department", item.by_department),
            ("category", item.by_category),
            ("channel", item.by_channel),
        )
        for key, tally in sorted(tallies.items(), key=lambda entry: str(entry[0]))
        if sum(tally.counts.values()) or tally.handled
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GROUPING SETS: PostgreSQL only")
def test_on_postgresql_the_database_sums_dimensions_with_grouping_sets_as_the_portable_path_does():
    scenario = build_scenario()
    with CaptureQueriesContext(connection) as captured:
        # Counted from the tables (the live sums are compared in test_live_figures.py).
        fast = Dashboard(quarter=scenario.current, live=False).generate()
    grouped = [query["sql"] for query in captured.captured_queries if "GROUP BY" in query["sql"]]
    # Per quarter (three of them): cases, complaints received, complaints rated — each one query
    # summed per dimension by the database, with GROUPING SETS once in it.
    with_sets = [sql for sql in grouped if "GROUPING SETS" in sql]
    assert len(with_sets) == 9
    assert all(sql.count("GROUPING SETS") == 1 for sql in with_sets)
    assert all("GROUPING(" in sql for sql in with_sets)

    with CaptureQueriesContext(connection) as captured:
        portable = Dashboard(quarter=scenario.current, now=fast.generated_at, grouping_sets=False).generate()
    assert not any("GROUPING SETS" in query["sql"] for query in captured.captured_queries)
    assert _tallies(fast) == _tallies(portable)
    assert {key: fast.current.total[key] for key in EXPECTED_CURRENT} == EXPECTED_CURRENT


# --- A fixed cost, whatever the data ---------------------------------------------------------------


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries)


def test_the_dashboard_costs_the_same_number_of_queries_whatever_the_data(client):
    quarter = Quarter.current()
    leader = factories.user("leader")
    client.force_login(leader)

    def measure():
        # Each page computes the figures here (no cached figures): what is measured is counting.
        return (
            _queries(lambda: Dashboard(quarter=quarter).generate()),
            _queries(lambda: (cache.clear(), client.get("/dashboard/"))),
            _queries(lambda: (cache.clear(), DashboardWorkbook(dashboard_report(quarter)).generate())),
            _queries(lambda: (cache.clear(), client.get("/figures/"))),
        )

    empty = measure()
    build_scenario("-a")
    small = measure()
    for suffix in ("-b", "-c", "-d"):
        build_scenario(suffix)
    larger = measure()
    assert empty == small == larger
    assert small[0] <= 16


def test_pages_show_live_figures_that_count_new_work_at_once(client):
    leader = factories.user("leader")
    client.force_login(leader)
    build_scenario("-a")
    first = client.get("/dashboard/").context["report"]
    assert "实时数据" in client.get("/dashboard/").content.decode()
    build_scenario("-b")  # six more complaints in the quarter, counted at the next page
    again = client.get("/dashboard/").context["report"]
    assert again.current.total["received"] == first.current.total["received"] + 6
    public = client.get("/figures/")
    assert public.context["report"].current.total["received"] == again.current.total["received"]


def _live_reads(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return sum("reports_livefigure" in query["sql"] for query in captured.captured_queries)


def test_the_public_page_serves_a_copy_of_the_live_figures_for_a_minute(client, settings):
    """Anonymous visits to /figures/, however many, cost one live read a minute per quarter."""
    assert settings.PUBLIC_FIGURES_SECONDS == 60
    build_scenario("-a")
    first = client.get("/figures/", HTTP_ACCEPT_LANGUAGE="en")
    received = first.context["report"].current.total["received"]
    assert "this page is refreshed every 60 seconds" in first.content.decode()
    build_scenario("-b")  # six more complaints in the quarter
    assert _live_reads(lambda: client.get("/figures/")) == 0
    assert client.get("/figures/").context["report"].current.total["received"] == received
    cache.clear()  # the copy expires
    again = client.get("/figures/").context["report"]
    assert again.current.total["received"] == received + 6
    # With 0 seconds every visit reads live, and the page says so as the dashboard does.
    settings.PUBLIC_FIGURES_SECONDS = 0
    if connection.vendor == "postgresql":
        assert _live_reads(lambda: client.get("/figures/")) > 0
    assert "实时数据" in client.get("/figures/").content.decode()


def test_the_page_lists_the_ends_of_a_long_league_table_with_the_whole_ranks():
    for suffix in ("-a", "-b", "-c", "-d"):
        build_scenario(suffix)
    report = Dashboard(quarter=Quarter.current()).generate()
    whole = league_rows(report)
    ends = league_rows(report, ends=1)
    ranked = [row.rank for row in whole if row.rank is not None]
    assert len(ranked) > 2  # there is a middle to leave out
    listed = {row.value: row for row in ends}
    assert {row.rank for row in ends if row.rank is not None} == (
        {1, max(ranked)} | {row.rank for row in whole if row.is_key and row.rank is not None}
    )
    for row in whole:
        if row.is_key or row.rank in (1, max(ranked)) or row.value == "none":
            shown = listed[row.value]
            assert (shown.rank, {k: c.text for k, c in shown.cells.items()}) == (
                row.rank,
                {k: c.text for k, c in row.cells.items()},
            )
        else:
            assert row.value not in listed
    assert len(ends) < len(whole)


# --- Workbooks -----------------------------------------------------------------------------------


def _read(content: bytes):
    return load_workbook(io.BytesIO(content), read_only=True)


def _rows(sheet) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_dashboard_workbook_has_a_sheet_per_section_with_the_page_numbers(scenario):
    report = Dashboard(quarter=scenario.current).generate()
    with translation.override("en"):
        book = _read(DashboardWorkbook(report).generate())
    assert book.sheetnames == [
        "Intake",
        "Disposition of cases",
        "Timeliness",
        "Supervision",
        "Liaison activity",
        "Satisfaction",
        "By category",
        "Department league table",
        "By channel",
    ]
    intake = {row[0]: row[1:6] for row in _rows(book["Intake"]) if len(row) > 1 and row[0]}
    assert intake["Complaints received"] == (6, 2, 4, 1, 5)
    timeliness = {row[0].strip(): row[1] for row in _rows(book["Timeliness"]) if len(row) > 1 and row[0]}
    assert timeliness["Concluded late"] == 2
    assert timeliness["On-time rate"] == pytest.approx(1 / 3)
    categories = {row[0]: row[1] for row in _rows(book["By category"]) if len(row) > 1 and row[0]}
    assert categories["Arbitrary fines"] == 1
    assert categories["Arbitrary, repeated or cross inspections"] == 2


def test_the_league_table_workbook_alone(scenario):
    with translation.override("en"):
        book = _read(LeagueTableWorkbook(Dashboard(quarter=scenario.current).generate()).generate())
    assert book.sheetnames == ["Department league table"]
    rows = _rows(book["Department league table"])
    header = next(index for index, row in enumerate(rows) if row and row[0] == "Rank")
    assert rows[header][:4] == ("Rank", "Department", "Key department", "Complaints received")
    first = rows[header + 1]
    assert first[:4] == (1, scenario.key.name, "yes", 3)


# --- Pages -----------------------------------------------------------------------------------------


def test_the_dashboard_needs_a_login_and_the_case_permission(client):
    assert client.get("/dashboard/").status_code == 302
    client.force_login(factories.user("dept", department=complaint_factories.department()))
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/league-table.xlsx").status_code == 403


def test_the_dashboard_page_links_each_number_to_its_list(client, scenario):
    client.force_login(factories.user("leader"))
    page = client.get(f"/dashboard/?quarter={scenario.current.label}").content.decode()
    assert page.count("<svg") == 4
    assert 'aria-labelledby="chart-categories-title chart-categories-desc"' in page
    quarter = scenario.current.label
    assert f'href="/admin/casework/case/?figure=open_late&amp;quarter={quarter}"' in page
    assert (
        f'href="/admin/complaints/complaint/?figure=received&amp;quarter={quarter}&amp;category=fines"'
        in page
    )
    assert (
        f"/admin/casework/case/?figure=concluded&amp;quarter={quarter}&amp;department={scenario.key.pk}"
        in page
    )
    assert "/admin/casework/accountabilitytalk/?held_on__gte=" in page
    assert "/admin/liaison/liaisonvisit/?visited_on__gte=" in page
    assert "data-key-department" in page


def test_a_bad_or_future_quarter_falls_back_to_the_current_one(client):
    client.force_login(factories.user("leader"))
    current = Quarter.current()
    for asked in ("2026Q7", "soon", current.shifted(2).label):
        response = client.get(f"/dashboard/?quarter={asked}")
        assert response.status_code == 200
        assert response.context["report"].quarter == current
        assert response.context["problem"]


def test_the_exports_download_as_xlsx(client, scenario):
    leader = factories.user("leader")
    client.force_login(leader)
    client.cookies["django_language"] = "en"  # the sheet names are read in English below
    response = export_download(
        client, f"/dashboard/dashboard.xlsx?quarter={scenario.previous.label}", user=leader
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"dashboard-{scenario.previous.label}.xlsx" in response["Content-Disposition"]
    assert "Intake" in _read(response.content).sheetnames
    response = export_download(client, "/dashboard/league-table.xlsx", user=leader)
    assert f"league-table-{scenario.current.label}.xlsx" in response["Content-Disposition"]


def test_public_figures_need_no_login_and_show_no_personal_data_or_complaint_text(client, scenario):
    response = client.get(f"/figures/?quarter={scenario.current.label}")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg") == 4
    assert scenario.key.name in page  # departments are public bodies
    for secret in [*PLANTED.values(), PLANTED_TEXT, PLANTED_HEAD, PLANTED_HANDLER, PLANTED_SUPERVISOR]:
        assert secret not in page, secret
    for case in scenario.cases.values():
        assert case.title not in page and case.reference not in page
    assert "某街道办事处" not in page  # a unit as written by the complainant is their text
    assert "/admin/" not in page
