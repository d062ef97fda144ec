"""The enterprise's anonymous ratings: once per inspection that took place, a low rating is
flagged, the department sees only aggregates of enough ratings, and never which enterprise
rated what (the canary test at the end)."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from casework.tests import factories as casework_factories
from complaints.models import Category, Complaint
from core.calendar import add_working_days
from core.ladder import escalation_sweep
from core.models import OutboundEmail
from inspections.models import Inspection, InspectionFlag, InspectionRating, InspectionRatingIdentityView
from inspections.selectors import ratings_aggregate_for_department
from inspections.services import entry
from inspections.services.codes import code_issue
from inspections.services.ratings import rating_add
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(db):
    department = f.department(
        name="市城市管理局",
        email="cg@dept.example",
        head_email="head@dept.example",
        supervising_leader_email="leader@commission.example",
    )
    enterprise = f.enterprise(name="评价测试餐饮有限公司")
    return {
        "department": department,
        "enterprise": enterprise,
        "secret": code_issue(enterprise=enterprise).private,
    }


def _visited(scene, **kwargs) -> Inspection:
    return f.filed(
        department=scene["department"],
        enterprise=scene["enterprise"],
        status=Inspection.Status.CONCLUDED,
        **kwargs,
    )


def _rated_earlier(
    inspection: Inspection, score: int, *, days_ago: int = 40, comment: str = ""
) -> InspectionRating:
    rating = InspectionRating.objects.create(inspection=inspection, score=score, comment=comment)
    InspectionRating.objects.filter(pk=rating.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return rating


# --- The service --------------------------------------------------------------------------------


def test_an_inspection_is_rated_once(scene):
    inspection = _visited(scene)
    rating_add(inspection=inspection, enterprise=scene["enterprise"], score=4, comment="规范、高效。")
    with pytest.raises(ValidationError) as error:
        rating_add(inspection=inspection, enterprise=scene["enterprise"], score=1)
    assert error.value.code == "rated"
    assert InspectionRating.objects.get(inspection=inspection).score == 4


def test_only_an_inspection_that_took_place_can_be_rated(scene):
    filed = f.filed(department=scene["department"], enterprise=scene["enterprise"])
    with pytest.raises(ValidationError) as error:
        rating_add(inspection=filed, enterprise=scene["enterprise"], score=5)
    assert error.value.code == "not_ratable"
    entered = f.filed(
        department=scene["department"], enterprise=scene["enterprise"], status=Inspection.Status.ENTERED
    )
    rating_add(inspection=entered, enterprise=scene["enterprise"], score=5)


def test_another_enterprise_cannot_rate_it(scene):
    with pytest.raises(ValidationError):
        rating_add(inspection=_visited(scene), enterprise=f.enterprise(), score=5)


@pytest.mark.parametrize("score", [0, 6, "5"])
def test_the_score_is_one_to_five(scene, score):
    with pytest.raises(ValidationError):
        rating_add(inspection=_visited(scene), enterprise=scene["enterprise"], score=score)


@pytest.mark.parametrize(("score", "flagged"), [(1, True), (2, True), (3, False), (5, False)])
def test_a_rating_of_two_or_less_raises_a_low_rating_flag(scene, score, flagged):
    inspection = _visited(scene)
    rating_add(inspection=inspection, enterprise=scene["enterprise"], score=score, comment="态度蛮横")
    flags = InspectionFlag.objects.filter(inspection=inspection, kind=InspectionFlag.Kind.LOW_RATING)
    assert flags.exists() is flagged
    if flagged:
        assert "态度蛮横" not in flags.get().explanation  # the comment stays with the rating


# --- Aggregates for the department ----------------------------------------------------------------


def test_below_the_minimum_the_department_gets_no_figures(scene, settings):
    settings.INSPECTION_RATINGS_MIN_AGGREGATE = 5
    for score in (5, 4, 1, 3):
        _rated_earlier(_visited(scene), score)
    assert ratings_aggregate_for_department(scene["department"])["count"] is None


def test_at_the_minimum_the_department_gets_count_average_and_low_share(scene, settings):
    settings.INSPECTION_RATINGS_MIN_AGGREGATE = 5
    for score in (5, 4, 1, 3, 2):
        _rated_earlier(_visited(scene), score)
    figures = ratings_aggregate_for_department(scene["department"])
    assert figures["count"] == 5 and figures["average"] == 3.0 and figures["low_share"] == 40


def test_ratings_of_the_current_month_are_not_yet_counted(scene, settings):
    settings.INSPECTION_RATINGS_MIN_AGGREGATE = 5
    for score in (5, 4, 1, 3, 2):
        _rated_earlier(_visited(scene), score)
    _rated_earlier(_visited(scene), 1, days_ago=0)  # today: the figures must not move
    assert ratings_aggregate_for_department(scene["department"])["count"] == 5


def test_another_departments_ratings_are_not_counted(scene, settings):
    settings.INSPECTION_RATINGS_MIN_AGGREGATE = 1
    other = f.department()
    _rated_earlier(f.filed(department=other, enterprise=scene["enterprise"], status="concluded"), 1)
    assert ratings_aggregate_for_department(scene["department"])["count"] is None


# --- The enterprise's page --------------------------------------------------------------------


def _open(client, scene):
    assert client.get(f"/e/own/{scene['secret']}/").status_code == 302
    return client


def test_the_enterprise_sees_its_inspections_and_rates_one_anonymously(client, scene):
    inspection = _visited(scene, outcome=Inspection.Outcome.NO_PROBLEM)
    filed = f.filed(department=scene["department"], enterprise=scene["enterprise"])
    refused = f.filed(department=scene["department"], enterprise=scene["enterprise"], status="refused")
    body = _open(client, scene).get("/e/own/").content.decode()
    assert f'data-inspection="{inspection.pk}"' in body and f'data-inspection="{filed.pk}"' in body
    assert f'data-inspection="{refused.pk}"' not in body
    response = client.post(
        "/e/own/",
        {
            "action": "rate",
            "inspection": inspection.pk,
            f"rate-{inspection.pk}-score": "2",
            f"rate-{inspection.pk}-comment": "检查人员要求停产配合三天。",
        },
    )
    assert response.status_code == 302
    rating = InspectionRating.objects.get(inspection=inspection)
    assert rating.score == 2
    after = client.get("/e/own/").content.decode()
    assert "data-rated" in after and "检查人员要求停产配合三天" not in after  # never shown again


def test_a_rating_without_a_score_is_refused_next_to_the_field(client, scene):
    inspection = _visited(scene)
    response = _open(client, scene).post("/e/own/", {"action": "rate", "inspection": inspection.pk})
    assert response.status_code == 200
    assert not InspectionRating.objects.exists()
    assert re.search(r'id="field-score"[^>]*|field-score has-error', response.content.decode())


def test_another_enterprises_inspection_cannot_be_rated_from_this_page(client, scene):
    other = f.filed(department=scene["department"], enterprise=f.enterprise(), status="concluded")
    response = _open(client, scene).post(
        "/e/own/", {"action": "rate", "inspection": other.pk, f"rate-{other.pk}-score": "1"}
    )
    assert response.status_code == 404 and not InspectionRating.objects.exists()


def test_the_enterprise_page_reads_in_a_constant_number_of_queries(client, scene):
    _visited(scene)
    _open(client, scene)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/e/own/").status_code == 200
    for _ in range(8):
        _rated_earlier(_visited(scene, items=3), 4)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/e/own/").status_code == 200
    assert len(many) == len(few)


def test_this_inspection_disturbed_us_files_a_linked_complaint(client, scene, settings):
    settings.INTAKE_POW_ENABLED = False
    inspection = _visited(scene)
    _open(client, scene)
    form = client.get(f"/e/own/disturbed/?inspection={inspection.pk}")
    initial = form.context["form"].initial
    assert initial["category"] == Category.INSPECTIONS and initial["department"] == scene["department"].pk
    response = client.post(
        f"/e/own/disturbed/?inspection={inspection.pk}",
        {
            "complainant_type": "enterprise",
            "identity_mode": "anonymous",
            "department": scene["department"].pk,
            "category": Category.INSPECTIONS,
            "occurred_on": timezone.localdate().isoformat(),
            "description": "一个月内同一部门第三次到店检查，每次都要求暂停营业配合。",
            "consent": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("complaints:submitted")
    complaint = Complaint.objects.get()
    assert list(inspection.complaints.all()) == [complaint]
    assert complaint.category == Category.INSPECTIONS


def test_the_disturbed_form_is_only_for_this_enterprises_inspections(client, scene):
    other = f.filed(department=scene["department"], enterprise=f.enterprise(), status="concluded")
    assert _open(client, scene).get(f"/e/own/disturbed/?inspection={other.pk}").status_code == 404


# --- Staff ------------------------------------------------------------------------------------


def test_staff_see_who_rated_only_with_the_identity_permission(client, scene):
    _rated_earlier(_visited(scene), 1, comment="评价内容甲")
    head = casework_factories.user("head")  # holds complaints.view_complainant_identity
    handler = casework_factories.user("handler")
    # No role holds the ratings' view permission yet: given here to both.
    reading = Permission.objects.get(codename="view_inspectionrating")
    head.user_permissions.add(reading)
    handler.user_permissions.add(reading)
    client.force_login(head)
    with_identity = client.get("/admin/inspections/inspectionrating/").content.decode()
    assert "评价内容甲" in with_identity and "评价测试餐饮有限公司" in with_identity
    other = Client()
    other.force_login(handler)
    without = other.get("/admin/inspections/inspectionrating/")
    assert without.status_code == 200
    assert "评价内容甲" in without.content.decode() and "评价测试餐饮有限公司" not in without.content.decode()
    rating = InspectionRating.objects.get()
    detail = other.get(f"/admin/inspections/inspectionrating/{rating.pk}/change/").content.decode()
    assert "评价测试餐饮有限公司" not in detail


def _ratings_reader(role: str):
    user = casework_factories.user(role)
    user.user_permissions.add(Permission.objects.get(codename="view_inspectionrating"))
    return user


def test_each_look_at_who_rated_is_on_the_identity_access_record(client, scene):
    ratings = [_rated_earlier(_visited(scene), score) for score in (1, 4, 5)]
    head = _ratings_reader("head")  # holds the identity permission
    client.force_login(head)
    assert client.get("/admin/inspections/inspectionrating/").status_code == 200
    listed = InspectionRatingIdentityView.objects.filter(
        viewer=head, kind=InspectionRatingIdentityView.Kind.LIST
    )
    assert sorted(listed.values_list("rating_id", flat=True)) == sorted(r.pk for r in ratings)
    detail = client.get(f"/admin/inspections/inspectionrating/{ratings[0].pk}/change/")
    assert detail.status_code == 200
    opened = InspectionRatingIdentityView.objects.filter(
        viewer=head, kind=InspectionRatingIdentityView.Kind.RECORD
    )
    assert list(opened.values_list("rating_id", flat=True)) == [ratings[0].pk]
    # The rating's page says who has seen who rated, this look included.
    assert head.username in detail.content.decode()
    # A search by enterprise (identity holders only) is a look at what it finds.
    client.get("/admin/inspections/inspectionrating/", {"q": "评价测试餐饮"})
    assert listed.count() == 2 * len(ratings)


def test_without_the_identity_permission_nothing_is_recorded(client, scene):
    rating = _rated_earlier(_visited(scene), 2)
    client.force_login(_ratings_reader("handler"))
    assert client.get("/admin/inspections/inspectionrating/").status_code == 200
    assert client.get(f"/admin/inspections/inspectionrating/{rating.pk}/change/").status_code == 200
    assert not InspectionRatingIdentityView.objects.exists()


def test_recording_the_looks_keeps_the_list_to_a_constant_number_of_queries(client, scene):
    _rated_earlier(_visited(scene), 3)
    client.force_login(_ratings_reader("head"))
    with CaptureQueriesContext(connection) as few:
        assert client.get("/admin/inspections/inspectionrating/").status_code == 200
    for score in (1, 2, 4, 5, 5, 4):
        _rated_earlier(_visited(scene), score)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/admin/inspections/inspectionrating/").status_code == 200
    assert len(many) == len(few)
    assert InspectionRatingIdentityView.objects.count() == 1 + 7


# --- The canary: a department never learns who rated what -------------------------------------------


CANARY_COMMENT = "金丝雀评价ZQX-7731：执法人员索要招待"


def test_a_departments_pages_e_mails_and_api_never_show_a_rating_or_its_enterprise(scene, settings):
    settings.INSPECTION_RATINGS_MIN_AGGREGATE = 1
    canary_enterprise = f.enterprise(name="鎏翠瓯码科技有限公司")
    department = scene["department"]
    inspector = f.inspector(department)
    dept_user = f.dept_user(department)
    rated = f.filed(department=department, enterprise=canary_enterprise)
    entry.inspection_enter(inspection=rated, enterprise=canary_enterprise, actor=inspector)
    entry.inspection_outcome_record(inspection=rated, outcome="no_problem", note="", actor=inspector)
    rating_add(inspection=rated, enterprise=canary_enterprise, score=1, comment=CANARY_COMMENT)
    InspectionRating.objects.filter(inspection=rated).update(
        created_at=timezone.now() - dt.timedelta(days=40)
    )
    # Another entry of the department's left without its outcome: the ladder e-mails it.
    late = f.filed(department=department, enterprise=scene["enterprise"])
    entry.inspection_enter(inspection=late, enterprise=scene["enterprise"], actor=inspector)
    late.refresh_from_db()
    due = late.outcome_deadline.due_date
    for day in (due, add_working_days(due, 1).due_date, add_working_days(due, 10).due_date):  # every step
        escalation_sweep(now=timezone.make_aware(dt.datetime.combine(day, dt.time(10))))

    # The department filed the inspection, so its own inspection pages and API name the enterprise;
    # what must never reach it is the rating: its comment, its score, the low-rating flag, and on
    # every other page (the ratings aggregate, the portal, its e-mails) the rated enterprise itself.
    rating_needles = [CANARY_COMMENT, "ZQX-7731", "low_rating"]
    with translation.override("zh-hans"):
        rating_needles.append(str(InspectionFlag.Kind.LOW_RATING.label))
    with translation.override("en"):
        rating_needles.append(str(InspectionFlag.Kind.LOW_RATING.label))
    identity_needles = [canary_enterprise.name, "鎏翠瓯码", canary_enterprise.credit_code]
    pages, own_inspection_pages = {}, {}
    for user in (dept_user, inspector):
        client = Client()
        client.force_login(user)
        for url in ("/dept/", "/dept/inspections/ratings/", "/dept/notifications/", "/e/", "/e/own/"):
            response = client.get(url, follow=True)
            pages[f"{user.username} {url}"] = response.content.decode()
        for url in ("/dept/inspections/", f"/dept/inspections/{rated.pk}/"):
            response = client.get(url, follow=True)
            own_inspection_pages[f"{user.username} {url}"] = response.content.decode()
    assert "data-count" in pages[f"{dept_user.username} /dept/inspections/ratings/"]
    assert rated.flags.filter(kind=InspectionFlag.Kind.LOW_RATING).exists()
    for url in ("/api/v1/enterprises/", "/api/v1/referrals/"):
        client = Client()
        client.force_login(dept_user)
        pages[f"api {url}"] = client.get(url).content.decode(errors="replace")
    for url in ("/api/v1/inspections/", f"/api/v1/inspections/{rated.pk}/"):
        client = Client()
        client.force_login(dept_user)
        response = client.get(url)
        assert response.status_code == 200, url
        own_inspection_pages[f"api {url}"] = response.content.decode(errors="replace")
    assert any(canary_enterprise.name in text for text in own_inspection_pages.values())
    addresses = {department.email, department.head_email, department.supervising_leader_email} - {""}
    mails = [row for row in OutboundEmail.objects.all() if set(row.to) & addresses]
    assert mails, "the ladder sent the department nothing: the e-mail part of the check is empty"
    for row in mails:
        pages[f"mail {row.pk}"] = " ".join([row.subject, row.body_text, row.body_html, str(row.context)])
    hits = [
        (where, needle)
        for where, text in pages.items()
        for needle in rating_needles + identity_needles
        if needle in text
    ]
    hits += [
        (where, needle)
        for where, text in own_inspection_pages.items()
        for needle in rating_needles
        if needle in text
    ]
    assert not hits, hits

    # On site, the inspector scanning the rated enterprise's code knows where they are, but the
    # page shows nothing of its rating (not the comment, not that it rated).
    client = Client()
    client.force_login(inspector)
    scanned = code_issue(enterprise=canary_enterprise).scan
    on_site = client.get(f"/e/{scanned}/", follow=True).content.decode()
    assert "data-entry-candidates" in on_site
    assert "ZQX-7731" not in on_site and "data-rated" not in on_site and "data-rating-form" not in on_site
