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
from tests.fixtures import export_download

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
    # The low rating's flag says who rated: it is counted with the ratings (rated_low), not here.
    assert total["flagged"] == 2 and total.flagged_share == 0.5
    assert total.flags == {"over_cap": 1, "emergency": 1}
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
    assert (by_a["inspections"], by_a.flag_count, by_a.flagged_share) == (2, 1, 0.5)
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
        "flagged": 2,
        "outcome_problems": 1,
        "flags": 2,
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
    assert listed.context["cl"].result_count == 1  # over the cap (the low rating is not a flag here)
    assert rows[str(data["a"].pk)].cells["shown_average_rating"].url == ""


def test_the_workbooks_carry_the_inspection_figures(client, data):
    leader = factories.user("leader")
    client.force_login(leader)
    client.cookies["django_language"] = "en"
    response = export_download(client, f"/dashboard/dashboard.xlsx?quarter={CURRENT.label}", user=leader)
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert "Inspections of enterprises" in book.sheetnames
    rows = [row for row in book["Inspections of enterprises"].iter_rows(values_only=True) if row and row[0]]
    by_label = {str(row[0]).strip(): row for row in rows}
    assert by_label["Inspections"][1:6] == (4, 1, 3, 5, -1)
    league = export_download(client, f"/dashboard/league-table.xlsx?quarter={CURRENT.label}", user=leader)
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


def test_the_inspection_figures_are_kept_a_few_minutes_and_say_when_they_were_counted(data):
    from django.core.cache import cache

    from reports.dashboard.selectors import dashboard_report

    report = dashboard_report(CURRENT)
    assert report.inspections[0].total["inspections"] == 4
    assert report.inspections_computed_at is not None
    _inspection(data["b"], data["e1"], dt.date(2026, 9, 2))
    assert dashboard_report(CURRENT).inspections[0].total["inspections"] == 4  # kept
    cache.clear()  # the ten minutes are over
    assert dashboard_report(CURRENT).inspections[0].total["inspections"] == 5


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
    assert pack.inspections["inspections"] == 4 and pack.inspections["flags"] == 2
    rows = {row["name"]: row for row in pack.inspection_departments}
    assert rows["检查甲局"]["average_rating"] == "2.7"  # 1, 4 and 3
    assert rows["检查乙局"]["average_rating"] == "—"  # one rating: below the minimum
    assert rows["检查乙局"]["flagged_share"] == "50.0%"
    client.force_login(viewer)
    page = client.get(reverse("admin:reports_dispatchmeeting_pack", args=[held.pk])).content.decode()
    assert "data-inspections" in page and page.count("data-inspection-department") == 2
    assert ENTERPRISE_NAME not in page
    assert len(captured.captured_queries) <= 14

    # The pack's workbook carries the same inspection lines, in the printable pack's order.
    client.cookies["django_language"] = "en"
    response = client.get(reverse("admin:reports_dispatchmeeting_pack_xlsx", args=[held.pk]))
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    first = book.sheetnames.index("Inspections of enterprises")
    assert book.sheetnames[first : first + 2] == ["Inspections of enterprises", "Inspections by department"]
    figures = list(book["Inspections of enterprises"].iter_rows(values_only=True))
    assert figures[3] == ("Figure", "Value")
    assert figures[4:] == [
        ("Inspections", 4),
        ("Enterprises inspected", 2),
        ("Joint inspections", 2),
        ("Entries without a filing (emergency)", 1),
        ("Flags raised", 2),
        ("Enterprises above the cap of their class", 1),
    ]
    departments = list(book["Inspections by department"].iter_rows(values_only=True))
    assert departments[3] == (
        "Department",
        "Inspections",
        "Flags raised",
        "Share flagged",
        "Average rating (1–5)",
    )
    assert departments[4:] == [("检查乙局", 2, 1, "50.0%", "—"), ("检查甲局", 2, 1, "50.0%", "2.7")]
    text = " ".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)
    assert ENTERPRISE_NAME not in text and data["e1"].credit_code not in text


# --- Every inspection figure lands on a list of exactly its rows ---------------------------------


