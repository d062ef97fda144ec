"""complaint_submit and the other intake services."""

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import models

from complaints.models import ComplainantIdentity, Complaint, PublicStatus, Rating
from complaints.selectors import complaint_by_tracking_code, complaint_public_timeline
from complaints.services import complaint_rate, complaint_status_publish, complaint_supplement_add
from complaints.tests import factories

pytestmark = pytest.mark.django_db


def test_a_real_name_complaint_keeps_its_identity_apart():
    submitted = factories.submit()
    complaint = submitted.complaint
    assert not complaint.is_anonymous
    assert complaint.identity.contact_name == "张三"
    assert complaint.public_updates.get().status == PublicStatus.RECEIVED


def test_the_tracking_code_finds_the_complaint_and_is_not_stored_once_the_receipt_is_sent():
    from core.models import OutboundEmail
    from core.outbox import outbox_deliver

    submitted = factories.submit()
    assert complaint_by_tracking_code(submitted.tracking_code) == submitted.complaint
    assert (
        complaint_by_tracking_code(submitted.tracking_code.lower().replace("-", " ")) == submitted.complaint
    )
    # The e-mailed receipt is the one place the code waits, until it is sent.
    outbox_deliver(OutboundEmail.objects.get(kind="acknowledgement").pk)
    everything = "\n".join(_every_text_value_in_the_database()).upper()
    assert submitted.tracking_code not in everything
    assert submitted.tracking_code.replace("-", "") not in everything


def _every_text_value_in_the_database() -> list[str]:
    values = []
    for model in apps.get_models():
        text_fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.EmailField | models.JSONField)
        ]
        if text_fields:
            values.extend(str(v) for row in model.objects.values_list(*text_fields) for v in row if v)
    return values


def test_an_anonymous_complaint_has_no_identity_row():
    submitted = factories.submit(anonymous=True)
    assert submitted.complaint.is_anonymous
    assert not ComplainantIdentity.objects.filter(complaint=submitted.complaint).exists()


def test_anonymous_form_input_is_dropped_before_it_reaches_the_database(client, settings):
    """The form clears identity fields typed before switching to anonymous."""
    from complaints.pow import pow_challenge_issue, pow_solve

    settings.INTAKE_POW_DIFFICULTY = 4
    department = factories.department()
    challenge = pow_challenge_issue()
    marker = "独一无二的企业名称标记XYZ"
    response = client.post(
        "/complaints/new/",
        factories.form_post(
            identity_mode="anonymous",
            enterprise_name=marker,
            contact_name=marker,
            phone="13700001234",
            email="marker-unique@example.com",
            department=department.pk,
            pow_challenge=challenge,
            pow_nonce=pow_solve(challenge),
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    everything = "\n".join(_every_text_value_in_the_database())
    for planted in (marker, "13700001234", "marker-unique@example.com"):
        assert planted not in everything
    assert len(mail.outbox) == 0


def test_a_complaint_loaded_from_the_database_cannot_change_either():
    complaint = Complaint.objects.get(pk=factories.submit().complaint.pk)
    complaint.description = "改过的内容"
    with pytest.raises(ValueError, match="cannot be changed"):
        complaint.save()
    partial = Complaint.objects.only("id", "status").get(pk=complaint.pk)
    partial.status = PublicStatus.ACCEPTED
    partial.save(update_fields=["status"])  # the status is not content


def test_a_filed_complaints_content_cannot_change():
    complaint = factories.submit().complaint
    complaint.description = "改过的内容"
    with pytest.raises(ValueError, match="cannot be changed"):
        complaint.save()
    complaint.refresh_from_db()
    assert complaint.description.startswith("三个月内")


def test_status_changes_are_allowed_and_published():
    complaint = factories.submit().complaint
    complaint_status_publish(complaint=complaint, status=PublicStatus.ACCEPTED, text="已受理")
    complaint.refresh_from_db()
    assert complaint.status == PublicStatus.ACCEPTED
    assert list(complaint.public_updates.values_list("status", flat=True)) == ["received", "accepted"]


def test_a_supplement_is_appended_and_the_original_kept():
    complaint = factories.submit().complaint
    complaint_supplement_add(complaint=complaint, text="补充:第五次检查在11月3日。")
    complaint.refresh_from_db()
    assert complaint.description.startswith("三个月内")
    assert [s.text for s in complaint.supplements.all()] == ["补充:第五次检查在11月3日。"]


def test_an_empty_supplement_is_refused():
    complaint = factories.submit().complaint
    with pytest.raises(ValidationError):
        complaint_supplement_add(complaint=complaint, text="   ")


def test_rating_waits_for_the_conclusion_and_happens_once_per_conclusion():
    complaint = factories.submit().complaint
    with pytest.raises(ValidationError) as refused:
        complaint_rate(complaint=complaint, level=Rating.Level.SATISFIED)
    assert refused.value.code == "not_concluded"
    complaint_status_publish(complaint=complaint, status=PublicStatus.CONCLUDED, text="已退还费用。")
    assert complaint_public_timeline(complaint)["can_rate"]
    complaint_rate(complaint=complaint, level=Rating.Level.UNSATISFIED, comment="只退了一半")
    with pytest.raises(ValidationError) as refused:
        complaint_rate(complaint=complaint, level=Rating.Level.SATISFIED)
    assert refused.value.code == "already_rated"
    # Reopened and concluded again: a new rating is possible.
    complaint_status_publish(complaint=complaint, status=PublicStatus.HANDLING)
    complaint_status_publish(complaint=complaint, status=PublicStatus.CONCLUDED, text="已全额退还。")
    complaint_rate(complaint=complaint, level=Rating.Level.SATISFIED)
    assert complaint.ratings.count() == 2


def test_the_acknowledgement_is_queued_in_the_outbox_and_carries_the_code():
    from core.models import OutboundEmail
    from core.outbox import outbox_deliver

    submitted = factories.submit()
    row = OutboundEmail.objects.get(kind="acknowledgement")
    assert row.to == ["zhangsan@example.com"] and row.related == submitted.complaint.reference
    assert outbox_deliver(row.pk) == "sent"
    message = mail.outbox[0]
    assert message.to == ["zhangsan@example.com"]
    assert submitted.tracking_code in message.body
    assert submitted.complaint.reference in message.subject
    row.refresh_from_db()
    assert row.status == "sent" and submitted.tracking_code not in row.body_text


def test_a_real_name_complaint_needs_a_way_to_reach_the_complainant():
    from complaints.services import complaint_submit

    with pytest.raises(ValidationError) as refused:
        complaint_submit(data=factories.complaint_data(), identity=factories.identity(phone="", email=""))
    assert refused.value.code == "no_contact"


def test_the_database_refuses_a_bulk_rewrite_of_a_complaint_on_postgresql():
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the trigger backstop exists on PostgreSQL only (SQLite is the embedded demo database)")
    complaint = factories.submit().complaint
    with pytest.raises(DatabaseError, match="cannot be changed"), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(description="改写")
    Complaint.objects.filter(pk=complaint.pk).update(status=PublicStatus.ACCEPTED)  # status is not content
