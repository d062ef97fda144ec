"""The API masks what complainants wrote by the same rule as the staff workplace
(complaints.selectors.text_for_viewer): as written for staff who may see who complained, with the
identity removed for everybody else, in lists and details alike; departments never get identity.
The case list export (casework.exports) follows the same rule."""

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from casework import services
from casework.exports import case_list_workbook
from casework.models import Case, IdentityAccessRequest, Referral
from casework.selectors import case_list
from casework.tests import factories
from complaints.services import complaint_submit
from complaints.tests import factories as complaint_factories

pytestmark = pytest.mark.django_db

API = "/api/v1/"
NAME, PHONE, ENTERPRISE = "欧阳守密", "13700001111", "独此一家精工有限公司"
IDENTITY = {"contact_name": NAME, "phone": PHONE, "enterprise_name": ENTERPRISE}
DESCRIPTION = f"我是{ENTERPRISE}的{NAME},电话{PHONE},执法人员每周上门检查并收取检查费。"
OUTCOME = f"请回电{PHONE}告知{NAME}处理结果。"
PLACE = f"{ENTERPRISE}厂区"
SECRETS = (NAME, PHONE, ENTERPRISE)


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def file_complaint(*, department=None, anonymous: bool = False, description: str = DESCRIPTION):
    return complaint_submit(
        data=complaint_factories.complaint_data(
            department=department or complaint_factories.department(),
            description=description,
            desired_outcome=OUTCOME,
            occurred_place=PLACE,
        ),
        identity=None if anonymous else complaint_factories.identity(**IDENTITY),
    ).complaint


