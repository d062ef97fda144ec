"""The REST API under /api/v1/: visibility from the selectors, no identity for departments, the
department workflow through the services, token auth, constant queries, schema and docs."""

import json
import re
from types import SimpleNamespace

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from casework import services
from casework.models import Case, CaseEvent, HandlingReport, Referral
from casework.tests import factories
from complaints.models import Complaint, IdentityView
from complaints.selectors import complaint_text_for_viewer
from complaints.services import complaint_submit
from complaints.tests import factories as complaint_factories

pytestmark = pytest.mark.django_db

API = "/api/v1/"
ENDPOINTS = {"cases": Case, "complaints": Complaint, "referrals": Referral, "events": CaseEvent}
ROLES = ["intake", "handler", "head", "leader", "dept_a", "dept_b", "liaison"]


def client_for(user=None, *, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def listed_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None, "the test data must fit on one page"
    return {row["id"] for row in body["results"]}


@pytest.fixture
def world():
    handler = factories.user("handler")
    dept_a, dept_b = complaint_factories.department(), complaint_factories.department()
    a_user = factories.user("dept", department=dept_a)
    b_user = factories.user("dept", department=dept_b)
    case_a, referral_a = factories.referred_case(actor=handler, department=dept_a)
    case_b, referral_b = factories.reported_case(actor=handler, dept_user=b_user, department=dept_b)
    accepted = factories.accepted_case(actor=handler, department=dept_a)
    untriaged = complaint_factories.submit(department=dept_a).complaint
    anonymous = complaint_factories.submit(anonymous=True, department=dept_b).complaint
    users = {
        "intake": factories.user("intake"),
        "handler": handler,
        "head": factories.user("head"),
        "leader": factories.user("leader"),
        "dept_a": a_user,
        "dept_b": b_user,
        "liaison": factories.user("liaison"),
    }
    return SimpleNamespace(
        users=users,
        dept_a=dept_a,
        dept_b=dept_b,
        case_a=case_a,
        case_b=case_b,
        referral_a=referral_a,
        referral_b=referral_b,
        accepted=accepted,
        untriaged=untriaged,
        anonymous=anonymous,
    )


# --- Visibility ---------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_a_list_holds_exactly_the_ids_whose_detail_answers_200(world, role, endpoint):
    client = client_for(world.users[role])
    listed = listed_ids(client.get(f"{API}{endpoint}/", {"page_size": 100}))
    answering = set()
    for pk in ENDPOINTS[endpoint].objects.values_list("id", flat=True):
        response = client.get(f"{API}{endpoint}/{pk}/")
        # Not visible is "not found", never "forbidden": a viewer learns nothing of what exists.
        assert response.status_code in (200, 404), (pk, response.status_code)
        if response.status_code == 200:
            answering.add(pk)
    assert listed == answering


def test_departments_see_their_own_referrals_and_nothing_of_the_case_file(world):
    for role, referral in (("dept_a", world.referral_a), ("dept_b", world.referral_b)):
        client = client_for(world.users[role])
        assert listed_ids(client.get(f"{API}referrals/")) == {referral.pk}
        for endpoint in ("cases", "complaints", "events"):
            assert listed_ids(client.get(f"{API}{endpoint}/")) == set()


def test_department_a_gets_404_for_the_referral_of_department_b(world):
    client = client_for(world.users["dept_a"])
    assert client.get(f"{API}referrals/{world.referral_b.pk}/").status_code == 404
    assert client.get(f"{API}referrals/{world.referral_a.pk}/").status_code == 200


def test_the_case_handler_sees_every_case_complaint_referral_and_event(world):
    client = client_for(world.users["handler"])
    for endpoint, model in ENDPOINTS.items():
        assert listed_ids(client.get(f"{API}{endpoint}/", {"page_size": 100})) == set(
            model.objects.values_list("id", flat=True)
        )


def test_anonymous_requests_are_refused(world):
    client = client_for()
    for endpoint, model in {**ENDPOINTS, "departments": world.dept_a.__class__}.items():
        assert client.get(f"{API}{endpoint}/").status_code in (401, 403)
        pk = model.objects.values_list("id", flat=True).first()
        assert client.get(f"{API}{endpoint}/{pk}/").status_code in (401, 403)
    response = client.post(f"{API}referrals/{world.referral_a.pk}/acknowledge/")
    assert response.status_code in (401, 403)


def test_every_signed_in_user_lists_active_departments_without_contacts_unless_staff(world):
    world.dept_b.is_active = False
    world.dept_b.save(update_fields=["is_active"])
    for role in ("dept_a", "liaison"):
        rows = client_for(world.users[role]).get(f"{API}departments/", {"page_size": 100}).json()["results"]
        assert world.dept_a.pk in {row["id"] for row in rows}
        assert world.dept_b.pk not in {row["id"] for row in rows}
        assert all(row["contact"] is None for row in rows)
        assert world.dept_a.email not in json.dumps(rows)
    row = client_for(world.users["handler"]).get(f"{API}departments/{world.dept_a.pk}/").json()
    assert row["contact"]["email"] == world.dept_a.email
    assert client_for(world.users["handler"]).get(f"{API}departments/{world.dept_b.pk}/").status_code == 404


# --- Identity -------------------------------------------------------------------------------

SECRETS = {
    "contact_name": "欧阳守密",
    "phone": "13700001111",
    "email": "only.here@secret.example.org",
    "enterprise_name": "独此一家精工有限公司",
    "credit_code": "91110000802100433B",
}
SENTENCE = "仓库后门第三块地砖下面压着那本收费账册。"


def secret_referral(*, handler, department):
    complaint = complaint_submit(
        data=complaint_factories.complaint_data(
            department=department, description=SENTENCE + "执法人员每周上门检查,每次收取检查费。"
        ),
        identity=complaint_factories.identity(**SECRETS),
    ).complaint
    case = services.complaint_accept(complaint=complaint, actor=handler)
    referral = services.case_refer(
        case=case,
        department=department,
        kind=Referral.Kind.TRANSFER,
        released_text="企业反映执法人员频繁上门检查并收费。",
        instructions="请核实。",
        actor=handler,
    )
    return complaint, case, referral


def test_nothing_a_department_user_can_reach_carries_the_complainant_or_the_complaint_text():
    handler = factories.user("handler")
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    complaint, case, referral = secret_referral(handler=handler, department=department)
    client = client_for(dept_user)
    bodies = []

    def fetch(method, url, **kwargs):
        response = getattr(client, method)(url, **kwargs)
        bodies.append(response.content.decode())
        if response.headers.get("Content-Type", "").startswith("application/json"):
            bodies.append(json.dumps(response.json(), ensure_ascii=False))
        return response

    fetch("post", f"{API}referrals/{referral.pk}/acknowledge/")
    fetch(
        "post",
        f"{API}referrals/{referral.pk}/report/",
        data={"facts": "已核查。", "finding": "partly", "measures": "已整改。"},
        format="json",
    )
    for endpoint in ("cases", "complaints", "referrals", "departments", "events"):
        rows = fetch("get", f"{API}{endpoint}/", data={"page_size": 100}).json()["results"]
        for row in rows:
            fetch("get", f"{API}{endpoint}/{row['id']}/")
    for url in (f"cases/{case.pk}/", f"complaints/{complaint.pk}/"):
        assert fetch("get", f"{API}{url}").status_code == 404
    for event in CaseEvent.objects.filter(case=case):
        assert fetch("get", f"{API}events/{event.pk}/").status_code == 404

    text = "\n".join(bodies)
    assert referral.released_text in text and case.reference in text  # the test did reach the referral
    for secret in [*SECRETS.values(), SENTENCE, case.title]:
        assert secret not in text, secret


def test_identity_is_shown_to_the_intake_officer_and_the_look_is_recorded(world):
    intake = world.users["intake"]
    body = client_for(intake).get(f"{API}complaints/{world.untriaged.pk}/").json()
    identity = complaint_factories.identity()
    assert body["identity"] == {
        "contact_name": identity.contact_name,
        "phone": identity.phone,
        "email": identity.email,
        "enterprise_name": identity.enterprise_name,
        "credit_code": identity.credit_code,
    }
    assert body["is_anonymous"] is False
    assert IdentityView.objects.filter(complaint=world.untriaged, viewer=intake).count() == 1


def test_identity_is_null_for_the_case_handler(world):
    handler = world.users["handler"]
    body = client_for(handler).get(f"{API}complaints/{world.untriaged.pk}/").json()
    assert body["identity"] is None and body["is_anonymous"] is False
    # What the complainant wrote, masked as the staff workplace masks it for this viewer.
    assert body["description"] == complaint_text_for_viewer(world.untriaged, "description", can_see=False)
    assert not IdentityView.objects.filter(viewer=handler).exists()


def test_an_anonymous_complaint_has_no_identity_even_for_the_intake_officer(world):
    body = client_for(world.users["intake"]).get(f"{API}complaints/{world.anonymous.pk}/").json()
    assert body["identity"] is None and body["is_anonymous"] is True


def test_complaint_lists_never_carry_identity(world):
    rows = client_for(world.users["intake"]).get(f"{API}complaints/").json()["results"]
    assert rows and all(row["identity"] is None for row in rows)
    assert complaint_factories.identity().phone not in json.dumps(rows)
    assert not IdentityView.objects.exists()


def test_a_department_sees_the_case_reference_but_not_the_case(world):
    dept_body = client_for(world.users["dept_a"]).get(f"{API}referrals/{world.referral_a.pk}/").json()
    assert dept_body["case_reference"] == world.case_a.reference and dept_body["case"] is None
    staff_body = client_for(world.users["handler"]).get(f"{API}referrals/{world.referral_a.pk}/").json()
    assert staff_body["case"] == {"id": world.case_a.pk, "title": world.case_a.title}


# --- The department workflow ---------------------------------------------------------------------

REPORT = {
    "facts": "经核查,确有重复检查。",
    "finding": "substantiated",
    "measures": "已约谈执法大队,合并检查事项。",
}


def snapshot(referral: Referral) -> dict:
    referral.refresh_from_db()
    case = Case.objects.get(pk=referral.case_id)
    report = referral.reports.get()
    return {
        "referral": (
            referral.status,
            referral.round,
            referral.acknowledged_by_id is not None,
            referral.acknowledged_at is not None,
        ),
        "case": case.status,
        "events": list(case.events.values_list("action", "from_status", "to_status")),
        "report": (report.round, report.facts, report.finding, report.measures),
        "deadline": (referral.deadline.status, referral.deadline.met_at is not None),
    }


def test_acknowledge_and_report_through_the_api_move_the_referral_and_case_like_the_services():
    handler = factories.user("handler")
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    _case, by_api = factories.referred_case(actor=handler, department=department)
    _case, by_services = factories.referred_case(actor=handler, department=department)
    client = client_for(dept_user)

    response = client.post(f"{API}referrals/{by_api.pk}/acknowledge/")
    assert response.status_code == 200 and response.json()["status"] == Referral.Status.ACKNOWLEDGED
    response = client.post(f"{API}referrals/{by_api.pk}/report/", REPORT, format="json")
    assert response.status_code == 201
    assert response.json()["facts"] == REPORT["facts"] and response.json()["round"] == 1

    services.referral_acknowledge(referral=by_services, actor=dept_user)
    services.referral_report(referral=by_services, actor=dept_user, **REPORT)

    assert snapshot(by_api) == snapshot(by_services)
    assert snapshot(by_api)["case"] == Case.Status.REVIEWING
    assert by_api.acknowledged_by == dept_user
    assert HandlingReport.objects.get(referral=by_api).submitted_by == dept_user


def test_reporting_twice_is_a_conflict():
    handler = factories.user("handler")
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    _case, referral = factories.reported_case(actor=handler, dept_user=dept_user, department=department)
    response = client_for(dept_user).post(f"{API}referrals/{referral.pk}/report/", REPORT, format="json")
    assert response.status_code == 409 and response.json()["detail"]
    assert referral.reports.count() == 1


def test_acknowledging_twice_is_a_conflict(world):
    client = client_for(world.users["dept_a"])
    assert client.post(f"{API}referrals/{world.referral_a.pk}/acknowledge/").status_code == 200
    assert client.post(f"{API}referrals/{world.referral_a.pk}/acknowledge/").status_code == 409


def test_a_report_without_facts_is_refused_with_a_message(world):
    client = client_for(world.users["dept_a"])
    client.post(f"{API}referrals/{world.referral_a.pk}/acknowledge/")
    url = f"{API}referrals/{world.referral_a.pk}/report/"

    missing = client.post(url, {"finding": "partly", "measures": "已整改。"}, format="json")
    assert missing.status_code == 400 and missing.json()["facts"]

    blank = client.post(url, {**REPORT, "facts": "  "}, format="json")
    assert blank.status_code == 400
    assert blank.json() == {"facts": ["Write something here."]}

    world.referral_a.refresh_from_db()
    assert world.referral_a.status == Referral.Status.ACKNOWLEDGED and not world.referral_a.reports.exists()


def test_only_the_referrals_department_or_a_case_handler_may_act_on_it(world):
    url = f"{API}referrals/{world.referral_a.pk}/acknowledge/"
    assert client_for(world.users["dept_b"]).post(url).status_code == 404  # not visible to B
    assert client_for(world.users["liaison"]).post(url).status_code == 404
    refused = client_for(world.users["leader"]).post(url)  # sees referrals, does not handle cases
    assert refused.status_code == 403 and refused.json()["detail"]
    world.referral_a.refresh_from_db()
    assert world.referral_a.status == Referral.Status.SENT
    assert client_for(world.users["handler"]).post(url).status_code == 200


# --- Filters and ordering -------------------------------------------------------------------------


def test_cases_filter_by_status_department_and_overdue(world):
    client = client_for(world.users["handler"])
    Referral.objects.filter(pk=world.referral_a.pk).update(
        due_date=timezone.localdate() - timezone.timedelta(1)
    )
    assert listed_ids(client.get(f"{API}cases/", {"overdue": "true"})) == {world.case_a.pk}
    assert world.case_a.pk not in listed_ids(client.get(f"{API}cases/", {"overdue": "false"}))
    assert listed_ids(client.get(f"{API}cases/", {"status": "reviewing"})) == {world.case_b.pk}
    assert listed_ids(client.get(f"{API}cases/", {"department": world.dept_b.pk})) == {world.case_b.pk}
    assert listed_ids(client.get(f"{API}referrals/", {"status": "sent"})) == {world.referral_a.pk}
    assert listed_ids(client.get(f"{API}events/", {"case": world.case_b.pk})) == set(
        world.case_b.events.values_list("id", flat=True)
    )


def test_lists_are_newest_first(world):
    rows = client_for(world.users["handler"]).get(f"{API}cases/").json()["results"]
    assert [row["id"] for row in rows] == [world.accepted.pk, world.case_b.pk, world.case_a.pk]


# --- Authentication, queries, schema --------------------------------------------------------------


def test_token_authentication_works(world):
    _instance, token = AuthToken.objects.create(user=world.users["handler"])
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert world.case_a.pk in listed_ids(client.get(f"{API}cases/"))
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    refused = client.get(f"{API}cases/")
    assert refused.status_code in (401, 403) and refused.json()["detail"]


def test_lists_cost_the_same_number_of_queries_for_10_and_100_rows():
    handler = factories.user("handler")
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    urls = {
        handler: [f"{API}{endpoint}/" for endpoint in ("cases", "referrals", "complaints", "events")],
        dept_user: [f"{API}referrals/"],
    }

    def costs() -> dict:
        result = {}
        for user, user_urls in urls.items():
            client = client_for(user)
            for url in user_urls:
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url, {"page_size": 100})
                assert response.status_code == 200
                result[user.username, url] = (len(queries), len(response.json()["results"]))
        return result

    for _ in range(10):
        factories.referred_case(actor=handler, department=department)
    small = costs()
    for _ in range(90):
        factories.referred_case(actor=handler, department=department)
    large = costs()

    assert small[handler.username, f"{API}cases/"][1] == 10
    assert large[handler.username, f"{API}cases/"][1] == 100
    assert large[dept_user.username, f"{API}referrals/"][1] == 100
    assert {key: queries for key, (queries, _rows) in small.items()} == {
        key: queries for key, (queries, _rows) in large.items()
    }


def test_the_schema_is_an_openapi_3_document_for_signed_in_users(world):
    response = client_for(world.users["dept_a"]).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/cases/", "/api/v1/referrals/{id}/report/"} <= set(schema["paths"])
    assert client_for().get("/api/schema/").status_code in (401, 403)


def test_the_docs_page_loads_its_assets_from_static_not_a_cdn(world):
    response = client_for(world.users["handler"]).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert not re.search(r"https?://", html)
    for asset in re.findall(r"/static/([^\"'\s]+)", html):
        assert finders.find(asset), asset


def test_the_docs_page_sends_anonymous_visitors_to_sign_in():
    response = client_for().get("/api/docs/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
