"""Every number of the assessment drills down to exactly the records it counts.

* The approval records' and signals' admin lists are approvals' (built beside this work): their
  query strings (APPROVALS.md) are checked here against the ORM, and the admin lists themselves
  by ``test_the_approval_lists_list_what_the_assessment_counts`` once they are installed.
* The case, complaint and referral lists are casework's: each number equals the rows of the list
  its link opens, for the quarter and for a month."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth.models import User
from django.db.models import F, Q

from approvals.models import ApprovalRecord, ApprovalSignal
from core.periods import Period
from reports.dashboard.assessment import INDICATOR_INPUTS, assessment_compute
from reports.dashboard.assessment_figures import RECORDS, SIGNALS, drilldown_params
from reports.tests import assessment_data
from reports.tests.assessment_data import Q3

pytestmark = [pytest.mark.django_db, pytest.mark.urls("reports.tests.urls_dashboard")]

PERIODS = [Q3, Period.month(2026, 9)]
INPUT_KEYS = sorted({key for keys in INDICATOR_INPUTS.values() for key in keys})
APPROVAL_LISTS = {
    RECORDS: ("/admin/approvals/approvalrecord/", "admin:approvals_approvalrecord_changelist"),
    SIGNALS: ("/admin/approvals/approvalsignal/", "admin:approvals_approvalsignal_changelist"),
}


@pytest.fixture
def data():
    return assessment_data.build()


@pytest.fixture
def superuser():
    return User.objects.create_superuser("root", "root@example.com", "pw-12345678")


def _orm_filter(params: dict[str, str]) -> Q:
    """The approvals lists' query string as the contract defines it, applied with the ORM."""
    condition = Q()
    for name, value in params.items():
        if name == "timeliness":
            assert value == "on_time"
            condition &= Q(decided_on__lte=F("due_on"))
        elif name.endswith("__in"):
            condition &= Q(**{name: value.split(",")})
        else:
            condition &= Q(**{name: value})
    return condition


def _inputs(period):
    for result in assessment_compute(period):
        for key in INPUT_KEYS:
            yield result, key, result.inputs[key]


@pytest.mark.parametrize("period", PERIODS, ids=lambda period: period.label)
def test_the_approval_query_strings_select_what_the_assessment_counts(data, period):
    checked = 0
    for result, key, value in _inputs(period):
        list_key, params = drilldown_params(key, period, result.department_id)
        if list_key not in APPROVAL_LISTS:
            continue
        model = ApprovalRecord if list_key == RECORDS else ApprovalSignal
        assert set(params) <= {
            "department__id__exact",
            "decision__in",
            "decided_on__gte",
            "decided_on__lt",
            "timeliness",
            "kind__in",
            "colour__exact",
            "raised_at__gte",
            "raised_at__lt",
        }
        assert model.objects.filter(_orm_filter(params)).count() == value, (result.department_name, key)
        checked += 1
    assert checked


def _listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, (url, response.get("Location"))
    return response.context["cl"].result_count


@pytest.mark.parametrize("period", PERIODS, ids=lambda period: period.label)
def test_the_case_complaint_and_referral_lists_list_what_the_assessment_counts(
    client, data, superuser, period
):
    client.force_login(superuser)
    checked = 0
    for result, key, value in _inputs(period):
        list_key, _params = drilldown_params(key, period, result.department_id)
        if list_key in APPROVAL_LISTS:
            continue
        url = result.link(key)
        assert url, key
        assert _listed(client, url) == value, (result.department_name, key, url)
        checked += value
    assert checked >= (8 if period == Q3 else 4)  # cases, referrals, ratings: the fixture counts them


@pytest.mark.parametrize("period", PERIODS, ids=lambda period: period.label)
def test_the_approval_lists_list_what_the_assessment_counts(client, data, superuser, period):
    """Runs against the records' admin (A1) and the signals' admin (A2) once they are installed:
    until then the links are missing and this test fails, by design."""
    client.force_login(superuser)
    checked = 0
    for result, key, value in _inputs(period):
        list_key, _params = drilldown_params(key, period, result.department_id)
        if list_key not in APPROVAL_LISTS:
            continue
        url = result.link(key)
        assert url.startswith(APPROVAL_LISTS[list_key][0]), (key, "the approvals admin is not installed")
        assert _listed(client, url) == value, (result.department_name, key, url)
        checked += value
    assert checked >= (10 if period == Q3 else 4)


def test_the_referral_list_reports_a_bad_assessment_figure_not_ignores_it(client, superuser):
    client.force_login(superuser)
    for query in (
        "figure=nonsense&quarter=2026Q3&department=1",
        "figure=referrals_due&quarter=2026Q9&department=1",
        "figure=referrals_due&quarter=2026Q3&department=abc",
        "figure=referrals_due&quarter=2026Q3&department=1&category=fines",
    ):
        response = client.get(f"/admin/casework/referral/?{query}")
        assert response.status_code == 302 and response["Location"].endswith("?e=1"), query


def test_a_link_names_its_department_and_period(data):
    result = next(item for item in assessment_compute(Q3) if item.department_id == data.c.pk)
    query = dict(parse_qsl(urlsplit(result.link("referrals_on_time")).query))
    assert query == {"figure": "referrals_on_time", "quarter": "2026Q3", "department": str(data.c.pk)}
    query = dict(parse_qsl(urlsplit(result.link("complaints")).query))
    assert query == {"figure": "accepted", "quarter": "2026Q3", "department": str(data.c.pk)}
