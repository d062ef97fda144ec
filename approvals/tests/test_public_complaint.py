"""The applicant's complaint from an approval with a red signal: found by the application
number and the credit code together, one neutral answer otherwise, rate-limited; the form
prefilled with 行政审批, the complaint linked to the record."""

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.services.signals import signals_evaluate
from approvals.tests import factories as f
from complaints.models import Category, Complaint

pytestmark = pytest.mark.django_db
LOOKUP, FORM = reverse("approvals_public:lookup"), reverse("approvals_public:complain")
CODE = "91310000MA1FL0TEST"


@pytest.fixture
def scene():
    department = f.department()
    item = f.item(department, name="食品经营许可")
    red = f.record(item, accepted_at=f.at(2026, 9, 30), credit_code=CODE, external_id="SQ-RED-0001")
    calm = f.record(item, accepted_at=f.at(2026, 11, 2), credit_code=CODE, external_id="SQ-CALM-0001")
    signals_evaluate([red.pk, calm.pk], now=f.at(2026, 10, 20))  # red overdue; calm has nothing yet
    assert red.signals.filter(colour="red").exists() and not calm.signals.exists()
    return {"department": department, "item": item, "red": red, "calm": calm}


def _neutral(response) -> str:
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    return errors[0]


def test_the_right_pair_opens_the_prefilled_form_and_the_complaint_is_linked(client, scene, settings):
    settings.INTAKE_POW_ENABLED = False
    found = client.post(LOOKUP, {"external_id": "SQ-RED-0001", "credit_code": CODE.lower()})
    assert found.status_code == 302 and found["Location"] == FORM
    assert "SQ-RED-0001" not in found["Location"]
    form = client.get(FORM)
    initial = form.context["form"].initial
    assert initial["category"] == Category.PERMITS and initial["department"] == scene["department"].pk
    # The item named, never the application number: released text must not point at the applicant.
    assert "SQ-RED-0001" not in initial["description"] and "食品经营许可" in initial["description"]
    response = client.post(
        FORM,
        {
            "complainant_type": "enterprise",
            "identity_mode": "anonymous",
            "department": scene["department"].pk,
            "category": Category.PERMITS,
            "occurred_on": timezone.localdate().isoformat(),
            "description": initial["description"] + "超过承诺时限仍未办结，多次询问无答复。",
            "consent": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("complaints:submitted")
    complaint = Complaint.objects.get()
    assert list(scene["red"].complaints.all()) == [complaint]
    assert complaint.category == Category.PERMITS
    # Used once: the form is not open again without a new lookup.
    assert client.get(FORM)["Location"] == LOOKUP


def test_a_wrong_pair_gets_one_neutral_answer_whichever_was_wrong(client, scene):
    answers = {
        _neutral(client.post(LOOKUP, {"external_id": "SQ-RED-0001", "credit_code": "91310000MA1FL0XXXX"})),
        _neutral(client.post(LOOKUP, {"external_id": "SQ-RED-9999", "credit_code": CODE})),
        _neutral(client.post(LOOKUP, {"external_id": "SQ-NONE", "credit_code": "91110000000000000X"})),
        # A right pair without a red signal: the same answer.
        _neutral(client.post(LOOKUP, {"external_id": "SQ-CALM-0001", "credit_code": CODE})),
    }
    assert len(answers) == 1
    assert client.get(FORM)["Location"] == LOOKUP


def test_missing_fields_are_said_next_to_them(client, scene):
    response = client.post(LOOKUP, {"external_id": "", "credit_code": CODE})
    assert response.status_code == 200 and response.context["form"].errors["external_id"]
    assert 'value="91310000MA1FL0TEST"' in response.content.decode()  # nothing typed lost


def test_the_lookup_is_rate_limited(client, scene, settings):
    settings.INTAKE_TRACK_RATE = "3/h"
    for _ in range(3):
        assert client.post(LOOKUP, {"external_id": "SQ-X", "credit_code": CODE}).status_code == 200
    limited = client.post(LOOKUP, {"external_id": "SQ-RED-0001", "credit_code": CODE})
    assert limited.status_code == 429 and limited["Retry-After"] == "3600"
