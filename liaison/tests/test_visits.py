"""The liaison log: the service's rules, the activity column and the activity selector."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liaison.models import LiaisonPoint, LiaisonVisit, Supervisor
from liaison.selectors import liaison_activity
from liaison.services import liaison_visit_record
from liaison.tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today


def record(**overrides):
    values = {
        "visited_on": timezone.localdate(),
        "kind": LiaisonVisit.Kind.VISIT,
        "summary": "走访企业,了解审批办理情况",
        "actor": None,
    }
    values.update(overrides)
    return liaison_visit_record(**values)


def test_a_visit_to_a_point_is_recorded_with_who_recorded_it(superuser):
    point = factories.point()
    visit = record(point=point, issues_raised="  环评审批超时  ", actor=superuser)
    visit.refresh_from_db()
    assert visit.point == point and visit.supervisor is None
    assert visit.recorded_by == superuser and visit.issues_raised == "环评审批超时"


def test_feedback_from_a_supervisor_is_recorded():
    supervisor = factories.supervisor()
    visit = record(supervisor=supervisor, kind=LiaisonVisit.Kind.FEEDBACK)
    assert LiaisonVisit.objects.get() == visit and visit.supervisor == supervisor


def test_a_visit_needs_a_point_or_a_supervisor():
    with pytest.raises(ValidationError) as error:
        record()
    assert error.value.message_dict == {
        "point": ["Choose the liaison point or the supervisor this entry is about."]
    }
    assert not LiaisonVisit.objects.exists()


def test_a_visit_names_a_point_or_a_supervisor_not_both():
    with pytest.raises(ValidationError) as error:
        record(point=factories.point(), supervisor=factories.supervisor())
    assert error.value.message_dict == {
        "supervisor": ["Name either a liaison point or a supervisor, not both."]
    }
    assert not LiaisonVisit.objects.exists()


def test_a_visit_cannot_be_dated_in_the_future():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        record(point=factories.point(), visited_on=tomorrow)
    assert error.value.message_dict == {"visited_on": ["The date cannot be in the future."]}


def test_a_visit_needs_a_known_kind_and_a_summary():
    with pytest.raises(ValidationError) as error:
        record(point=factories.point(), kind="party", summary="   ")
    assert set(error.value.message_dict) == {"kind", "summary"}


def test_the_database_refuses_a_visit_with_both_or_neither():
    point, supervisor = factories.point(), factories.supervisor()
    for subject in ({"point": point, "supervisor": supervisor}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            LiaisonVisit.objects.create(visited_on=timezone.localdate(), kind="visit", summary="x", **subject)


# --- The activity column --------------------------------------------------------------------


def _changelist_queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize(
    ("make", "field", "url"),
    [
        (factories.point, "point", "/admin/liaison/liaisonpoint/"),
        (factories.supervisor, "supervisor", "/admin/liaison/supervisor/"),
    ],
)
def test_the_activity_column_costs_the_same_queries_for_3_and_30_rows(admin_client, make, field, url):
    def add(count):
        for _ in range(count):
            subject = make()
            factories.visit(days_ago=3, **{field: subject})
            factories.visit(days_ago=200, **{field: subject})

    add(3)
    few, _page = _changelist_queries(admin_client, url)
    add(27)
    many, page = _changelist_queries(admin_client, url)
    assert few == many
    assert page.count('class="field-activity"') == 30


def test_the_activity_column_counts_the_last_90_days_only(admin_client):
    point = factories.point(enterprise_name="华兴机械制造有限公司")
    for days_ago, kind in [(0, "visit"), (30, "feedback"), (89, "meeting"), (90, "visit"), (400, "visit")]:
        factories.visit(days_ago=days_ago, kind=kind, point=point)
    quiet = factories.point(enterprise_name="鑫源商贸有限公司")
    assert LiaisonPoint.objects.count() == 2 and quiet
    page = admin_client.get("/admin/liaison/liaisonpoint/?o=7").content.decode()
    assert f"point__id__exact={point.pk}" in page
    rows = [line for line in page.splitlines() if "field-activity" in line]
    cells = "".join(rows)
    assert ">3</a>" in cells and '<td class="field-activity">0</td>' in cells


def test_sorting_and_facets_work_with_the_activity_column(admin_client):
    factories.visit(point=factories.point())
    for query in ["?o=-7", "?_facets=True", "?q=测试", "?status__exact=active&_facets=True"]:
        assert admin_client.get(f"/admin/liaison/liaisonpoint/{query}").status_code == 200
    assert admin_client.get("/admin/liaison/supervisor/?o=-8&_facets=True").status_code == 200


# --- The admin pages ------------------------------------------------------------------------


def test_the_point_page_lists_its_visits_read_only_with_a_link_to_add(admin_client):
    point = factories.point()
    factories.visit(point=point, days_ago=2)
    factories.visit(supervisor=factories.supervisor(), days_ago=2)
    page = admin_client.get(f"/admin/liaison/liaisonpoint/{point.pk}/change/").content.decode()
    assert page.count("走访了解企业生产经营情况") == 1
    assert f"/admin/liaison/liaisonvisit/add/?point={point.pk}" in page
    assert 'name="visits-0-summary"' not in page  # read-only: no input


def test_the_supervisor_page_links_to_add_a_visit_with_the_supervisor_chosen(admin_client):
    supervisor = factories.supervisor()
    page = admin_client.get(f"/admin/liaison/supervisor/{supervisor.pk}/change/").content.decode()
    assert f"/admin/liaison/liaisonvisit/add/?supervisor={supervisor.pk}" in page
    form = admin_client.get(f"/admin/liaison/liaisonvisit/add/?supervisor={supervisor.pk}").content.decode()
    assert f'<option value="{supervisor.pk}" selected>' in form


def test_recording_a_visit_in_the_admin_goes_through_the_service(admin_client, superuser):
    point = factories.point()
    data = {
        "point": point.pk,
        "visited_on": timezone.localdate().isoformat(),
        "kind": "meeting",
        "summary": "座谈会,听取企业对审批服务的意见",
        "issues_raised": "消防验收排队时间长",
    }
    response = admin_client.post("/admin/liaison/liaisonvisit/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    visit = LiaisonVisit.objects.get()
    assert visit.recorded_by == superuser and visit.kind == "meeting" and visit.point == point


def test_the_admin_form_refuses_both_subjects_and_future_dates(admin_client):
    data = {
        "point": factories.point().pk,
        "supervisor": factories.supervisor().pk,
        "visited_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        "kind": "visit",
        "summary": "走访",
    }
    page = admin_client.post("/admin/liaison/liaisonvisit/add/", data).content.decode()
    assert "Name either a liaison point or a supervisor, not both." in page
    assert "The date cannot be in the future." in page
    assert not LiaisonVisit.objects.exists()


def test_the_liaison_log_filters_and_searches(admin_client):
    point = factories.point(enterprise_name="恒通机械制造有限公司")
    factories.visit(point=point, kind="feedback")
    factories.visit(supervisor=factories.supervisor(), kind="visit")
    base = "/admin/liaison/liaisonvisit/"
    for query in [
        "",
        "?kind__exact=feedback",
        f"?point__id__exact={point.pk}",
        "?q=恒通",
        "?visited_on__year=2026",
    ]:
        assert admin_client.get(base + query).status_code == 200
    found = admin_client.get(base + "?q=恒通").context["cl"].result_list
    assert [visit.point for visit in found] == [point]
    autocomplete = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "liaison", "model_name": "liaisonvisit", "field_name": "point", "term": "恒通"},
    ).json()
    assert [item["id"] for item in autocomplete["results"]] == [str(point.pk)]


# --- liaison_activity ----------------------------------------------------------------------


def test_liaison_activity_counts_visits_and_feedback_in_the_range():
    busy, quiet = factories.point(enterprise_name="A 企业"), factories.point(enterprise_name="B 企业")
    supervisor = factories.supervisor(name="王建国")
    start, end = datetime.date(2026, 7, 1), datetime.date(2026, 9, 30)

    def on(day, kind, **subject):
        LiaisonVisit.objects.create(visited_on=day, kind=kind, summary="x", **subject)

    on(datetime.date(2026, 7, 1), "visit", point=busy)  # first day included
    on(datetime.date(2026, 8, 15), "visit", point=busy)
    on(datetime.date(2026, 9, 30), "feedback", point=busy)  # last day included
    on(datetime.date(2026, 6, 30), "visit", point=busy)  # before
    on(datetime.date(2026, 10, 1), "feedback", point=busy)  # after
    on(datetime.date(2026, 8, 1), "meeting", supervisor=supervisor)
    on(datetime.date(2026, 8, 2), "feedback", supervisor=supervisor)

    with CaptureQueriesContext(connection) as queries:
        rows = liaison_activity(start=start, end=end)
    assert len(queries) == 2
    by_name = {(row["kind"], row["name"]): row for row in rows}
    assert set(by_name) == {("point", "A 企业"), ("point", "B 企业"), ("supervisor", "王建国")}
    a = by_name[("point", "A 企业")]
    assert (a["id"], a["visits"], a["feedback"], a["meetings"], a["total"]) == (busy.pk, 2, 1, 0, 3)
    assert a["last_on"] == datetime.date(2026, 9, 30)
    b = by_name[("point", "B 企业")]
    assert (b["id"], b["visits"], b["feedback"], b["total"], b["last_on"]) == (quiet.pk, 0, 0, 0, None)
    s = by_name[("supervisor", "王建国")]
    assert (s["visits"], s["feedback"], s["meetings"], s["total"]) == (0, 1, 1, 2)
    assert s["enterprise_name"] == Supervisor.objects.get().enterprise_name


def test_liaison_activity_refuses_a_reversed_range():
    with pytest.raises(ValueError):
        liaison_activity(start=datetime.date(2026, 2, 1), end=datetime.date(2026, 1, 1))
