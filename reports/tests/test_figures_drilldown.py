"""The dashboard counts exactly what its drill-downs list: for every figure, in every quarter
shown and for every department, category and channel, the admin list narrowed by the figure's
filter holds as many rows as the dashboard says."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory

from casework import services
from casework.figures import ComplaintFigureFilter, FigureFilter
from casework.models import Case, Referral
from casework.selectors import case_list
from casework.tests import factories
from complaints.models import Complaint
from core.periods import Quarter
from reports.dashboard.figures import CASE, COMPLAINT, FIGURES, NONE, Selection
from reports.dashboard.selectors import Dashboard, QuarterFigures
from reports.dashboard.tables import drilldown_url
from reports.tests.test_dashboard import URLS, build_scenario

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLS)]

FILTERS = {CASE: (Case, FigureFilter), COMPLAINT: (Complaint, ComplaintFigureFilter)}


@pytest.fixture(autouse=True)
def _notification_urls(settings):
    settings.ROOT_URLCONF = URLS


@pytest.fixture
def figure_filters_in_admin(monkeypatch):
    """The figure filters in the case and complaint lists, as the project wires them."""
    for model, filter_class in FILTERS.values():
        model_admin = admin.site._registry[model]
        if filter_class not in model_admin.list_filter:
            monkeypatch.setattr(model_admin, "list_filter", [filter_class, *model_admin.list_filter])


@pytest.fixture
def superuser():
    return User.objects.create_superuser("root", "root@example.com", "pw-12345678")


@pytest.fixture
def data():
    """The known-answer fixture, plus what it lacks so that every figure counts something."""
    scenario = build_scenario()
    handler = scenario.handler
    transferred = factories.accepted_case(actor=handler, department=scenario.other)
    services.case_refer(
        case=transferred,
        department=scenario.other,
        kind=Referral.Kind.TRANSFER,
        released_text="请核实。",
        actor=handler,
    )
    Case.objects.filter(pk=transferred.pk).update(escalation_level=1)
    factories.accepted_case(actor=handler, department=scenario.key)  # disposition undecided
    return scenario


def _report(quarter: Quarter):
    return Dashboard(quarter=quarter).generate()


def _filtered_count(selection: Selection, user) -> int:
    """The figure filter's own queryset() over the admin's list for this user."""
    model, filter_class = FILTERS[selection.figure.model]
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = user
    params = {name: [value] for name, value in selection.admin_params().items()}
    list_filter = filter_class(request, params, model, model_admin)
    assert params == {}, "the filter takes all of its parameters"
    return list_filter.queryset(request, model_admin.get_queryset(request)).count()


def _groups(figures: QuarterFigures):
    """Every (dimension, value, tally) of a quarter, as the drill-down parameters spell them."""
    for department, tally in figures.by_department.items():
        yield "department", NONE if department is None else department, tally
    for category, tally in figures.by_category.items():
        yield "category", category, tally
    for channel, tally in figures.by_channel.items():
        yield "channel", channel or NONE, tally


def test_every_figure_counts_something_in_the_fixture(data):
    report = _report(data.current)
    counted = {key for item in report.chronological for key, value in item.total.counts.items() if value}
    assert counted == set(FIGURES)


def test_every_figure_equals_its_drilldown_in_every_quarter(data, superuser):
    report = _report(data.current)
    for item in report.chronological:
        for key, figure in FIGURES.items():
            selection = Selection.build(key, item.quarter)
            if figure.model in FILTERS:
                listed = _filtered_count(selection, superuser)
            else:
                listed = selection.queryset().count()
            assert listed == item.total[key], (key, item.quarter.label)


def test_open_and_late_now_is_the_case_lists_overdue(data, superuser):
    late = Selection.build("open_late", data.current).queryset()
    assert set(late) == set(case_list(viewer=superuser).filter(overdue=True)) == {data.cases["c3"]}


def test_every_figure_equals_its_drilldown_per_department_category_and_channel(data, superuser):
    report = _report(data.current)
    checked = 0
    for item in report.chronological:
        for dimension, value, tally in _groups(item):
            for key, figure in FIGURES.items():
                if figure.model not in FILTERS:
                    continue
                selection = Selection.build(key, item.quarter, **{dimension: value})
                assert _filtered_count(selection, superuser) == tally[key], (
                    key,
                    item.quarter.label,
                    dimension,
                    value,
                )
                checked += tally[key]
    assert checked > 100


DRILLDOWNS = [
    ("accepted", "current", {}),
    ("open_late", "current", {}),
    ("open_late", "previous", {}),
    ("concluded_late", "current", {"department": "other"}),
    ("concluded_on_time", "previous", {}),
    ("returned", "current", {"department": "key"}),
    ("escalated_3", "previous", {}),
    ("received", "current", {"category": "charges"}),
    ("received", "current", {"department": NONE}),
    ("received", "year_earlier", {}),
    ("liaison_complaints", "current", {"channel": "supervisor"}),
    ("rated_satisfied", "current", {}),
    ("recommendations_issued", "current", {}),
    ("recommendations_rectified", "current", {}),
    ("talks", "previous", {}),
    ("liaison_visits", "current", {}),
    ("liaison_meetings", "previous", {}),
]


@pytest.mark.parametrize(("key", "which", "dimensions"), DRILLDOWNS)
def test_the_admin_list_behind_a_number_lists_that_many_rows(
    client, data, superuser, figure_filters_in_admin, key, which, dimensions
):
    quarter = getattr(data, which)
    dimensions = {
        name: {"key": data.key.pk, "other": data.other.pk}.get(value, value)
        for name, value in dimensions.items()
    }
    figures = getattr(_report(data.current), "current" if which == "current" else which)
    if dimensions:
        (name, value), *_rest = dimensions.items()
        group = {"department": figures.by_department, "category": figures.by_category}.get(
            name, figures.by_channel
        )
        expected = group[None if value == NONE else value][key]
    else:
        expected = figures.total[key]
    assert expected > 0
    client.force_login(superuser)
    response = client.get(drilldown_url(Selection.build(key, quarter, **dimensions)))
    assert response.status_code == 200, response.get("Location")
    assert response.context["cl"].result_count == expected


@pytest.mark.parametrize(
    "key", ["concluded", "received", "recommendations_issued", "talks", "liaison_entries"]
)
def test_a_leader_can_follow_every_kind_of_figure_to_its_list(client, data, figure_filters_in_admin, key):
    expected = _report(data.current).current.total[key]
    client.force_login(factories.user("leader"))
    response = client.get(drilldown_url(Selection.build(key, data.current)))
    assert response.status_code == 200
    assert response.context["cl"].result_count == expected > 0


def test_an_unknown_figure_or_quarter_is_reported_not_ignored(client, superuser, figure_filters_in_admin):
    client.force_login(superuser)
    for query in ("figure=nonsense&quarter=2026Q3", "figure=accepted&quarter=2026Q9", "figure=received"):
        response = client.get(f"/admin/casework/case/?{query}")
        assert response.status_code == 302 and response["Location"].endswith("?e=1"), query
    response = client.get("/admin/complaints/complaint/?figure=received&quarter=2026Q3&department=abc")
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_a_selection_spells_its_drilldown_parameters_and_names_itself(data, superuser):
    selection = Selection.build("received", data.current, department=data.key.pk, category="fines")
    assert selection.admin_params() == {
        "figure": "received",
        "quarter": data.current.label,
        "department": str(data.key.pk),
        "category": "fines",
    }
    assert data.key.name in selection.describe()
