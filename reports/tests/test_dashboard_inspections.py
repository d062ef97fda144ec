"""Inspections of enterprises on the leaders' dashboard and the public figures (issue 14): each
figure on a known small data set, quarter on quarter and year on year, the minimum number of
ratings before a department's average is shown, the drill-down and a fixed query cost."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from casework.tests import factories
from core.periods import SHANGHAI, Quarter
from inspections.models import Inspection, InspectionFlag, InspectionRating
from inspections.tests import factories as ff
from reports.dashboard.selectors import Dashboard
from reports.dashboard.tables import inspection_league_rows, inspection_lines
from reports.inspection_figures import count_inspections

pytestmark = [pytest.mark.django_db, pytest.mark.urls("reports.tests.urls_dashboard")]

CURRENT = Quarter(2026, 3)
PREVIOUS = Quarter(2026, 2)
YEAR_EARLIER = Quarter(2025, 3)
ENTERPRISE_NAME = "检查统计保密企业有限公司"
_n = itertools.count(1)


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = "reports.tests.urls_dashboard"
    cache.clear()


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=SHANGHAI)


def _inspection(department, enterprise, day, status=Inspection.Status.CONCLUDED, **values):
    return Inspection.objects.create(
        department=department, enterprise=enterprise, planned_on=day, status=status, **values
    )


def _flag(inspection, kind, day):
    flag = InspectionFlag.objects.create(inspection=inspection, kind=kind, explanation="…")
    InspectionFlag.objects.filter(pk=flag.pk).update(created_at=_at(day))


def _rate(inspection, score, day):
    rating = InspectionRating.objects.create(inspection=inspection, score=score)
    InspectionRating.objects.filter(pk=rating.pk).update(created_at=_at(day))


@pytest.fixture
def data():
    """Two departments, three enterprises (classes A, B and D: caps 1, 2 and 4)."""
    a, _unit, _items = ff.department_with_list(name="检查甲局")
    b, _unit, _items = ff.department_with_list(name="检查乙局")
    e1 = ff.enterprise(risk_class="A", name=ENTERPRISE_NAME)
    e2 = ff.enterprise(risk_class="B")
    e3 = ff.enterprise(risk_class="D")
    d = dt.date
    # 2026Q3 (the quarter shown)
    a1 = _inspection(a, e1, d(2026, 7, 10), outcome="no_problem")
    a2 = _inspection(a, e1, d(2026, 8, 10), outcome="problems")  # A's second of E1 (cap 1): above
    b1 = _inspection(b, e1, d(2026, 8, 20), status=Inspection.Status.JOINT)
    b2 = _inspection(
        b, e2, d(2026, 9, 30), status=Inspection.Status.ENTERED, emergency_reason="燃气泄漏", joint_with=a2
    )
    _inspection(a, e3, d(2026, 9, 1), status=Inspection.Status.REFUSED)  # not counted
    _inspection(a, e2, d(2026, 7, 1), status=Inspection.Status.CANCELLED)  # not counted
    _inspection(a, e2, d(2026, 10, 1))  # next quarter
    _flag(a2, InspectionFlag.Kind.OVER_CAP, d(2026, 8, 10))
    _flag(b2, InspectionFlag.Kind.EMERGENCY, d(2026, 9, 30))
    _flag(a1, InspectionFlag.Kind.LOW_RATING, d(2026, 7, 15))
    _rate(a1, 1, d(2026, 7, 15))
    _rate(a2, 4, d(2026, 8, 12))
    _rate(b1, 5, d(2026, 8, 25))
    # 2026Q2 (previous)
    p1 = _inspection(a, e2, d(2026, 6, 30), outcome="decision")
    _rate(p1, 3, d(2026, 7, 1))  # rated in Q3: counts in Q3
    # 2025Q3 (a year earlier): five inspections of E3 by A (class D, cap 4): above the cap
    for day in (1, 2, 3, 4, 5):
        _inspection(a, e3, d(2025, 8, day), outcome="no_problem")
    return {"a": a, "b": b, "e1": e1}


def test_each_figure_on_a_known_small_data_set(data):
    current, previous, year_earlier = count_inspections([CURRENT, PREVIOUS, YEAR_EARLIER])
    total = current.total
    assert total["inspections"] == 4
    assert total["enterprises"] == 2
    assert total["joint"] == 2 and total.joint_share == 0.5
    assert total["no_filing"] == 1
    assert total["flagged"] == 3 and total.flagged_share == 0.75
    assert total.flags == {"over_cap": 1, "emergency": 1, "low_rating": 1}
    assert total["outcome_no_problem"] == 1
    assert total["outcome_problems"] == 1
    assert total["outcome_decision"] == 0
    # Year to date at 30 September 2026: E1 three times, E2 twice (B's in Q3, A's in Q2).
    assert [total[f"per_enterprise_{n}"] for n in (1, 2, 3, 4)] == [0, 1, 1, 0]
    assert total["above_cap"] == 1
    # Ratings given in Q3: 1, 4, 5 and 3 (the Q2 inspection rated on 1 July).
    assert total["rated"] == 4 and total["rated_low"] == 1
    assert total.average_rating == pytest.approx(13 / 4)
    assert total.low_share == 0.25

    assert previous.total["inspections"] == 1
    assert previous.total["outcome_decision"] == 1
    assert [previous.total[f"per_enterprise_{n}"] for n in (1, 2, 3, 4)] == [1, 0, 0, 0]
    assert previous.total["above_cap"] == 0
    assert previous.total["rated"] == 0 and previous.total.average_rating is None

    assert year_earlier.total["inspections"] == 5
    assert year_earlier.total["enterprises"] == 1
    assert year_earlier.total["per_enterprise_4"] == 1
    assert year_earlier.total["above_cap"] == 1

    by_a = current.by_department[data["a"].pk]
    by_b = current.by_department[data["b"].pk]
    assert (by_a["inspections"], by_a.flag_count, by_a.flagged_share) == (2, 2, 1.0)
    assert (by_b["inspections"], by_b.flag_count, by_b.flagged_share) == (2, 1, 0.5)
    assert (by_a["rated"], by_b["rated"]) == (3, 1)


def test_the_dashboard_lines_compare_quarter_on_quarter_and_year_on_year(data):
    report = Dashboard(quarter=CURRENT, inspections=True).generate()
    lines = {line.key: line for line in inspection_lines(report)}
    assert lines["inspections"].current.text == "4"
    assert lines["inspections"].change_previous == "+3"
    assert lines["inspections"].change_year == "-1"
    assert lines["joint_share"].current.text == "50.0%"
    assert lines["above_cap"].change_year == "+0"
    assert lines["average_rating"].current.text == "3.2"  # 3.25, rounded half to even
    assert lines["flags_over_cap"].current.value == 1


def test_a_department_average_needs_the_minimum_number_of_ratings(data, settings):
    settings.INSPECTION_RATINGS_MIN_AGGREGATE = 3
    report = Dashboard(quarter=CURRENT, inspections=True).generate()
    rows = {row.value: row for row in inspection_league_rows(report)}
    assert rows[str(data["a"].pk)].cells["shown_average_rating"].text == "2.7"  # 1, 4 and 3
    assert rows[str(data["b"].pk)].cells["shown_average_rating"].value is None  # one rating
    settings.INSPECTION_RATINGS_MIN_AGGREGATE = 4
    rows = {row.value: row for row in inspection_league_rows(report)}
    assert rows[str(data["a"].pk)].cells["shown_average_rating"].value is None


def test_the_public_page_shows_aggregates_only(client, data, settings):
    settings.INSPECTION_RATINGS_MIN_AGGREGATE = 3
    page = client.get(f"/figures/?quarter={CURRENT.label}").content.decode()
    assert "data-inspection-figures" in page
    assert ENTERPRISE_NAME not in page
    assert data["e1"].credit_code not in page
    assert "/admin/" not in page
    assert "检查甲局" in page and "检查乙局" in page
    league = page.split("data-inspection-league", 1)[1]
    row_b = league.split(f'data-row="{data["b"].pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-value="5.0"' not in row_b and "—" in row_b  # B: one rating, below the minimum
    row_a = league.split(f'data-row="{data["a"].pk}"', 1)[1].split("</tr>", 1)[0]
    assert "2.7" in row_a
    assert "flags" not in league.split("</thead>", 1)[0].lower()


def test_the_dashboard_drills_down_to_exactly_the_rows_counted(client, data):
    client.force_login(factories.user("leader"))
    response = client.get(f"/dashboard/?quarter={CURRENT.label}")
    assert response.status_code == 200
    lines = {line.key: line for line in response.context["inspection_lines"]}
    expected = {
        "inspections": 4,
        "no_filing": 1,
        "flagged": 3,
        "outcome_problems": 1,
        "flags": 3,
        "flags_over_cap": 1,
    }
    for key, count in expected.items():
        url = lines[key].current.url
        assert url, key
        assert url.replace("&", "&amp;") in response.content.decode()
        listed = client.get(url)
        assert listed.status_code == 200, (key, url)
        assert listed.context["cl"].result_count == count, key
    # The leader may not read individual ratings: no link to their list.
    assert lines["rated"].current.url == ""
    assert "/admin/inspections/inspectionrating/" not in response.content.decode()
    rows = {row.value: row for row in response.context["inspection_league"]}
    listed = client.get(rows[str(data["b"].pk)].cells["inspections"].url)
    assert listed.context["cl"].result_count == 2
    listed = client.get(rows[str(data["a"].pk)].cells["flags"].url)
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 2  # over the cap, and the low rating
    assert rows[str(data["a"].pk)].cells["shown_average_rating"].url == ""


def test_the_workbooks_carry_the_inspection_figures(client, data):
    client.force_login(factories.user("leader"))
    client.cookies["django_language"] = "en"
    response = client.get(f"/dashboard/dashboard.xlsx?quarter={CURRENT.label}")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert "Inspections of enterprises" in book.sheetnames
    rows = [row for row in book["Inspections of enterprises"].iter_rows(values_only=True) if row and row[0]]
    by_label = {str(row[0]).strip(): row for row in rows}
    assert by_label["Inspections"][1:6] == (4, 1, 3, 5, -1)
    league = client.get(f"/dashboard/league-table.xlsx?quarter={CURRENT.label}")
    book = load_workbook(io.BytesIO(league.content), read_only=True)
    names = [row[0] for row in book["Inspections by department"].iter_rows(values_only=True) if row]
    assert "检查甲局" in names and ENTERPRISE_NAME not in names


def test_who_may_read_ratings_drills_down_to_the_ratings_given(client, data):
    from django.contrib.auth.models import Permission

    leader = factories.user("leader")
    leader.user_permissions.add(Permission.objects.get(codename="view_inspectionrating"))
    client.force_login(leader)
    response = client.get(f"/dashboard/?quarter={CURRENT.label}")
    url = {line.key: line for line in response.context["inspection_lines"]}["rated"].current.url
    assert url.startswith("/admin/inspections/inspectionrating/?created_at__gte=")
    assert client.get(url).context["cl"].result_count == 4


def test_the_refresh_task_recomputes_the_inspection_figures(data):
    from reports.dashboard.selectors import dashboard_report

    report = dashboard_report(CURRENT)
    assert report.inspections[0].total["inspections"] == 4
    _inspection(data["b"], data["e1"], dt.date(2026, 9, 2))
    assert dashboard_report(CURRENT).inspections[0].total["inspections"] == 4  # cached
    assert dashboard_report(CURRENT, refresh=True).inspections[0].total["inspections"] == 5


def test_the_inspection_figures_cost_a_fixed_number_of_statements(client, data):
    quarters = [CURRENT, PREVIOUS, YEAR_EARLIER]
    with CaptureQueriesContext(connection) as captured:
        count_inspections(quarters)
    assert len(captured.captured_queries) == 5
    client.force_login(factories.user("leader"))

    def page_queries():
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            client.get(f"/dashboard/?quarter={CURRENT.label}")
        return len(captured.captured_queries)

    before = page_queries()
    more, _u, _i = ff.department_with_list(name="检查丙局")
    for n in range(6):
        inspection = _inspection(more, ff.enterprise(risk_class="C"), dt.date(2026, 8, 1 + n))
        _flag(inspection, InspectionFlag.Kind.REPEATED, dt.date(2026, 8, 1 + n))
        _rate(inspection, 2, dt.date(2026, 8, 2 + n))
    assert page_queries() == before


def test_the_dispatch_pack_lists_the_quarters_inspections_for_who_reads_them(client, data, settings):
    from django.contrib.auth.models import Permission, User
    from django.urls import reverse

    from reports.ledger import services as ledger
    from reports.ledger.pack import DispatchPack

    settings.INSPECTION_RATINGS_MIN_AGGREGATE = 3
    held = ledger.dispatch_meeting_schedule(
        quarter=CURRENT.label, scheduled_on=dt.date(2026, 9, 20), place="三楼会议室", actor=None
    )
    codes = ["view_dispatchmeeting", "view_ledgertask", "view_case"]
    viewer = User.objects.create_user("pack-reader", password="pw-12345678", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=codes))
    assert DispatchPack(meeting=held, viewer=viewer).generate().inspections is None
    viewer.user_permissions.add(Permission.objects.get(codename="view_inspection"))
    viewer = User.objects.get(pk=viewer.pk)  # a fresh permission cache
    with CaptureQueriesContext(connection) as captured:
        pack = DispatchPack(meeting=held, viewer=viewer).generate()
    assert pack.inspections["inspections"] == 4 and pack.inspections["flags"] == 3
    rows = {row["name"]: row for row in pack.inspection_departments}
    assert rows["检查甲局"]["average_rating"] == "2.7"  # 1, 4 and 3
    assert rows["检查乙局"]["average_rating"] == "—"  # one rating: below the minimum
    assert rows["检查乙局"]["flagged_share"] == "50.0%"
    client.force_login(viewer)
    page = client.get(reverse("admin:reports_dispatchmeeting_pack", args=[held.pk])).content.decode()
    assert "data-inspections" in page and page.count("data-inspection-department") == 2
    assert ENTERPRISE_NAME not in page
    assert len(captured.captured_queries) <= 14
