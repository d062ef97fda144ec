"""The staff workplace for filings: open flags first, each decided through a small form that calls
the service, a case opened from a flag or a rating; constant queries on the lists."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from casework.models import Case
from inspections.models import Inspection, InspectionFlag, InspectionRating
from inspections.services.filing import inspection_file
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    department, unit, items = f.department_with_list()
    enterprise = f.enterprise(no_disturbance=True)
    return inspection_file(**f.file_kwargs(department, unit, items[:1], enterprise, f.inspector(department)))


def test_the_flag_list_shows_open_flags_and_its_actions(client, held):
    client.force_login(f.staff("Case handler"))
    page = client.get(reverse("admin:inspections_inspectionflag_changelist")).content.decode()
    flag = held.flags.get()
    assert reverse("admin:inspections_inspectionflag_approve", args=[flag.pk]) in page
    assert reverse("admin:inspections_inspectionflag_open_case", args=[flag.pk]) in page
    assert 'data-decide="dismiss"' not in page  # a blocking flag is approved or refused


def test_approving_through_the_admin_files_the_inspection(client, held):
    client.force_login(f.staff("Case handler"))
    flag = held.flags.get()
    url = reverse("admin:inspections_inspectionflag_approve", args=[flag.pk])
    assert escape(flag.explanation) in client.get(url).content.decode()
    response = client.post(url, {"note": "同意"})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == Inspection.Status.FILED


def test_refusing_without_a_note_re_renders_with_the_error(client, held):
    client.force_login(f.staff("Case handler"))
    flag = held.flags.get()
    response = client.post(reverse("admin:inspections_inspectionflag_refuse", args=[flag.pk]), {"note": ""})
    assert response.status_code == 200 and 'id="id_note_error"' in response.content.decode()
    flag.refresh_from_db()
    assert flag.status == InspectionFlag.Status.OPEN


def test_a_case_is_opened_from_a_flag_and_from_a_rating(client, held):
    client.force_login(f.staff("Office head"))
    flag = held.flags.get()
    response = client.post(
        reverse("admin:inspections_inspectionflag_open_case", args=[flag.pk]),
        {"category": "inspections", "description": "未经批准检查。"},
    )
    case = Case.objects.get()
    assert response["Location"] == reverse("admin:casework_case_change", args=[case.pk])
    rating = InspectionRating.objects.create(inspection=held, score=1)
    url = reverse("admin:inspections_inspectionrating_open_case", args=[rating.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"category": "conduct", "description": "评分很低。"})
    rating.refresh_from_db()
    assert rating.case is not None and Case.objects.count() == 2


def test_a_leader_reads_but_cannot_decide(client, held):
    client.force_login(f.staff("Leader"))
    flag = held.flags.get()
    assert client.get(reverse("admin:inspections_inspectionflag_changelist")).status_code == 200
    assert client.get(reverse("admin:inspections_inspectionflag_approve", args=[flag.pk])).status_code == 403
    assert (
        client.get(reverse("admin:inspections_inspectionflag_open_case", args=[flag.pk])).status_code == 403
    )


@pytest.mark.parametrize("name", ["inspection", "inspectionflag"])
def test_the_lists_take_a_constant_number_of_queries(client, held, name, django_assert_max_num_queries):
    staff = f.staff("Case handler")
    client.force_login(staff)
    url = reverse(f"admin:inspections_{name}_changelist")
    client.get(url)
    department, unit, items = f.department_with_list()
    for _n in range(10):
        inspection_file(
            **f.file_kwargs(
                department, unit, items[:1], f.enterprise(no_disturbance=True), f.inspector(department)
            )
        )
    with django_assert_max_num_queries(14):
        response = client.get(url, {"q": ""})
    assert response.status_code == 200


def test_the_inspection_list_filters(client, held):
    client.force_login(f.staff("Case handler"))
    url = reverse("admin:inspections_inspection_changelist")
    for query in (
        {"flagged": "open"},
        {"flagged": "none"},
        {"year": str(held.planned_on.year)},
        {"status": "pending"},
    ):
        assert client.get(url, query).status_code == 200
    page = client.get(url, {"q": held.enterprise.credit_code}).content.decode()
    assert held.enterprise.name in page
    assert client.get(reverse("admin:inspections_inspection_change", args=[held.pk])).status_code == 200


def test_a_flag_raised_by_a_rating_is_only_for_staff_who_may_see_who_rated(client, held):
    """A low-rating flag names the rated inspection, so the enterprise that rated: staff without the
    identity permission never see it (list, inspection page, counts, filters, the flag itself)."""
    low = InspectionFlag.objects.create(
        inspection=held, kind=InspectionFlag.Kind.LOW_RATING, explanation="评分 1（低评分）"
    )
    other = held.flags.exclude(pk=low.pk).get()
    flags_url = reverse("admin:inspections_inspectionflag_changelist")
    flag_url = reverse("admin:inspections_inspectionflag_change", args=[low.pk])
    inspection_url = reverse("admin:inspections_inspection_change", args=[held.pk])
    inspections_url = reverse("admin:inspections_inspection_changelist")

    client.force_login(f.staff("Case handler"))  # no identity permission
    flags_page = client.get(flags_url).content.decode()
    assert flag_url not in flags_page
    assert reverse("admin:inspections_inspectionflag_change", args=[other.pk]) in flags_page
    assert client.get(flag_url).status_code in (302, 404)
    assert client.get(reverse("admin:inspections_inspectionflag_open_case", args=[low.pk])).status_code == 404
    assert "评分 1（低评分）" not in client.get(inspection_url).content.decode()
    other.status = InspectionFlag.Status.DISMISSED
    other.save(update_fields=["status"])
    # Its only open flag is the rating's: for this viewer the inspection has none.
    assert held.enterprise.name not in client.get(inspections_url, {"flagged": "open"}).content.decode()

    client.force_login(f.staff("Office head"))  # holds the identity permission
    assert flag_url in client.get(flags_url).content.decode()
    assert "评分 1（低评分）" in client.get(inspection_url).content.decode()
    assert held.enterprise.name in client.get(inspections_url, {"flagged": "open"}).content.decode()
