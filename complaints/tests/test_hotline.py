"""The conduct hotline (行风热线): staff log a call in a short form; it is a complaint on channel
CONDUCT_HOTLINE that goes through the same triage as any other; the number shows publicly."""

import re

import pytest
from django.contrib.auth.models import Group, User

from casework import services as casework
from complaints.models import Category, Channel, Complaint, PublicStatus
from complaints.tests import factories
from liaison.tests.factories_associations import association

pytestmark = pytest.mark.django_db

URL = "/admin/complaints/complaint/hotline/"


def staff(role: str) -> User:
    user = User.objects.create_user(role.replace(" ", "-"), password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def call(**overrides) -> dict:
    values = {
        "anonymous": "on",
        "complainant_type": "individual",
        "category": Category.CONDUCT,
        "description": "来电反映窗口工作人员态度蛮横,材料齐全仍被要求第三次跑腿。",
    }
    values.update(overrides)
    return values


def test_an_anonymous_call_becomes_a_hotline_complaint_and_the_caller_hears_the_code(client):
    client.force_login(staff("Intake officer"))
    unit = factories.department()
    changelist = client.get("/admin/complaints/complaint/").content.decode()
    assert "data-hotline" in changelist and URL in changelist
    response = client.post(
        URL, call(department=unit.pk, caller_name="王先生", phone="13912345678"), follow=True
    )
    page = response.content.decode()
    assert re.search(r"data-tracking-code>([A-Z2-9-]+)<", page), page[:2000]
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.CONDUCT_HOTLINE and complaint.department == unit
    assert complaint.is_anonymous and not hasattr(complaint, "identity")  # nothing typed is kept
    assert complaint.status == PublicStatus.RECEIVED and complaint.filed_by.username == "Intake-officer"


def test_a_named_caller_needs_a_phone_and_keeps_what_was_typed(client):
    client.force_login(staff("Intake officer"))
    unit = factories.department()
    data = call(department=unit.pk, caller_name="王先生")
    data.pop("anonymous")
    page = client.post(URL, data).content.decode()
    assert not Complaint.objects.exists()
    box = page[page.index('id="field-phone"') :][:1500]
    assert 'class="field-error"' in box
    assert "态度蛮横" in page and 'value="王先生"' in page
    data["phone"] = "139 1234 5678"
    assert client.post(URL, data).status_code == 302
    complaint = Complaint.objects.get()
    assert not complaint.is_anonymous and complaint.identity.phone == "13912345678"
    assert complaint.identity.contact_name == "王先生"


def test_the_unit_or_an_association_is_required(client):
    client.force_login(staff("Intake officer"))
    page = client.post(URL, call()).content.decode()
    assert 'class="field-error"' in page[page.index('id="field-department"') :][:1500]
    body = association()
    assert client.post(URL, call(category=Category.ASSOCIATIONS, association=body.pk)).status_code == 302
    assert Complaint.objects.get().department == body.supervising_department


def test_a_hotline_call_is_triaged_like_any_complaint(client):
    client.force_login(staff("Intake officer"))
    unit = factories.department()
    client.post(URL, call(department=unit.pk))
    complaint = Complaint.objects.get()
    page = client.get(f"/admin/complaints/complaint/{complaint.pk}/change/").content.decode()
    assert f"/admin/complaints/complaint/{complaint.pk}/triage/accept/" in page
    case = casework.complaint_accept(complaint=complaint, actor=staff("Case handler"))
    assert case.channel == Channel.CONDUCT_HOTLINE and case.department == unit


def test_only_staff_who_record_complaints_log_calls(client):
    client.force_login(staff("Leader"))
    assert client.get(URL).status_code == 403
    assert "data-hotline" not in client.get("/admin/complaints/complaint/").content.decode()


def test_script_typed_into_a_call_comes_back_escaped(client):
    client.force_login(staff("Intake officer"))
    data = call(description="<script>alert(1)</script>", department_text="<b>x</b>", caller_name="<i>y</i>")
    data.pop("anonymous")  # no phone: the form comes back with what was typed
    page = client.post(URL, data).content.decode()
    assert not Complaint.objects.exists()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<i>y</i>" not in page and "&lt;i&gt;y&lt;/i&gt;" in page
    data["anonymous"] = "on"
    client.post(URL, data)
    complaint = Complaint.objects.get()
    page = client.get(f"/admin/complaints/complaint/{complaint.pk}/change/").content.decode()
    assert "<script>alert(1)</script>" not in page and "<b>x</b>" not in page


def test_the_hotline_number_shows_on_the_public_pages_when_set(client, settings):
    assert "data-conduct-hotline" not in client.get("/").content.decode()
    settings.CONDUCT_HOTLINE_NUMBER = "0571-12345"
    for url in ("/", "/complaints/new/"):
        page = client.get(url).content.decode()
        assert "data-conduct-hotline" in page and 'href="tel:0571-12345"' in page