def assert_masked(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


@pytest.fixture
def people():
    return {
        "intake": factories.user("intake"),
        "handler": factories.user("handler"),
        "head": factories.user("head"),
        "leader": factories.user("leader"),
    }


# --- Complaints ----------------------------------------------------------------------------------


def test_a_complaint_is_masked_for_staff_without_the_identity_permission(people):
    complaint = file_complaint()
    for role in ("handler", "leader"):
        client = client_for(people[role])
        detail = client.get(f"{API}complaints/{complaint.pk}/").json()
        listed = next(
            row for row in client.get(f"{API}complaints/").json()["results"] if row["id"] == complaint.pk
        )
        for body in (detail, listed):
            assert body["identity"] is None
            assert "执法人员每周上门检查并收取检查费" in body["description"]
            for field in ("description", "desired_outcome", "occurred_place"):
                assert_masked(body[field])


def test_a_complaint_is_as_written_for_staff_with_the_identity_permission(people):
    complaint = file_complaint()
    for role in ("intake", "head"):
        client = client_for(people[role])
        detail = client.get(f"{API}complaints/{complaint.pk}/").json()
        listed = next(
            row for row in client.get(f"{API}complaints/").json()["results"] if row["id"] == complaint.pk
        )
        for body in (detail, listed):
            assert body["description"] == DESCRIPTION
            assert body["desired_outcome"] == OUTCOME and body["occurred_place"] == PLACE
        assert detail["identity"]["contact_name"] == NAME and listed["identity"] is None


def test_an_anonymous_complaints_numbers_are_masked_too(people):
    complaint = file_complaint(anonymous=True, description=f"匿名反映:有事请打{PHONE}。")
    body = client_for(people["handler"]).get(f"{API}complaints/{complaint.pk}/").json()
    assert PHONE not in body["description"] and PHONE not in body["desired_outcome"]
    body = client_for(people["intake"]).get(f"{API}complaints/{complaint.pk}/").json()
    assert PHONE in body["description"]


def test_an_approved_identity_request_unmasks_that_complaint_only(people):
    mine, other = file_complaint(), file_complaint()
    request = services.identity_access_request(
        complaint=mine, reason="需要回访核实情况。", actor=people["handler"]
    )
    services.identity_access_decide(request=request, approve=True, actor=people["head"])
    assert IdentityAccessRequest.objects.get().status == IdentityAccessRequest.Status.APPROVED
    client = client_for(people["handler"])
    assert client.get(f"{API}complaints/{mine.pk}/").json()["description"] == DESCRIPTION
    rows = {row["id"]: row for row in client.get(f"{API}complaints/").json()["results"]}
    assert rows[mine.pk]["description"] == DESCRIPTION
    assert_masked(rows[other.pk]["description"])
    assert_masked(client.get(f"{API}complaints/{other.pk}/").json()["description"])


# --- Texts of the case file ----------------------------------------------------------------------


def case_with_identity_in_its_texts(*, handler, head):
    """A case whose title and timeline name the complainant, as staff who know them might write."""
    complaint = file_complaint()
    case = services.complaint_accept(complaint=complaint, actor=handler)
    # Written by staff who may see who complained (or before the redaction knew every form).
    Case.objects.filter(pk=case.pk).update(
        title=f"{NAME}反映重复检查", finding_note=f"已电话联系{PHONE}。", result_summary=f"已告知{NAME}。"
    )
    services.identity_access_request(complaint=complaint, reason=f"需联系{NAME}核实。", actor=handler)
    return complaint, case


def test_the_case_file_texts_are_masked_for_staff_without_the_identity_permission(people):
    _complaint, case = case_with_identity_in_its_texts(handler=people["handler"], head=people["head"])
    for role in ("handler", "leader"):
        client = client_for(people[role])
        bodies = [
            client.get(f"{API}cases/{case.pk}/").content.decode(),
            client.get(f"{API}cases/").content.decode(),
            client.get(f"{API}events/", {"case": case.pk}).content.decode(),
        ]
        for body in bodies:
            assert_masked(json.dumps(json.loads(body), ensure_ascii=False))
        assert "反映重复检查" in bodies[0]
    intake = client_for(people["intake"])
    assert intake.get(f"{API}cases/{case.pk}/").json()["title"] == f"{NAME}反映重复检查"
    notes = [row["note"] for row in intake.get(f"{API}events/", {"case": case.pk}).json()["results"]]
    assert f"需联系{NAME}核实。" in notes


def test_a_department_never_reads_the_complainant_in_a_referral(people):
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    complaint = file_complaint(department=department)
    case = services.complaint_accept(complaint=complaint, actor=people["handler"])
    referral = services.case_refer(
        case=case,
        department=department,
        kind=Referral.Kind.TRANSFER,
        released_text="企业反映执法人员频繁上门检查并收费。",
        instructions="请核实。",
        actor=people["handler"],
    )
    # As a referral released before every text was checked might read.
    Referral.objects.filter(pk=referral.pk).update(
        released_text=f"{ENTERPRISE}反映执法人员频繁上门检查并收费。",
        instructions=f"请联系{NAME}({PHONE})核实。",
    )
    client = client_for(dept_user)
    bodies = [
        client.get(f"{API}referrals/").content.decode(),
        client.get(f"{API}referrals/{referral.pk}/").content.decode(),
        client.post(f"{API}referrals/{referral.pk}/acknowledge/").content.decode(),
    ]
    for body in bodies:
        assert_masked(json.dumps(json.loads(body), ensure_ascii=False))
    assert "反映执法人员频繁上门检查并收费" in bodies[1]


def test_masked_lists_cost_the_same_number_of_queries_for_5_and_25_rows(people):
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    handler = people["handler"]
    urls = {
        handler: [f"{API}{endpoint}/" for endpoint in ("cases", "referrals", "complaints", "events")],
        people["leader"]: [f"{API}{endpoint}/" for endpoint in ("cases", "complaints", "events")],
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
                result[user.username, url] = len(queries)
        return result

    def add(count: int) -> None:
        for _ in range(count):
            case, _referral = factories.referred_case(actor=handler, department=department)
            services.complaint_merge(
                complaint=file_complaint(department=department), case=case, actor=handler
            )

    add(5)
    small = costs()
    add(20)
    assert costs() == small


# --- The case list export ------------------------------------------------------------------------


def exported_text(viewer) -> str:
    handle = case_list_workbook(case_list(viewer=viewer), viewer=viewer)
    rows = load_workbook(io.BytesIO(handle.read()), read_only=True).active.iter_rows(values_only=True)
    return "\n".join(" ".join(str(cell) for cell in row if cell is not None) for row in rows)


def test_the_case_list_export_is_masked_for_staff_without_the_identity_permission(people):
    _complaint, case = case_with_identity_in_its_texts(handler=people["handler"], head=people["head"])
    anonymous = services.complaint_accept(complaint=file_complaint(anonymous=True), actor=people["handler"])
    Case.objects.filter(pk=anonymous.pk).update(title=f"匿名,回电{PHONE}")
    for role in ("handler", "leader"):
        text = exported_text(people[role])
        assert case.reference in text and "反映重复检查" in text and anonymous.reference in text
        assert_masked(text)
    assert f"{NAME}反映重复检查" in exported_text(people["intake"])
    # Whoever calls it without saying for whom gets the masked workbook.
    handle = case_list_workbook(case_list(viewer=people["intake"]))
    rows = load_workbook(io.BytesIO(handle.read()), read_only=True).active.iter_rows(values_only=True)
    assert_masked(json.dumps([list(map(str, row)) for row in rows], ensure_ascii=False))
