"""The demo's inspections of enterprises (envopt.setup.demo_inspections): a registry, lists, plans
and a year of inspections with one of each flag, taken through the real services."""

import datetime as dt
import time
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from casework.models import Case
from complaints.models import Channel, Complaint
from core.models import OutboundEmail
from core.validators import validate_credit_code
from envopt.setup.demo import demo_password
from envopt.setup.demo_inspections import ENTERPRISES, demo_enterprise_link, demo_scan_link
from inspections.models import Inspection, InspectionFlag, InspectionPlan, InspectionRating
from inspections.selectors import ratings_aggregate_for_department
from inspections.services.plans import plan_due_date
from liaison.models import Department, Enterprise

# Every kind of flag is raised by a service (an entry without a filing is the emergency entry).
RAISED_BY_SERVICES = set(InspectionFlag.Kind.values)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        started = time.monotonic()
        call_command("seed_demo", "--quiet-logins")
        yield {"seconds": time.monotonic() - started}
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_registry_has_a_few_hundred_valid_enterprises_of_every_class(seeded):
    enterprises = Enterprise.objects.filter(credit_code__startswith="91")
    assert enterprises.count() >= ENTERPRISES
    for code in enterprises.values_list("credit_code", flat=True):
        validate_credit_code(code)
    assert set(enterprises.values_list("risk_class", flat=True)) == {"A", "B", "C", "D"}
    assert enterprises.filter(no_disturbance=True).exists()
    assert enterprises.values("district").distinct().count() >= 5
    assert enterprises.values("industry").distinct().count() >= 6
    # Every enterprise has its supervision code.
    assert enterprises.filter(supervision_code__isnull=True).count() == 0


@pytest.mark.django_db
def test_every_flag_the_rules_raise_is_in_the_demo(seeded):
    kinds = set(InspectionFlag.objects.values_list("kind", flat=True))
    assert kinds == RAISED_BY_SERVICES
    # The cross inspection proposed a joint one to both departments; the commission ordered one.
    cross = InspectionFlag.objects.filter(kind=InspectionFlag.Kind.CROSS).select_related("inspection")
    assert all(flag.inspection.joint_with_id for flag in cross)
    assert OutboundEmail.objects.filter(kind="inspection_joint_proposed").count() >= 2 * cross.count()
    assert cross.filter(status=InspectionFlag.Status.JOINT).exists()
    # The blocking flags hold inspections for approval; one of each was approved.
    assert Inspection.objects.filter(status=Inspection.Status.PENDING_APPROVAL).exists()
    for kind in (InspectionFlag.Kind.OVER_CAP, InspectionFlag.Kind.NO_DISTURBANCE):
        statuses = set(InspectionFlag.objects.filter(kind=kind).values_list("status", flat=True))
        assert statuses == {InspectionFlag.Status.OPEN, InspectionFlag.Status.APPROVED}, kind
    emergency = Inspection.objects.get(flags__kind=InspectionFlag.Kind.EMERGENCY)
    assert emergency.emergency_reason and emergency.filed_at is None
    late = Inspection.objects.get(flags__kind=InspectionFlag.Kind.OUTCOME_LATE)
    assert late.status == Inspection.Status.ENTERED and late.outcome_deadline.due_date < timezone.localdate()


@pytest.mark.django_db
def test_a_case_is_opened_from_a_flag_in_the_inspection_channel(seeded):
    flag = InspectionFlag.objects.get(status=InspectionFlag.Status.CASE)
    assert flag.case is not None
    complaint = Complaint.objects.get(case_link__case=flag.case, case_link__is_primary=True)
    assert complaint.channel == Channel.INSPECTION
    assert complaint.department_id == flag.inspection.department_id
    assert Case.objects.filter(pk=flag.case_id).exists()


