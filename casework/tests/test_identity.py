"""Identity protection: masked by default, unmasked by permission or an approved request."""

import pytest
from django.core.exceptions import ValidationError

from casework import services
from casework.models import IdentityAccessRequest
from casework.selectors import identity_visible_to
from casework.tests import factories
from complaints.tests import factories as complaint_factories

pytestmark = pytest.mark.django_db


def test_a_handler_asks_and_an_office_head_approves_for_that_complaint_only(client):
    handler, head = factories.user("handler"), factories.user("head")
    complaint, other = complaint_factories.submit().complaint, complaint_factories.submit().complaint
    assert not identity_visible_to(handler, complaint)
    request = services.identity_access_request(complaint=complaint, reason="需要回访核实", actor=handler)
    with pytest.raises(ValidationError):
        services.identity_access_decide(request=request, approve=True, actor=handler)  # not an office head
    services.identity_access_decide(request=request, approve=True, actor=head)
    assert identity_visible_to(handler, complaint)
    assert not identity_visible_to(handler, other)
    client.force_login(handler)
    page = client.get(f"/admin/complaints/complaint/{complaint.pk}/change/").content.decode()
    assert "张三" in page
    assert complaint.identity_views.filter(viewer=handler).exists()


def test_a_refused_request_leaves_the_identity_masked():
    handler, head = factories.user("handler"), factories.user("head")
    complaint = complaint_factories.submit().complaint
    request = services.identity_access_request(complaint=complaint, reason="好奇", actor=handler)
    services.identity_access_decide(request=request, approve=False, note="理由不充分", actor=head)
    request.refresh_from_db()
    assert request.status == IdentityAccessRequest.Status.REFUSED
    assert not identity_visible_to(handler, complaint)


def test_department_users_never_see_identity_even_with_a_request():
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    complaint = complaint_factories.submit(department=department).complaint
    assert not identity_visible_to(dept_user, complaint)


def test_the_request_button_files_a_request(client):
    handler = factories.user("handler")
    client.force_login(handler)
    complaint = complaint_factories.submit().complaint
    page = client.get(f"/admin/complaints/complaint/{complaint.pk}/change/").content.decode()
    assert "/triage/identity/" in page
    client.post(f"/admin/complaints/complaint/{complaint.pk}/triage/identity/", {"reason": "需要电话回访"})
    assert IdentityAccessRequest.objects.get().requested_by == handler
