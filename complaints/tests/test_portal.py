"""The liaison portal: a liaison point or supervisor files on an enterprise's behalf, hands the code
on, and follows the complaints they filed (and only those) on pages of their own."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint, Message, PublicStatus, Supplement
from complaints.services import complaint_status_publish, complaint_supplement_add
from complaints.tests import factories
from complaints.views import RECEIPT_COOKIE, receipt_take
from liaison.models import LiaisonPoint, Supervisor

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def liaison_user(username: str, *, supervisor: bool = False) -> User:
    user = User.objects.create_user(username, password="pw-12345678")
    user.groups.add(Group.objects.get(name="Liaison point or supervisor"))
    if supervisor:
        Supervisor.objects.create(
            name=f"{username}监督员", enterprise_name="某企业", appointed_on="2026-01-01", user=user
        )
    else:
        LiaisonPoint.objects.create(
            enterprise_name=f"{username}企业", contact_name="联系人", appointed_on="2026-01-01", user=user
        )
    return user


def file_one(client, user, **overrides) -> Complaint:
    client.force_login(user)
    department = factories.department(name=f"被投诉单位{Complaint.objects.count()}")
    response = client.post("/liaison/new/", factories.form_post(department=department.pk, **overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Complaint.objects.filter(filed_by=user).latest("id")


def test_the_form_speaks_of_the_enterprise_not_of_the_liaison_as_complainant(client):
    client.force_login(liaison_user("point-a"))
    page = client.get("/liaison/new/", **EN).content.decode()
    assert "on behalf of an enterprise" in page
    assert "Filed on behalf of" in page and "Does the enterprise give its name?" in page
    assert "how it affected the enterprise" in page
    # The public form's words to the complainant are not used here.
    for spoken_to_the_complainant in (
        "About you",
        "You complain as",
        "Whom you complain about",
        "you complain",
    ):
        assert spoken_to_the_complainant not in page


def test_an_invalid_form_names_the_relabelled_field(client):
    client.force_login(liaison_user("point-a"))
    page = client.post(
        "/liaison/new/", factories.form_post(department=factories.department().pk, complainant_type=""), **EN
    ).content.decode()
    assert "“Filed on behalf of”" in page


def test_filing_hands_the_code_on_for_the_enterprise(client):
    user = liaison_user("point-a")
    client.force_login(user)
    response = client.post("/liaison/new/", factories.form_post(department=factories.department().pk))
    assert response.status_code == 302 and response["Location"] == "/complaints/submitted/"
    request = RequestFactory().get(
        "/", HTTP_COOKIE=f"{RECEIPT_COOKIE}={response.cookies[RECEIPT_COOKIE].value}"
    )
    receipt = receipt_take(request)
    complaint = Complaint.objects.get(filed_by=user)
    assert receipt["on_behalf"] is True and receipt["reference"] == complaint.reference
    assert len(receipt["code"]) > 10


def test_each_filed_complaint_links_to_its_own_page(client):
    user = liaison_user("point-a")
    complaint = file_one(client, user)
    page = client.get("/liaison/").content.decode()
    assert f'href="/liaison/complaints/{complaint.pk}/"' in page
    assert "瑞丰商贸有限公司" in page  # the enterprise as typed, to tell the rows apart


def test_the_page_shows_what_was_typed_and_the_public_progress_only(client):
    user = liaison_user("point-a")
    complaint = file_one(client, user)
    complaint_status_publish(complaint=complaint, status=PublicStatus.ACCEPTED, text="已受理,正在核查。")
    complaint_supplement_add(complaint=complaint, text="企业补充:又来检查了一次。")
    # Staff's own additions are not the complainant's: the tracking page does not show them either.
    Supplement.objects.create(complaint=complaint, text="内部:已电话联系企业。", from_complainant=False)
    page = client.get(f"/liaison/complaints/{complaint.pk}/", **EN).content.decode()
    assert complaint.reference in page
    assert "办理营业执照变更时被要求缴纳没有任何依据的材料费三百元" in page  # the text as typed
    assert "退还费用,纠正乱收费行为" in page
    assert "瑞丰商贸有限公司" in page and "李四" in page and "13812345678" in page  # as typed
    assert "已受理,正在核查。" in page and "企业补充:又来检查了一次。" in page
    assert "内部:已电话联系企业。" not in page
    assert "Filed on behalf of 瑞丰商贸有限公司" in page


def test_an_anonymous_complaint_shows_no_identity(client):
    user = liaison_user("point-a")
    complaint = file_one(client, user, identity_mode="anonymous")
    assert complaint.is_anonymous
    page = client.get(f"/liaison/complaints/{complaint.pk}/", **EN).content.decode()
    assert "李四" not in page and "13812345678" not in page and "瑞丰商贸" not in page
    assert "asked to stay anonymous" in page


def test_the_enterprises_messages_with_the_centre_stay_off_the_page(client):
    """An anonymous enterprise may say who it is in a message sent with its code: the liaison
    sees no more of it than what they typed."""
    user = liaison_user("point-a")
    complaint = file_one(client, user, identity_mode="anonymous")
    Message.objects.create(
        complaint=complaint, from_complainant=True, text="我是瑞丰商贸的王五，电话13900001111。"
    )
    Message.objects.create(complaint=complaint, from_complainant=False, text="请问具体是哪一天检查的？")
    page = client.get(f"/liaison/complaints/{complaint.pk}/").content.decode()
    assert "王五" not in page and "13900001111" not in page and "哪一天检查" not in page


def test_a_liaison_opens_only_what_they_filed(client):
    """IDOR: another liaison's complaint, a supervisor's and a public one are not found."""
    mine, other = liaison_user("point-a"), liaison_user("point-b")
    supervisor = liaison_user("super-c", supervisor=True)
    own = file_one(client, mine)
    others = file_one(client, other)
    supervisors = file_one(client, supervisor)
    public = factories.submit().complaint
    client.force_login(mine)
    assert client.get(f"/liaison/complaints/{own.pk}/").status_code == 200
    for complaint in (others, supervisors, public):
        assert client.get(f"/liaison/complaints/{complaint.pk}/").status_code == 404
    assert client.get("/liaison/complaints/2000000000/").status_code == 404
    client.force_login(supervisor)
    assert client.get(f"/liaison/complaints/{supervisors.pk}/").status_code == 200
    assert client.get(f"/liaison/complaints/{own.pk}/").status_code == 404


def test_the_page_is_closed_to_everyone_else(client):
    complaint = file_one(client, liaison_user("point-a"))
    client.logout()
    assert client.get(f"/liaison/complaints/{complaint.pk}/").status_code == 302  # to the login page
    client.force_login(User.objects.create_user("someone", password="pw-12345678"))
    assert client.get(f"/liaison/complaints/{complaint.pk}/").status_code == 403
    staff = User.objects.create_user("staff", password="pw-12345678", is_staff=True)
    staff.groups.add(Group.objects.get(name="Intake officer"))
    client.force_login(staff)
    assert client.get(f"/liaison/complaints/{complaint.pk}/").status_code == 403


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_for_one_complaint_or_many(client):
    user = liaison_user("point-a")
    file_one(client, user)
    one = _queries(client, "/liaison/")
    for n in range(5):
        file_one(client, user, identity_mode="anonymous" if n % 2 else "real")
    cache.clear()
    assert _queries(client, "/liaison/") == one


def test_the_page_costs_the_same_however_long_the_progress(client):
    user = liaison_user("point-a")
    complaint = file_one(client, user)
    url = f"/liaison/complaints/{complaint.pk}/"
    for status in (PublicStatus.ACCEPTED, PublicStatus.HANDLING):
        complaint_status_publish(complaint=complaint, status=status, text=f"状态{status}")
    complaint_supplement_add(complaint=complaint, text="补充")
    client.get(url)  # the first look may write the session; the count is of the page itself
    short = _queries(client, url)
    for n in range(6):
        complaint_supplement_add(complaint=complaint, text=f"补充{n}")
    assert _queries(client, url) == short
