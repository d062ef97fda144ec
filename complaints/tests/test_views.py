"""The public pages and the liaison portal, through Django's test client."""

import hashlib
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints.models import Complaint, PublicStatus
from complaints.pow import pow_challenge_issue, pow_leading_zero_bits, pow_solve
from complaints.services import complaint_status_publish
from complaints.tests import factories
from liaison.models import LiaisonPoint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def easy_proof_of_work(settings):
    settings.INTAKE_POW_DIFFICULTY = 4


def solved() -> dict:
    challenge = pow_challenge_issue()
    return {"pow_challenge": challenge, "pow_nonce": pow_solve(challenge)}


def field_box(page: str, name: str) -> str:
    """The HTML of one field's box: from its id to the next field's."""
    start = page.index(f'id="field-{name}"')
    end = page.find('id="field-', start + 10)
    return page[start : end if end != -1 else None]


def file_and_track(client, **overrides) -> tuple[str, Complaint]:
    department = factories.department()
    response = client.post(
        "/complaints/new/", {**factories.form_post(department=department.pk), **solved(), **overrides}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client.get(response["Location"]).content.decode()
    code = re.search(r'data-tracking-code data-code="([A-Z2-9-]+)"', page).group(1)
    return code, Complaint.objects.latest("id")


def test_the_form_opens_in_chinese_with_every_category_and_a_challenge(client):
    factories.department(name="市税务局")
    page = client.get("/complaints/new/").content.decode()
    assert "我要投诉" in page and "乱收费" in page and "市税务局" in page
    assert 'name="pow_challenge" value="' in page
    assert "隐私" in page


def test_a_valid_submission_shows_the_code_once(client):
    code, complaint = file_and_track(client)
    assert complaint.channel == "web" and complaint.identity.phone == "13812345678"
    # Shown once: a second visit has nothing to show.
    assert client.get("/complaints/submitted/").status_code == 302


def test_errors_keep_what_was_typed_and_sit_next_to_the_field(client):
    data = {**factories.form_post(department="", description="太短了"), **solved()}
    response = client.post("/complaints/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "瑞丰商贸有限公司" in page and "13812345678" in page and "太短了" in page
    assert "field-error" in field_box(page, "description")
    assert "请选择被投诉单位" in field_box(page, "department")
    assert "field-error" not in field_box(page, "contact_name")


def test_files_must_be_chosen_again_after_an_error_and_the_form_says_so(client):
    png = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10, content_type="image/png")
    data = {**factories.form_post(description="短"), **solved(), "attachments": [png]}
    page = client.post("/complaints/new/", data).content.decode()
    assert 'id="files-dropped"' in page


def test_a_wrong_proof_of_work_is_refused_and_nothing_is_saved(client):
    department = factories.department()
    challenge = pow_challenge_issue()
    # A nonce that certainly does not do the work (at difficulty 4, one in 16 would).
    nonce = next(
        str(n)
        for n in range(1000)
        if pow_leading_zero_bits(hashlib.sha256(f"{challenge}:{n}".encode()).digest()) < 4
    )
    data = {**factories.form_post(department=department.pk), "pow_challenge": challenge, "pow_nonce": nonce}
    response = client.post("/complaints/new/", data)
    assert response.status_code == 200
    assert not Complaint.objects.exists()


def test_the_credit_code_is_checked(client):
    department = factories.department()
    data = {**factories.form_post(department=department.pk, credit_code="91110000802100433C"), **solved()}
    page = client.post("/complaints/new/", data).content.decode()
    assert "field-error" in field_box(page, "credit_code")
    assert not Complaint.objects.exists()


def test_submissions_over_the_rate_get_429(client, settings):
    settings.INTAKE_SUBMIT_RATE = "3/h"
    department = factories.department()
    statuses = [
        client.post(
            "/complaints/new/",
            {**factories.form_post(department=department.pk), **solved()},
            REMOTE_ADDR="10.9.8.7",
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    refused = client.post("/complaints/new/", {}, REMOTE_ADDR="10.9.8.7")
    assert "请求过多" in refused.content.decode()
    assert refused["Retry-After"] == "3600"
    # Another address is not affected.
    assert client.post("/complaints/new/", {}, REMOTE_ADDR="10.9.8.8").status_code == 200


def test_tracking_look_ups_over_the_rate_get_429(client, settings):
    settings.INTAKE_TRACK_RATE = "5/h"
    statuses = [
        client.post(
            "/complaints/track/", {"code": "AAAAA-BBBBB-CCCCC-DDDDD"}, REMOTE_ADDR="10.1.1.1"
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]


def test_a_request_body_over_the_limit_is_refused_before_the_csrf_check_reads_it(settings):
    from django.test import Client

    settings.MAX_REQUEST_BODY_SIZE = 1000
    client = Client(enforce_csrf_checks=True)
    # Without the size guard in front, CSRF would answer 403 after parsing the whole body.
    response = client.post("/complaints/new/", {**factories.form_post(description="x" * 2000), **solved()})
    assert response.status_code == 413
    assert "文件过大" in response.content.decode()
    assert not Complaint.objects.exists()


def test_the_code_is_never_stored_in_the_session_table(client):
    from django.contrib.sessions.models import Session

    code, _complaint = file_and_track(client)
    for session in Session.objects.all():
        assert code not in str(session.get_decoded())


def test_an_individual_keeps_no_enterprise_details(client):
    department = factories.department()
    client.post(
        "/complaints/new/",
        {**factories.form_post(department=department.pk, complainant_type="individual"), **solved()},
    )
    identity = Complaint.objects.get().identity
    assert identity.enterprise_name == "" and identity.credit_code == ""
    assert identity.contact_name == "李四"


def test_a_tracked_complaint_is_forgotten_after_half_an_hour(client, monkeypatch):
    import time

    code, _complaint = file_and_track(client)
    client.post("/complaints/track/", {"code": code})
    assert client.get("/complaints/track/status/").status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/complaints/track/status/")["Location"] == "/complaints/track/"


def test_behind_a_proxy_the_rightmost_untrusted_address_is_counted(client, settings):
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1
    settings.INTAKE_TRACK_RATE = "2/h"
    post = {"code": "AAAAA-BBBBB-CCCCC-DDDDD"}
    # A client forging its own X-Forwarded-For entry still counts as the address the proxy saw.
    statuses = [
        client.post(
            "/complaints/track/", post, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9"
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert (
        client.post(
            "/complaints/track/", post, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10"
        ).status_code
        == 200
    )


def test_the_status_page_shows_the_public_timeline_only(client):
    code, complaint = file_and_track(client)
    complaint_status_publish(complaint=complaint, status=PublicStatus.CONCLUDED, text="已责令退还材料费。")
    client.post("/complaints/track/", {"code": code.lower()})
    page = client.get("/complaints/track/status/").content.decode()
    assert complaint.reference in page and "已办结" in page and "已责令退还材料费。" in page
    for private in ("李四", "13812345678", "lisi@example.com", "瑞丰商贸有限公司"):
        assert private not in page


def test_an_unknown_code_says_so_next_to_the_field(client):
    page = client.post("/complaints/track/", {"code": "AAAAA-BBBBB-CCCCC-DDDDD"}).content.decode()
    assert "没有与此查询码对应的投诉" in page


def test_the_complainant_adds_information_and_rates_after_closure(client):
    code, complaint = file_and_track(client)
    client.post("/complaints/track/", {"code": code})
    response = client.post(
        "/complaints/track/status/", {"action": "supplement", "text": "补充一张收据照片的说明"}
    )
    assert response.status_code == 302
    assert complaint.supplements.get().text == "补充一张收据照片的说明"
    page = client.get("/complaints/track/status/").content.decode()
    assert 'value="rate"' not in page
    complaint_status_publish(complaint=complaint, status=PublicStatus.CONCLUDED, text="已处理")
    assert 'value="rate"' in client.get("/complaints/track/status/").content.decode()
    client.post("/complaints/track/status/", {"action": "rate", "level": "basically", "comment": "还行"})
    assert complaint.ratings.get().level == "basically"


def test_the_status_page_needs_a_looked_up_code(client):
    assert client.get("/complaints/track/status/")["Location"] == "/complaints/track/"


def _liaison_user(username: str) -> User:
    user = User.objects.create_user(username, password="pw-12345678")
    user.groups.add(Group.objects.get(name="Liaison point or supervisor"))
    LiaisonPoint.objects.create(
        enterprise_name=f"{username}企业", contact_name="联系人", appointed_on="2026-01-01", user=user
    )
    return user


def test_a_liaison_point_files_for_an_enterprise_and_sees_only_its_own(client):
    mine, other = _liaison_user("point-a"), _liaison_user("point-b")
    department = factories.department()
    client.force_login(other)
    client.post("/liaison/new/", factories.form_post(department=department.pk))
    client.force_login(mine)
    response = client.post(
        "/liaison/new/",
        factories.form_post(department=department.pk, description="联系点代企业反映:" + "重复检查" * 10),
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get(filed_by=mine)
    assert complaint.channel == "liaison_point" and complaint.liaison_point.user == mine
    page = client.get("/liaison/").content.decode()
    assert complaint.reference in page
    assert Complaint.objects.get(filed_by=other).reference not in page


def test_an_ended_appointment_files_nothing(client):
    user = _liaison_user("point-old")
    LiaisonPoint.objects.filter(user=user).update(status="ended")
    client.force_login(user)
    response = client.post("/liaison/new/", factories.form_post(department=factories.department().pk))
    assert response.status_code == 302 and response["Location"] == "/liaison/"
    assert not Complaint.objects.exists()


def test_the_liaison_portal_is_closed_to_others(client):
    client.force_login(User.objects.create_user("someone", password="pw-12345678"))
    assert client.get("/liaison/").status_code == 403


def test_attachments_are_served_only_with_permission(client):
    from complaints.uploads import PreparedUpload

    content = b"%PDF-1.4 test"
    submitted = factories.submit()
    from complaints.services import complaint_supplement_add

    complaint_supplement_add(
        complaint=submitted.complaint,
        text="附件",
        uploads=[
            PreparedUpload(
                display_name="收据.pdf",
                content_type="application/pdf",
                extension="pdf",
                size=len(content),
                sha256="0" * 64,
                content=content,
                storage_name="2026/11/testfile.pdf",
            )
        ],
    )
    attachment = submitted.complaint.attachments.get()
    url = f"/complaints/attachments/{attachment.pk}/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(User.objects.create_user("nobody", password="pw-12345678"))
    assert client.get(url).status_code == 403
    staff = User.objects.create_user("intake1", password="pw-12345678", is_staff=True)
    staff.groups.add(Group.objects.get(name="Intake officer"))
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]


def test_the_submission_path_runs_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    department = factories.department()
    data = {**factories.form_post(department=department.pk), **solved()}
    # Session, department, complaint, identity, public update, outbox row (with its savepoint): 13.
    with django_assert_max_num_queries(13):
        response = client.post("/complaints/new/", data)
    assert response.status_code == 302
