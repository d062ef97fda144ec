"""Complaints about trade associations and intermediaries (seed §三.8) name the association and
go to its supervising department by default: through the service, the public form, the staff
intake form and the liaison portal, into triage and the referral's suggestion."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import InternalError

from casework import services as casework
from casework.admin import CASE_ACTIONS
from complaints.models import Category, Channel, Complaint
from complaints.pow import pow_challenge_issue, pow_solve
from complaints.services import complaint_submit
from complaints.tests import factories
from liaison.tests.factories_associations import association

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def easy_proof_of_work(settings):
    settings.INTAKE_POW_DIFFICULTY = 4


def solved() -> dict:
    challenge = pow_challenge_issue()
    return {"pow_challenge": challenge, "pow_nonce": pow_solve(challenge)}


def staff(role: str) -> User:
    user = User.objects.create_user(role.replace(" ", "-"), password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def about(body, **overrides):
    data = {
        "category": Category.ASSOCIATIONS,
        "association": body,
        "department": None,
        "department_text": "",
        "description": "行业协会强制要求会员企业参加收费培训,不参加就不给办理资质年检。",
    }
    data.update(overrides)
    return factories.ComplaintData(**{**factories.complaint_data(department_text="x").__dict__, **data})


def test_a_complaint_about_an_association_goes_to_its_supervising_department():
    body = association()
    submitted = complaint_submit(data=about(body), identity=factories.identity())
    complaint = Complaint.objects.get(pk=submitted.complaint.pk)
    assert complaint.association == body
    assert complaint.department == body.supervising_department


def test_a_unit_the_complainant_chose_is_kept():
    body = association()
    chosen = factories.department(name="市民政局")
    submitted = complaint_submit(data=about(body, department=chosen), identity=None)
    assert submitted.complaint.department == chosen and submitted.complaint.association == body


def test_an_association_is_named_only_for_the_associations_category():
    body = association()
    with pytest.raises(ValidationError) as error:
        complaint_submit(data=about(body, category=Category.CHARGES), identity=None)
    assert error.value.code == "association_category"
    assert not Complaint.objects.exists()


def test_the_association_is_part_of_what_was_filed_and_cannot_be_changed():
    body, other = association(), association()
    complaint = complaint_submit(data=about(body), identity=None).complaint
    complaint = Complaint.objects.get(pk=complaint.pk)
    complaint.association = other
    with pytest.raises(ValueError):
        complaint.save()
    if connection.vendor == "postgresql":  # the database's backstop, even for a bulk update
        with pytest.raises(InternalError), transaction.atomic():
            Complaint.objects.filter(pk=complaint.pk).update(association=other)


def test_the_public_form_routes_a_complaint_about_an_association(client):
    body = association(name="市物业管理协会")
    page = client.get("/complaints/new/").content.decode()
    assert "市物业管理协会" in page and 'name="association"' in page
    data = {**factories.form_post(category=Category.ASSOCIATIONS, association=body.pk), **solved()}
    response = client.post("/complaints/new/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    complaint = Complaint.objects.get()
    assert complaint.association == body and complaint.department == body.supervising_department


def test_the_public_form_says_next_to_the_field_when_the_category_does_not_fit(client):
    body = association()
    data = {**factories.form_post(category=Category.CHARGES, association=body.pk), **solved()}
    response = client.post("/complaints/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    box = page[page.index('id="field-association"') :]
    assert "行业协会" in box[:3000] and 'class="field-error"' in box[:3000]
    assert "办理营业执照变更时" in page  # what was typed is kept
    assert not Complaint.objects.exists()


def test_without_an_association_the_unit_is_still_required(client):
    data = {**factories.form_post(category=Category.ASSOCIATIONS), **solved()}
    response = client.post("/complaints/new/", data)
    assert response.status_code == 200 and not Complaint.objects.exists()


def test_the_staff_intake_form_routes_to_the_supervisor_and_triage_refers_there(client):
    body = association(name="市会计师事务所", kind="intermediary")
    client.force_login(staff("Intake officer"))
    data = factories.form_post(
        category=Category.ASSOCIATIONS,
        association=body.pk,
        channel=Channel.LETTER,
        source="来信",
        received_at="2026-11-02T09:30",
    )
    data.pop("consent")
    response = client.post("/admin/complaints/complaint/add/", data, follow=True)
    assert response.redirect_chain, response.content.decode()[:3000]
    complaint = Complaint.objects.get()
    assert complaint.department == body.supervising_department
    # The complaint's page says which association, supervised by whom.
    page = client.get(f"/admin/complaints/complaint/{complaint.pk}/change/").content.decode()
    box = page[page.index("field-association_and_supervisor") :][:1500]
    assert "市会计师事务所" in box and body.supervising_department.name in box
    # Accepted, the case's referral suggests the supervising department.
    handler = staff("Case handler")
    case = casework.complaint_accept(complaint=complaint, actor=handler)
    assert case.department == body.supervising_department
    assert CASE_ACTIONS["refer"].initial(case)["department"] == body.supervising_department.pk


def test_the_association_filter_of_the_complaint_list(client):
    body = association()
    complaint_submit(data=about(body), identity=None)
    factories.submit(anonymous=True)
    client.force_login(staff("Intake officer"))
    page = client.get(f"/admin/complaints/complaint/?association__id__exact={body.pk}").content.decode()
    assert len(re.findall(r'class="field-reference"', page)) == 1