def _listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def test_every_inspection_count_equals_its_drilldown_in_every_quarter(client, data):
    from reports.inspection_figures import COUNT, LINES, kind_of

    # Earlier in the year: B's two inspections of a class A enterprise (cap 1) in Q1 put it above
    # the cap over the year to the end of Q2 and of Q3, not within either quarter alone.
    e4 = ff.enterprise(risk_class="A")
    for day in (dt.date(2026, 2, 1), dt.date(2026, 3, 1)):
        _inspection(data["b"], e4, day)
    client.force_login(factories.user("leader"))
    response = client.get(f"/dashboard/?quarter={CURRENT.label}")
    body = response.content.decode()
    lines = {line.key: line for line in response.context["inspection_lines"]}
    assert (lines["above_cap"].current.value, lines["above_cap"].previous.value) == (2, 1)
    assert lines["per_enterprise_2"].current.value == 2  # E2 (June, September) and E4
    checked = {}
    for line in response.context["inspection_lines"]:
        if kind_of(line.key) != COUNT:
            continue
        for number in (line.current, line.previous, line.year_earlier):
            if line.key == "rated":  # the leader may not read individual ratings
                assert number.url == ""
                continue
            assert number.url, line.key
            assert number.url.replace("&", "&amp;") in body, line.key
            assert _listed(client, number.url) == number.value, (line.key, number.url)
            checked[line.key] = checked.get(line.key, 0) + number.value
    assert {key for key, _indent in LINES if kind_of(key) == COUNT} - set(checked) == {"rated"}
    # The fixture gives the enterprise figures something to count: the test can fail.
    for key in (
        "joint",
        "enterprises",
        "per_enterprise_2",
        "per_enterprise_3",
        "per_enterprise_4",
        "above_cap",
    ):
        assert checked[key], key


def test_the_enterprise_figures_list_the_enterprises_counted(client, data):
    from reports.inspection_figures import drilldown

    client.force_login(factories.user("leader"))
    e1 = data["e1"]

    def names(url):
        return {row.name for row in client.get(url).context["cl"].result_list}

    # E1: three inspections in 2026 to 30 September (two by A, class A: cap 1), E2 two.
    assert names(drilldown("per_enterprise_3", CURRENT)) == {e1.name}
    assert names(drilldown("above_cap", CURRENT)) == {e1.name}
    assert ENTERPRISE_NAME not in names(drilldown("per_enterprise_2", CURRENT))
    assert len(names(drilldown("enterprises", CURRENT))) == 2
    # One department's inspections only: B inspected E1 once (not above the cap), A twice (above).
    assert names(drilldown("above_cap", CURRENT, data["b"].pk)) == set()
    assert names(drilldown("above_cap", CURRENT, data["a"].pk)) == {e1.name}
    # B inspected E1 and E2 once each this year; all departments together, neither once.
    assert len(names(drilldown("per_enterprise_1", CURRENT, data["b"].pk))) == 2
    assert names(drilldown("per_enterprise_1", CURRENT)) == set()
    # The filters by hand: a whole year, one department's inspections, a quarter without any.
    listed = "/admin/inspections/inspectedenterprise/"
    assert len(names(f"{listed}?period=2026&department={data['a'].pk}")) == 2  # E1, E2 (E3 refused)
    assert names(f"{listed}?period=2026Q2&department={data['b'].pk}") == set()
    in_2025 = names(f"{listed}?period=2025")  # E3 only, five times by A
    assert len(in_2025) == 1
    assert names(f"{listed}?period=2025&inspections=4%2B&department={data['a'].pk}") == in_2025
    assert names(f"{listed}?period=2025&inspections=4%2B&department={data['b'].pk}") == set()
    # The row's count links to the inspections it counts.
    page = client.get(drilldown("per_enterprise_3", CURRENT))
    link = page.content.decode().split(f'data-inspections-of="{e1.pk}"', 1)[0].rsplit('href="', 1)[1]
    assert _listed(client, link.split('"', 1)[0].replace("&amp;", "&")) == 3


def test_the_enterprise_list_rejects_a_period_it_cannot_read(client, data):
    client.force_login(factories.user("leader"))
    response = client.get("/admin/inspections/inspectedenterprise/?period=2026Q9")
    assert response.status_code == 302 and "e=1" in response["Location"]


def test_the_enterprise_list_costs_the_same_statements_whatever_the_rows(client, data):
    client.force_login(factories.user("leader"))
    url = "/admin/inspections/inspectedenterprise/?period=2026Q3-ytd&inspections=1"

    def statements():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        return len(captured.captured_queries), response.context["cl"].result_count

    before, listed = statements()
    more, _u, _i = ff.department_with_list(name="检查丁局")
    for n in range(8):
        _inspection(more, ff.enterprise(risk_class="C"), dt.date(2026, 5, 1 + n))
    after, listed_after = statements()
    assert listed_after == listed + 8
    assert after == before


def test_the_joint_filter_splits_the_inspection_list(client, data):
    client.force_login(factories.user("leader"))
    base = "/admin/inspections/inspection/?planned_on__gte=2026-07-01&planned_on__lt=2026-10-01"
    everything = _listed(client, base)
    joint = _listed(client, base + "&joint=yes")
    assert joint == 2
    assert _listed(client, base + "&joint=no") == everything - joint


