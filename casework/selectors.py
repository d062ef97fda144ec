"""Shared reads of casework: one visibility rule per role, used by the admin, the department
portal, the API and the exports alike, so that a list and a detail page never disagree."""

from django.db.models import BooleanField, DateField, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models import Case as SqlCase
from django.db.models.functions import Coalesce
from django.utils import timezone

from casework.models import Case, IdentityAccessRequest, Recommendation, Referral
from complaints.models import Complaint, Rating


def departments_of(viewer) -> list[int]:
    """The departments a portal user acts for (cached on the user object for one request)."""
    if not getattr(viewer, "is_authenticated", False):
        return []
    cached = getattr(viewer, "_envopt_department_ids", None)
    if cached is None:
        cached = list(viewer.departments.values_list("id", flat=True))
        viewer._envopt_department_ids = cached
    return cached


def is_department_user(viewer) -> bool:
    return (
        getattr(viewer, "is_authenticated", False)
        and not viewer.is_staff
        and viewer.has_perm("liaison.access_department_portal")
    )


def unsatisfied_ratings(case) -> QuerySet[Rating]:
    """Unsatisfied ratings of the complaints of ``case`` (a case or an OuterRef to one)."""
    return Rating.objects.filter(complaint__case_link__case=case, level=Rating.Level.UNSATISFIED)


def with_unsatisfied(queryset: QuerySet[Case], wanted: bool) -> QuerySet[Case]:
    """Cases whose complainant was (or was not) unsatisfied: a semi-join, not the annotation."""
    condition = Exists(unsatisfied_ratings(OuterRef("pk")))
    return queryset.filter(condition if wanted else ~condition)


def case_list(*, viewer) -> QuerySet[Case]:
    """Cases this viewer may see: every case for centre staff with the view permission, none
    for anybody else (departments see their referrals, never the case file)."""
    if not (getattr(viewer, "is_authenticated", False) and viewer.has_perm("casework.view_case")):
        return Case.objects.none()
    open_referral = Referral.objects.filter(case=OuterRef("pk"), status__in=Referral.OPEN_STATUSES)
    today = timezone.localdate()
    # A scalar subquery, not EXISTS: PostgreSQL hashes an EXISTS in the select list over every
    # rating of every case (30 ms at 100k cases) where a page needs 50 index probes.
    unsatisfied = unsatisfied_ratings(OuterRef("pk")).order_by().values(flag=Value(True))[:1]
    return (
        Case.objects.select_related("department", "office", "handler")
        .annotate(
            due_date=Subquery(open_referral.order_by().values("due_date")[:1], output_field=DateField()),
            unsatisfied=Coalesce(Subquery(unsatisfied, output_field=BooleanField()), Value(False)),
        )
        .annotate(
            overdue=SqlCase(
                When(due_date__lt=today, then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
        )
    )


STAFF = "staff"
DEPARTMENT = "department"


def _department_scoped(base: QuerySet, *, viewer, scope: str, staff_permission: str) -> QuerySet:
    """Staff with the permission see everything; a department user sees their departments' rows
    and no other; ``scope=DEPARTMENT`` (the department portal) means the departments' own, even
    for staff."""
    if not getattr(viewer, "is_authenticated", False):
        return base.none()
    if scope == STAFF and viewer.has_perm(staff_permission):
        return base
    if viewer.has_perm("liaison.access_department_portal"):
        return base.filter(department_id__in=departments_of(viewer))
    return base.none()


def referral_list(*, viewer, scope: str = STAFF) -> QuerySet[Referral]:
    base = Referral.objects.select_related("case", "department", "deadline")
    return _department_scoped(base, viewer=viewer, scope=scope, staff_permission="casework.view_referral")


def recommendation_list(*, viewer, scope: str = STAFF) -> QuerySet[Recommendation]:
    base = Recommendation.objects.select_related("case", "department")
    return _department_scoped(
        base, viewer=viewer, scope=scope, staff_permission="casework.view_recommendation"
    )


def complaint_list(*, viewer) -> QuerySet[Complaint]:
    if not (getattr(viewer, "is_authenticated", False) and viewer.has_perm("complaints.view_complaint")):
        return Complaint.objects.none()
    return Complaint.objects.select_related("department")


def identity_visible_to(viewer, complaint: Complaint) -> bool:
    """Who may see who complained: the permission, or an approved request for this complaint."""
    if not getattr(viewer, "is_authenticated", False) or not viewer.is_staff:
        return False
    if viewer.has_perm("complaints.view_complainant_identity"):
        return True
    return IdentityAccessRequest.objects.filter(
        complaint=complaint, requested_by=viewer, status=IdentityAccessRequest.Status.APPROVED
    ).exists()


def case_overdue_filter(today=None) -> Q:
    today = today or timezone.localdate()
    return Q(referrals__status__in=Referral.OPEN_STATUSES, referrals__due_date__lt=today)