@pytest.mark.django_db
def test_inspections_run_their_course_over_the_year(seeded):
    statuses = set(Inspection.objects.values_list("status", flat=True))
    assert {"filed", "pending", "joint", "entered", "concluded"} <= statuses
    concluded = Inspection.objects.filter(status=Inspection.Status.CONCLUDED)
    assert concluded.count() >= 100
    assert set(concluded.values_list("outcome", flat=True)) == set(Inspection.Outcome.values)
    assert not concluded.filter(outcome_at__lt=timezone.now() - dt.timedelta(days=400)).exists()
    assert not Inspection.objects.filter(entered_at__gt=timezone.now()).exists()
    # Every filed inspection lists two officers and items from its own department's list.
    through = Inspection.items.through.objects
    assert not through.exclude(inspectionitem__department=F("inspection__department")).exists()
    officers = Inspection.objects.exclude(filed_at=None).values_list("officers", flat=True)
    assert all(len(rows) >= 2 for rows in officers)
    # Filed for today: the inspector can scan and enter it.
    assert Inspection.objects.filter(
        status=Inspection.Status.FILED, planned_on=timezone.localdate(), department__short_name="市场监管局"
    ).exists()
    assert Inspection.objects.values("department").distinct().count() >= 5


@pytest.mark.django_db
def test_ratings_are_mostly_good_and_a_department_sees_its_aggregate(seeded):
    ratings = InspectionRating.objects.all()
    scores = list(ratings.values_list("score", flat=True))
    assert len(scores) >= 50
    assert sum(score >= 4 for score in scores) / len(scores) >= 0.7
    low = [score for score in scores if score <= 2]
    assert low
    assert InspectionFlag.objects.filter(kind=InspectionFlag.Kind.LOW_RATING).count() == len(low)
    market = Department.objects.get(short_name="市场监管局")
    aggregate = ratings_aggregate_for_department(market)
    assert aggregate["count"] is not None
    assert aggregate["count"] >= settings.INSPECTION_RATINGS_MIN_AGGREGATE
    assert 3.5 <= aggregate["average"] <= 5


@pytest.mark.django_db
def test_this_years_plans_are_filed_one_late_and_one_missing(seeded):
    year = timezone.localdate().year
    plans = InspectionPlan.objects.filter(year=year)
    assert plans.count() == Department.objects.filter(is_active=True).count()
    due = plan_due_date(year)
    filed = plans.exclude(filed_at=None)
    assert filed.count() >= plans.count() - 2
    late = [plan for plan in filed if timezone.localtime(plan.filed_at).date() > due]
    assert len(late) == 1
    assert plans.filter(filed_at=None).count() == 1


@pytest.mark.django_db
def test_the_inspector_logs_in_without_a_code_and_sees_the_filings(seeded, client):
    response = client.post(
        "/accounts/login/", {"username": "inspector", "password": demo_password("inspector")}
    )
    assert response.status_code == 302
    assert not response["Location"].startswith("/accounts/two-factor/")
    page = client.get("/dept/inspections/")
    assert page.status_code == 200
    market = Inspection.objects.filter(department__short_name="市场监管局").select_related("enterprise")
    assert market.count() > 25
    newest = market.order_by("-planned_on", "-pk").first()
    assert newest.enterprise.name in page.content.decode()
    # Another department's filings are not on the page.
    other = (
        Inspection.objects.filter(department__short_name="住建局")
        .exclude(enterprise__inspections__department__short_name="市场监管局")
        .select_related("enterprise")
        .first()
    )
    assert other.enterprise.name not in page.content.decode()


@pytest.mark.django_db
def test_the_printed_enterprise_link_opens_its_page(seeded, client):
    name, link = demo_enterprise_link()
    assert urlparse(link).path.startswith("/e/own/")
    response = client.get(urlparse(link).path, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert name in body, body[body.find("<main") :][:600]
    assert "data-private-link-note" in body


@pytest.mark.django_db
def test_the_printed_qr_code_link_asks_for_the_inspectors_login(seeded, client):
    name, _link = demo_enterprise_link()
    path = urlparse(demo_scan_link()).path
    logged_out = client.get(path, follow=True).content.decode()
    assert "data-scan-login" in logged_out and name not in logged_out
    client.post("/accounts/login/", {"username": "inspector", "password": demo_password("inspector")})
    assert name in client.get(path, follow=True).content.decode()


@pytest.mark.django_db
def test_the_inspection_story_runs_once(seeded):
    counts = (
        Enterprise.objects.count(),
        Inspection.objects.count(),
        InspectionFlag.objects.count(),
        InspectionRating.objects.count(),
    )
    call_command("seed_demo", "--quiet-logins")
    assert (
        Enterprise.objects.count(),
        Inspection.objects.count(),
        InspectionFlag.objects.count(),
        InspectionRating.objects.count(),
    ) == counts