def test_the_enterprise_list_counts_as_the_figures_do():
    from inspections.admin import filters
    from reports import inspection_figures

    assert filters.COUNTED_STATUSES == inspection_figures.COUNTED_STATUSES


# --- How each figure is counted -------------------------------------------------------------------


@pytest.mark.parametrize("page", ["/dashboard/", "/figures/"])
def test_each_inspection_figure_says_how_it_is_counted(client, data, settings, page):
    from django.utils.html import escape

    settings.INSPECTION_YEARLY_CAP = {"A": 1, "B": 3, "C": 5, "D": 7}
    settings.INSPECTION_RATINGS_MIN_AGGREGATE = 6
    client.force_login(factories.user("leader"))
    client.cookies["django_language"] = "en"
    response = client.get(f"{page}?quarter={CURRENT.label}")
    body = response.content.decode()
    box = body.split("data-inspection-definitions", 1)[1].split("</dl>", 1)[0]
    lines = response.context["inspection_lines"]
    assert lines and all(line.definition for line in lines)
    for line in lines:
        assert f"<dt>{escape(line.label)}</dt><dd>{escape(line.definition)}</dd>" in box, line.key
    definitions = {line.key: line.definition for line in lines}
    counted = definitions["inspections"]
    for status in ("Filed, may proceed", "Awaiting the commission", "Entered (on site)", "Outcome recorded"):
        assert status in counted
    assert "Refused by the commission" not in counted and "planned date" in counted and "Shanghai" in counted
    assert "emergency" in definitions["no_filing"]
    assert "1 January to the last day of the quarter" in definitions["per_enterprise_2"]
    assert "exactly 2 counted" in definitions["per_enterprise_2"]
    assert "A: 1, B: 3, C: 5, D: 7" in definitions["above_cap"]
    average = definitions["shown_average_rating" if page == "/figures/" else "average_rating"]
    assert "at least 6 ratings" in average and "aggregates" in average
    if page == "/dashboard/":
        assert "To be merged into a joint inspection" in definitions["joint"]
        assert "raised in the quarter" in definitions["flags"]
        assert "gave in the quarter" in definitions["rated"]


# --- Aggregates only, and only from the minimum number of ratings -----------------------------------


def _league_cell(page: str, department, column: str) -> str:
    league = page.split("data-inspection-league", 1)[1]
    row = league.split(f'data-row="{department.pk}"', 1)[1].split("</tr>", 1)[0]
    return row.split(f'data-column="{column}"', 1)[1].split("</td>", 1)[0]


def test_ratings_show_from_five_at_the_default_minimum_on_the_public_page_and_the_league(client, data):
    from django.conf import settings

    assert settings.INSPECTION_RATINGS_MIN_AGGREGATE == 5  # the default, as deployed
    a = data["a"]
    # A has three ratings given in Q3 (1, 4 and 3); one more makes four: still below five.
    fourth = _inspection(a, ff.enterprise(risk_class="C"), dt.date(2026, 9, 3))
    _rate(fourth, 5, dt.date(2026, 9, 4))
    leader = factories.user("leader")

    def pages():
        cache.clear()
        public = client.get(f"/figures/?quarter={CURRENT.label}").content.decode()
        client.force_login(leader)
        client.cookies["django_language"] = "en"
        staff = client.get(f"/dashboard/?quarter={CURRENT.label}").content.decode()
        league = export_download(
            client, f"/dashboard/league-table.xlsx?quarter={CURRENT.label}", user=leader
        ).content
        client.logout()
        book = load_workbook(io.BytesIO(league), read_only=True)
        rows = {row[0]: row for row in book["Inspections by department"].iter_rows(values_only=True) if row}
        return public, staff, rows

    public, staff, rows = pages()
    for page in (public, staff):
        assert 'data-value=""' in _league_cell(page, a, "shown_average_rating")
    assert rows["检查甲局"][-1] in (None, "—")
    fifth = _inspection(a, ff.enterprise(risk_class="C"), dt.date(2026, 9, 5))
    _rate(fifth, 5, dt.date(2026, 9, 6))
    public, staff, rows = pages()
    for page in (public, staff):  # five ratings: 1, 4, 3, 5, 5
        assert 'data-value="3.6"' in _league_cell(page, a, "shown_average_rating")
    assert rows["检查甲局"][-1] in (3.6, "3.6")
    # B, one rating, stays hidden; the public page links to nothing and names no enterprise.
    assert 'data-value=""' in _league_cell(public, data["b"], "shown_average_rating")
    assert "/admin/" not in public and ENTERPRISE_NAME not in public
    assert "low_share" not in public and 'data-line="average_rating"' not in public
