"""schemathesis against /api/schema/ with the tokens of three roles: a case handler (staff without
the identity permission), a department user and an office head. Every operation of the schema,
bounded and derandomised (the same cases every run): generated requests, then requests at the
ids of real objects so that the serializers run on real rows. Checks: no 5xx, every response
conforms to its schema, and every status is one the schema documents.

The app is called in-process through its WSGI handler, inside the test's transaction.
"""

import copy
import datetime as dt
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup, ServerError
from schemathesis.core.result import Ok
from schemathesis.openapi.checks import UndefinedStatusCode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from casework import services
from casework.models import Case, CaseEvent, Referral
from complaints.tests import factories as complaint_factories
from inspections.models import ActivityFiling, ActivityFlag, CancelledActivity
from liaison.models import FeeSchedule
from liaison.tests.factories_associations import association
from tests.security.canaries import FIGURES
from tests.security.conftest import api_token, log_in, make_user

pytestmark = [pytest.mark.services, pytest.mark.django_db]

GENERATED_EXAMPLES = 20  # per operation and role
REAL_ID_EXAMPLES = 5  # per operation with an id, at a real object's id
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
ROLES = {"case handler": "case_handler", "department user": "department_user", "office head": "office_head"}


@pytest.fixture(scope="module")
def api_world(module_db):
    dept_a, dept_b = complaint_factories.department(), complaint_factories.department()
    handler = make_user("case_handler")
    users = {
        "case handler": handler,
        "department user": make_user("department_user", department=dept_a),
        "office head": make_user("office_head"),
    }
    for department in (dept_a, dept_b):
        # A case of each kind the API shows: referred, reported, accepted only, an anonymous one.
        case = services.complaint_accept(
            complaint=complaint_factories.submit(department=department).complaint, actor=handler
        )
        referral = services.case_refer(
            case=case,
            department=department,
            kind=Referral.Kind.ASSIGN,
            released_text="企业反映问题。",
            actor=handler,
        )
        services.referral_acknowledge(referral=referral, actor=handler)
        services.referral_report(
            referral=referral,
            facts="经核查属实。",
            finding=Case.Finding.SUBSTANTIATED,
            measures="已整改。",
            actor=handler,
        )
        services.complaint_accept(
            complaint=complaint_factories.submit(department=department).complaint, actor=handler
        )
        complaint_factories.submit(department=department, anonymous=True)
        services.case_refer(
            case=services.complaint_accept(
                complaint=complaint_factories.submit(department=department).complaint, actor=handler
            ),
            department=department,
            kind=Referral.Kind.TRANSFER,
            released_text="企业反映问题。",
            actor=handler,
        )
    # Issue 16: an openness campaign with a failed finding and a demonstration site, so that the
    # openness API's serializers run on real rows.
    from appraisal.models import ChecklistItem, OpennessCampaign
    from appraisal.openness.services import demonstration_site_mark, finding_record

    campaign = OpennessCampaign.objects.create(
        title="政务公开抽查", method="spot", starts_on="2026-10-01", ends_on="2026-12-31"
    )
    campaign.units.add(dept_a)
    finding_record(
        campaign=campaign,
        department=dept_a,
        item=ChecklistItem.objects.create(campaign=campaign, criterion="content", text="目录更新"),
        result="fail",
        note="目录未更新。",
        actor=handler,
    )
    demonstration_site_mark(
        campaign=campaign, department=dept_a, citation="整改到位", actor=users["office head"]
    )
    # Issue 16: a filing of A's, a cancelled item and a flag, so that the serializers run on real rows.
    activity = ActivityFiling.objects.create(
        department=dept_a,
        kind="training",
        title="企业培训班",
        organiser="培训中心",
        audience="企业",
        starts_on=dt.date(2026, 12, 1),
        ends_on=dt.date(2026, 12, 2),
        fee=Decimal("100.00"),
        fee_basis="依据",
    )
    CancelledActivity.objects.create(kind="award", name="某某企业评选活动", cancelled_on=dt.date(2026, 1, 1))
    ActivityFlag.objects.create(department=dept_b, kind="unfiled", title="某培训", explanation="未备案。")
    # Issue 16: an association with a fee item (/api/v1/associations/).
    association_a = association(supervising_department=dept_a)
    FeeSchedule.objects.create(association=association_a, item="会费", amount_min=100, legal_basis="章程")
    response = log_in(users["office head"]).get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200, response.content[:500]
    ids = {
        "cases": Case.objects.order_by("pk").values_list("pk", flat=True).last(),
        "complaints": Case.objects.order_by("pk").last().complaint_links.get().complaint_id,
        "referrals": Referral.objects.filter(department=dept_a).values_list("pk", flat=True).first(),
        "departments": dept_a.pk,
        "events": CaseEvent.objects.order_by("pk").values_list("pk", flat=True).last(),
        "openness": campaign.pk,
        "activities": activity.pk,
        "associations": association_a.pk,
    }
    return {"users": users, "schema": response.json(), "ids": ids}


