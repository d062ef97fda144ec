"""The API answers every request with JSON and a 4xx, never a 5xx or an HTML page: filters and
ordering for every role (an empty list carries the same annotations as a full one), invalid
parameters (400), unknown paths (404) and the other errors DRF raises (401/403/405)."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from casework.tests import factories
from complaints.tests import factories as complaint_factories
from envopt.setup.roles import ROLES

pytestmark = pytest.mark.django_db

API = "/api/v1/"


def users_of_every_role() -> dict[str, User]:
    """One user per role of envopt.setup.roles, plus signed-in users in no group at all."""
    department = complaint_factories.department()
    users = {}
    for key, role in ROLES.items():
        user = User.objects.create_user(f"role-{key}", password="pw-12345678", is_staff=role["staff"])
        user.groups.add(Group.objects.get(name=role["group"]))
        if key == "department_user":
            department.members.add(user)
        users[key] = user
    users["no group"] = User.objects.create_user("nobody", password="pw-12345678")
    users["staff, no group"] = User.objects.create_user("staff-nobody", password="pw-12345678", is_staff=True)
    return users


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def everyone():
    handler = factories.user("handler")
    factories.referred_case(actor=handler)
    factories.accepted_case(actor=handler)
    return users_of_every_role()


# Every filter and ordering of the list endpoints that reads an annotation or a related table.
LIST_PARAMS = {
    "cases": [
        {"overdue": "true"},
        {"overdue": "false"},
        {"unsatisfied": "true"},
        {"unsatisfied": "false"},
        {"ordering": "due_date"},
        {"ordering": "-due_date"},
        {"ordering": "escalation_level"},
        {"ordering": "-opened_at"},
        {"overdue": "true", "ordering": "-due_date"},
    ],
    "referrals": [{"ordering": "due_date"}, {"ordering": "-due_date"}, {"ordering": "-sent_at"}],
    "complaints": [{"ordering": "received_at"}, {"ordering": "-id"}],
    "events": [{"ordering": "at"}, {"ordering": "-at"}],
    "departments": [{"is_key": "true"}],
}


@pytest.mark.parametrize(
    ("endpoint", "params"),
    [(endpoint, params) for endpoint, all_params in LIST_PARAMS.items() for params in all_params],
)
def test_filters_and_ordering_answer_every_role_without_a_server_error(everyone, endpoint, params):
    for role, user in everyone.items():
        response = client_for(user).get(f"{API}{endpoint}/", params)
        assert response.status_code in (200, 403), (role, response.status_code)
        assert response["Content-Type"].startswith("application/json"), role
        if response.status_code == 200:
            assert isinstance(response.json()["results"], list)


def test_a_user_without_the_case_permission_gets_an_empty_list_of_overdue_cases(everyone):
    for role in ("department_user", "liaison_reporter", "no group", "staff, no group"):
        body = (
            client_for(everyone[role]).get(f"{API}cases/", {"overdue": "true", "ordering": "due_date"}).json()
        )
        assert body["results"] == [] and body["count"] == 0, role


INVALID = {
    "cases": [
        {"department": "abc"},
        {"department": "1.5"},
        {"escalation_level": "x"},
        {"status": "no-such-status"},
        {"disposition": "no-such"},
        {"opened_at_after": "not-a-date"},
        {"closed_at_before": "2026-13-45"},
        {"overdue": "perhaps"},
    ],
    "referrals": [{"department": "x"}, {"due_date_after": "yesterday"}, {"kind": "??"}],
    "complaints": [{"is_anonymous": "maybe"}, {"received_at_before": "31/12/2026"}, {"category": "x"}],
    "events": [{"case": "abc"}, {"case": "1e400"}, {"at_after": "x"}],
    "departments": [{"is_key": "sure"}, {"system": "??"}],
}


@pytest.mark.parametrize(
    ("endpoint", "params"),
    [(endpoint, params) for endpoint, all_params in INVALID.items() for params in all_params],
)
def test_an_invalid_parameter_is_a_400_with_a_message(everyone, endpoint, params):
    response = client_for(everyone["case_handler"]).get(f"{API}{endpoint}/", params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body and all(body.values())


@pytest.mark.parametrize("endpoint", ["cases", "departments", "referrals"])
@pytest.mark.parametrize("params", [{"page": "999"}, {"page": "1" * 40}])
def test_a_page_past_the_last_is_a_json_404(everyone, endpoint, params):
    response = client_for(everyone["case_handler"]).get(f"{API}{endpoint}/", params)
    assert response.status_code == 404 and response.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "last"},
        {"page": "１"},
        {"page_size": "abc"},
        {"page_size": "-5"},
        {"page_size": "0"},
        {"page_size": "101"},
        {"page_size": "1" * 40},
    ],
)
def test_page_and_page_size_are_whole_numbers_from_1_or_a_400_naming_them(everyone, params):
    response = client_for(everyone["case_handler"]).get(f"{API}cases/", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_pages_hold_what_page_size_asks_for_up_to_100(everyone):
    client = client_for(everyone["case_handler"])
    assert len(client.get(f"{API}departments/", {"page_size": "1"}).json()["results"]) == 1
    assert client.get(f"{API}departments/", {"page_size": "100", "page": "1"}).status_code == 200
    assert client.get(f"{API}departments/", {"page_size": "", "page": ""}).status_code == 200


@pytest.mark.parametrize(
    ("endpoint", "params"),
    [
        ("cases", {"department": "0"}),
        ("cases", {"handler": "9" * 30}),
        ("cases", {"office": "-3"}),
        ("cases", {"escalation_level": "9" * 30}),
        ("referrals", {"department": "9" * 30}),
        ("complaints", {"department": "123456789"}),
        ("events", {"case": "9" * 30}),
    ],
)
def test_an_unknown_id_gives_an_empty_list_not_an_error(everyone, endpoint, params):
    # Like an id the viewer may not see: the filter tells nobody which departments or people exist.
    response = client_for(everyone["case_handler"]).get(f"{API}{endpoint}/", params)
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/nope",
        "/api/nope/",
        "/api/v1/nope/",
        "/api/v1/cases/abc/",
        "/api/v1/cases/1/nope/",
        "/api/v2/cases/",
        "/api/v1/referrals/1/acknowledge/extra/",
    ],
)
def test_an_unknown_path_under_api_is_a_json_404(everyone, path):
    for user in (None, everyone["case_handler"]):
        client = APIClient() if user is None else client_for(user)
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]


def test_a_known_path_without_its_slash_is_redirected_not_lost(everyone):
    response = client_for(everyone["case_handler"]).get("/api/v1/cases")
    assert response.status_code == 301 and response["Location"].endswith("/api/v1/cases/")


def test_paths_outside_the_api_are_untouched():
    assert APIClient().get("/no-such-page/").status_code == 404
    assert not APIClient().get("/no-such-page/")["Content-Type"].startswith("application/json")


def test_a_post_to_an_unknown_path_is_a_json_404_not_a_csrf_page(everyone):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(everyone["case_handler"])
    response = client.post("/api/v1/referrals/x/acknowledge/")
    assert response.status_code == 404 and response.json()["detail"]


def test_method_not_allowed_unauthenticated_and_forbidden_are_json(everyone):
    handler = client_for(everyone["case_handler"])
    cases = handler.get(f"{API}cases/").json()["results"]
    responses = {
        "405": handler.delete(f"{API}cases/{cases[0]['id']}/"),
        "405 on a list": handler.post(f"{API}cases/", {}, format="json"),
        "unauthenticated": APIClient().get(f"{API}cases/"),
        "bad token": APIClient(HTTP_AUTHORIZATION="Token nope").get(f"{API}cases/"),
    }
    assert responses["405"].status_code == 405 and responses["405 on a list"].status_code == 405
    assert responses["unauthenticated"].status_code in (401, 403)
    for name, response in responses.items():
        assert response["Content-Type"].startswith("application/json"), name
        assert response.json()["detail"], name


# --- Responses as the schema describes them ---------------------------------------------------------


def schema_enums(schema: dict, component: str) -> dict[str, tuple[set, bool]]:
    """For each enum property of a component: its values, and whether null is allowed."""
    components = schema["components"]["schemas"]
    found = {}
    for name, prop in components[component]["properties"].items():
        refs = [item["$ref"] for item in prop.get("oneOf", prop.get("allOf", [])) if "$ref" in item]
        values = set()
        for ref in refs:
            values |= set(components[ref.rsplit("/", 1)[-1]].get("enum", ()))
        if values:
            found[name] = (values - {None}, bool(prop.get("nullable")) or None in values)
    return found


def test_every_choice_in_a_response_is_in_the_schemas_enum_or_a_declared_null(everyone):
    handler = factories.user("handler")
    factories.accepted_case(actor=handler)  # no disposition, no finding yet
    client = client_for(everyone["administrator"])
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for endpoint, component in {"cases": "Case", "complaints": "Complaint", "referrals": "Referral"}.items():
        enums = schema_enums(schema, component)
        assert enums, component
        for row in client.get(f"{API}{endpoint}/", {"page_size": 100}).json()["results"]:
            for name, (values, nullable) in enums.items():
                assert row[name] in values or (row[name] is None and nullable), (endpoint, name, row[name])
    assert schema_enums(schema, "Case")["disposition"][1] and schema_enums(schema, "Case")["finding"][1]


def test_an_undecided_disposition_and_finding_are_null(everyone):
    case = factories.accepted_case(actor=factories.user("handler"))
    body = client_for(everyone["case_handler"]).get(f"{API}cases/{case.pk}/").json()
    assert body["disposition"] is None and body["finding"] is None


def test_an_empty_query_parameter_means_not_given_and_the_schema_says_so(everyone):
    client = client_for(everyone["case_handler"])
    everything = client.get(f"{API}cases/").json()["count"]
    empty = {"status": "", "department": "", "overdue": "", "opened_at_after": "", "page": "", "ordering": ""}
    assert client.get(f"{API}cases/", empty).json()["count"] == everything
    schema = client.get("/api/schema/", {"format": "json"}).json()
    parameters = schema["paths"]["/api/v1/cases/"]["get"]["parameters"]
    assert all(p.get("allowEmptyValue") for p in parameters if p["in"] == "query")


def test_an_id_too_large_for_any_column_matches_nothing(client):
    client.force_login(factories.user("handler"))
    response = client.get("/api/v1/events/", {"case": str(2**70)})
    assert response.status_code == 200
    assert response.json()["results"] == []
