"""/api/v1/approvals/: the halls' systems push batches (all or nothing, errors by row, a resend
changing nothing); departments read their own records and signals only; nothing names a
complaint."""

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from approvals.models import ApprovalRecord, ApprovalSignal
from approvals.services.ingest import records_ingest
from approvals.tests import factories as f
from complaints.tests import factories as complaint_factories

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/approvals/records/batch/"
RECORDS = "/api/v1/approvals/records/"
SIGNALS = "/api/v1/approvals/signals/"
ITEMS = "/api/v1/approvals/items/"


def account(group: str, *, department=None, staff=False) -> APIClient:
    user = User.objects.create_user(f"u-{User.objects.count()}", is_staff=staff)
    user.groups.add(Group.objects.get(name=group))
    if department is not None:
        department.members.add(user)
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def world():
    mine, theirs = complaint_factories.department(), complaint_factories.department()
    return {
        "mine": mine,
        "theirs": theirs,
        "item": f.item(department=mine, steps=(2, 3), fees=(("F1", "100.00"),)),
        "their_item": f.item(department=theirs, steps=(2, 3), fees=(("F1", "100.00"),)),
        "hall": account("Service hall system"),
        "dept": account("Department user", department=mine),
        "staff": account("Case handler", staff=True),
    }


def test_the_urls_are_the_ones_the_contract_names():
    assert reverse("approvals_api:record-batch") == BATCH
    assert reverse("approvals_api:record-list") == RECORDS


def test_a_hall_system_pushes_a_batch_and_gets_the_counts(world):
    rows = [f.row(world["item"], "H-1"), f.row(world["their_item"], "H-2")]
    response = world["hall"].post(BATCH, {"records": rows}, format="json")
    assert response.status_code == 200, response.content
    # Both pending since 30 September, due 13 October: each raises its red "overdue" signal.
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "signals": 2}
    again = world["hall"].post(BATCH, rows, format="json")  # a bare list is accepted too
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2, "signals": 0}
    assert ApprovalRecord.objects.count() == 2


def test_a_bad_batch_is_answered_400_with_every_row_error_and_nothing_written(world):
    rows = [
        f.row(world["item"], "B-1"),
        f.row(world["item"], "B-2", item_code="NOPE"),
        f.row(world["item"], "B-1"),
    ]
    response = world["hall"].post(BATCH, {"records": rows}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(1, "item_code"), (2, "external_id")]
    assert all(e["message"] for e in errors)
    assert not ApprovalRecord.objects.exists()


def test_a_batch_over_the_maximum_is_refused(world, settings):
    settings.APPROVAL_BATCH_MAX = 2
    response = world["hall"].post(BATCH, {"records": [f.row(world["item"]) for _ in range(3)]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] is None
    assert not ApprovalRecord.objects.exists()


def test_a_body_without_a_list_is_a_400(world):
    response = world["hall"].post(BATCH, {"records": "all of them"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "records"


@pytest.mark.parametrize("who", ["dept", "staff"])
def test_without_the_push_permission_a_batch_is_403(world, who):
    response = world[who].post(BATCH, {"records": [f.row(world["item"])]}, format="json")
    assert response.status_code == 403
    assert not ApprovalRecord.objects.exists()


def test_anonymous_is_401():
    assert APIClient().post(BATCH, {"records": []}, format="json").status_code == 401


def test_a_department_reads_only_its_own_records(world):
    records_ingest([f.row(world["item"], "M-1"), f.row(world["their_item"], "T-1")], actor=None)
    theirs = ApprovalRecord.objects.get(external_id="T-1")
    listed = world["dept"].get(RECORDS).json()
    assert [r["external_id"] for r in listed["results"]] == ["M-1"]
    assert world["dept"].get(f"{RECORDS}{theirs.pk}/").status_code == 404
    assert world["dept"].get(RECORDS, {"department": world["theirs"].pk}).json()["results"] == []
    staff = world["staff"].get(RECORDS).json()
    assert {r["external_id"] for r in staff["results"]} == {"M-1", "T-1"}


def test_a_hall_system_reads_the_catalogue_but_no_record(world):
    assert world["hall"].get(ITEMS).status_code == 200
    assert world["hall"].get(RECORDS).status_code == 403
    assert world["hall"].get(SIGNALS).status_code == 403


def test_a_record_never_says_it_was_complained_about(world):
    records_ingest([f.row(world["item"], "C-1")], actor=None)
    record = ApprovalRecord.objects.get()
    complaint = complaint_factories.submit(department=world["mine"]).complaint
    record.complaints.add(complaint)
    data = world["dept"].get(f"{RECORDS}{record.pk}/").json()
    assert "complaint" not in str(sorted(data)).lower()
    assert str(complaint.pk) not in {str(value) for value in data.values()} - {str(record.pk)}
    assert world["dept"].get(RECORDS).json()["results"][0] == data


def test_a_department_reads_only_its_own_signals(world):
    records_ingest([f.row(world["item"], "S-1"), f.row(world["their_item"], "S-2")], actor=None)
    for record in ApprovalRecord.objects.all():
        ApprovalSignal.objects.create(
            record=record,
            department_id=record.department_id,
            kind=ApprovalSignal.Kind.NO_REASON,
            colour=ApprovalSignal.Colour.RED,
            explanation="拒绝未说明理由",
            raised_at=record.accepted_at,
        )
    listed = world["dept"].get(SIGNALS).json()["results"]
    assert {s["external_id"] for s in listed} == {"S-1"}  # the overdue one raised at ingest, and ours
    assert len(listed) == ApprovalSignal.objects.filter(record__external_id="S-1").count() == 2
    other = ApprovalSignal.objects.filter(record__external_id="S-2").first()
    assert world["dept"].get(f"{SIGNALS}{other.pk}/").status_code == 404
    assert len(world["staff"].get(SIGNALS).json()["results"]) == ApprovalSignal.objects.count() == 4


def test_the_record_list_sends_the_same_statements_for_one_record_or_many(world):
    def statements():
        with CaptureQueriesContext(connection) as queries:
            assert world["staff"].get(RECORDS).status_code == 200
        return len(queries)

    records_ingest([f.row(world["item"], "Q-0")], actor=None)
    statements()  # the viewer's permissions, loaded once
    one = statements()
    records_ingest(
        [f.row(world["item"], f"Q-{n}", fees=[{"code": "F1", "amount": 1}]) for n in range(1, 12)], actor=None
    )
    assert statements() == one


def test_a_body_that_is_not_json_is_a_400(world):
    response = world["hall"].post(BATCH, "{not json", content_type="application/json")
    assert response.status_code == 400 and "detail" in response.json()