@pytest.fixture
def generous_throttles(settings, monkeypatch):
    """The API's throttle rates raised for the run (DRF reads its rates once, into the class)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", api_settings.DEFAULT_THROTTLE_RATES)


@contextmanager
def connections_kept_open():
    # Django's handler closes the database connection at the end of each request; in a test that
    # would end the test's transaction (Django's own test client does the same as this).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _kind(failure: Failure) -> str:
    if isinstance(failure, ServerError):
        return "5xx"
    if isinstance(failure, UndefinedStatusCode):
        return "status"
    return "schema"


def _run(operation, strategy, *, examples, app, headers, row, findings, role) -> None:
    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=strategy)
    def run(case):
        row["cases"] += 1
        response = case.call(app=app, headers=headers)
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                kind = _kind(failure)
                row[kind] += 1
                findings.append(
                    (
                        kind,
                        f"{role}: {kind} {case.method} {response.request.url} → {response.status_code}: "
                        f"{failure.title} {' '.join(str(failure.message).split())[:300]}",
                    )
                )

    run()


def _resource(path: str) -> str:
    return path.strip("/").split("/")[2] if path.count("/") > 3 else ""


_RESULTS: dict[str, tuple[dict[str, int], list[tuple[str, str]]]] = {}


def fuzz(api_world, role: str) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Every operation for one role, once per session: (counts, [(kind, finding)])."""
    if role in _RESULTS:
        return _RESULTS[role]
    user = api_world["users"][role]
    headers = {"Authorization": f"Token {api_token(user)}"}
    schema = schemathesis.openapi.from_dict(copy.deepcopy(api_world["schema"]))
    row: dict[str, int] = defaultdict(int)
    findings: list[tuple[str, str]] = []
    app = WSGIHandler()
    with connections_kept_open():
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), result
            operation = result.ok()
            row["operations"] += 1
            kwargs = {"app": app, "headers": headers, "row": row, "findings": findings, "role": role}
            _run(operation, operation.as_strategy(), examples=GENERATED_EXAMPLES, **kwargs)
            names = [parameter.name for parameter in operation.path_parameters]
            real = api_world["ids"].get(_resource(operation.path))
            if names and real is not None:
                strategy = operation.as_strategy(path_parameters={names[0]: real})
                _run(operation, strategy, examples=REAL_ID_EXAMPLES, **kwargs)
    FIGURES.schemathesis[role].update(row)
    FIGURES.schemathesis_findings.extend(text for _kind, text in findings)
    _RESULTS[role] = (row, findings)
    assert row["operations"] >= 10 and row["cases"] >= 10 * GENERATED_EXAMPLES // 2, dict(row)
    return _RESULTS[role]


def _of_kind(findings, kind: str) -> list[str]:
    return [text for found, text in findings if found == kind][:30]


@pytest.mark.parametrize("role", list(ROLES))
def test_no_generated_request_gets_a_server_error(api_world, role, generous_throttles):
    _row, findings = fuzz(api_world, role)
    assert not _of_kind(findings, "5xx"), "\n".join(_of_kind(findings, "5xx"))


@pytest.mark.parametrize("role", list(ROLES))
def test_every_response_conforms_to_its_schema(api_world, role, generous_throttles):
    _row, findings = fuzz(api_world, role)
    assert not _of_kind(findings, "schema"), "\n".join(_of_kind(findings, "schema"))


@pytest.mark.parametrize("role", list(ROLES))
def test_every_status_the_api_answers_is_documented(api_world, role, generous_throttles):
    _row, findings = fuzz(api_world, role)
    assert not _of_kind(findings, "status"), "\n".join(_of_kind(findings, "status"))
