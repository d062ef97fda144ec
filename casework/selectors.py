"""Shared reads of casework: one visibility rule per role, used by the admin, the department
portal, the API and the exports alike, so that a list and a detail page never disagree."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import (
    BooleanField,
    DateField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Coalesce
from django.utils import timezone

from casework.models import Case, CaseComplaint, IdentityAccessRequest, Recommendation, Referral
from complaints.models import ComplainantIdentity, Complaint, PublicStatus, Rating
from complaints.selectors import IDENTITY_FIELDS, complaint_identity, identity_permitted
from core.calendar import add_working_days
from liaison.models import Office


def departments_of(viewer) -> list[int]:
    """The departments a portal user acts for (cached on the user object for one request)."""
    if not getattr(viewer, "is_authenticated", False):
        return []
    cached = getattr(viewer, "_envopt_department_ids", None)
    if cached is None:
        cached = list(viewer.departments.values_list("id", flat=True))
        viewer._envopt_department_ids = cached
    return cached


def unsatisfied_ratings(case) -> QuerySet[Rating]:
    """Unsatisfied ratings of the complaints of ``case`` (a case or an OuterRef to one)."""
    return Rating.objects.filter(complaint__case_link__case=case, level=Rating.Level.UNSATISFIED)


def with_unsatisfied(queryset: QuerySet[Case], wanted: bool) -> QuerySet[Case]:
    """Cases whose complainant was (or was not) unsatisfied: a semi-join, not the annotation."""
    condition = Exists(unsatisfied_ratings(OuterRef("pk")))
    return queryset.filter(condition if wanted else ~condition)


def case_list(*, viewer) -> QuerySet[Case]:
    """Cases this viewer may see: every case for centre staff with the view permission, none
    for anybody else (departments see their referrals, never the case file).

    The annotations are there whoever the viewer is: filters and ordering on ``due_date``,
    ``overdue`` or ``unsatisfied`` apply to an empty list as to a full one."""
    allowed = getattr(viewer, "is_authenticated", False) and viewer.has_perm("casework.view_case")
    open_referral = Referral.objects.filter(case=OuterRef("pk"), status__in=Referral.OPEN_STATUSES)
    today = timezone.localdate()
    # A scalar subquery, not EXISTS: PostgreSQL hashes an EXISTS in the select list over every
    # rating of every case (30 ms at 100k cases) where a page needs 50 index probes.
    unsatisfied = unsatisfied_ratings(OuterRef("pk")).order_by().values(flag=Value(True))[:1]
    cases = (
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
    return cases if allowed else cases.none()


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
    return complaint.pk in identity_visible_ids(viewer, [complaint.pk])


def identity_visible_ids(viewer, complaint_ids: Iterable[int]) -> set[int]:
    """Of these complaints, those whose complainant this viewer may see (identity_visible_to for
    a whole page): at most one query, whatever the number of complaints."""
    ids = set(complaint_ids)
    if not ids or not getattr(viewer, "is_authenticated", False) or not viewer.is_staff:
        return set()
    if identity_permitted(viewer):
        return ids
    return set(
        IdentityAccessRequest.objects.filter(
            complaint_id__in=ids, requested_by=viewer, status=IdentityAccessRequest.Status.APPROVED
        ).values_list("complaint_id", flat=True)
    )


def case_complaints_prefetch(path: str = "complaint_links") -> Prefetch:
    """Prefetch, along ``path`` to a case's complaint links, what case_identities reads: one
    query for a whole page of cases (or of their referrals or events)."""
    identity = [f"complaint__identity__{name}" for name in IDENTITY_FIELDS]
    links = CaseComplaint.objects.select_related("complaint__identity").only(
        "case_id", "complaint_id", "is_primary", "complaint__is_anonymous", *identity
    )
    return Prefetch(path, queryset=links)


def case_identities_by_id(case_ids: Iterable[int]) -> dict[int, list[ComplainantIdentity]]:
    """case_identities for many cases at once (a chunk of an export), in one query."""
    found: dict[int, list[ComplainantIdentity]] = {}
    for link in case_complaints_prefetch().queryset.filter(case_id__in=list(case_ids)):
        identity = complaint_identity(link.complaint)
        if identity is not None:
            found.setdefault(link.case_id, []).append(identity)
    return found


def case_identities(case: Case) -> list[ComplainantIdentity]:
    """Who complained in this case: the identity of every complaint gathered in it, merged ones
    included; anonymous complaints have none. Read from the prefetch when the case came with
    case_complaints_prefetch (a page of cases), otherwise in one query (a service checking the
    texts it is about to release)."""
    if "complaint_links" in getattr(case, "_prefetched_objects_cache", {}):
        identities = (complaint_identity(link.complaint) for link in case.complaint_links.all())
        return [identity for identity in identities if identity is not None]
    return list(
        ComplainantIdentity.objects.filter(
            complaint__case_link__case=case, complaint__is_anonymous=False
        ).order_by("complaint_id")
    )


def case_overdue_filter(today=None) -> Q:
    today = today or timezone.localdate()
    return Q(referrals__status__in=Referral.OPEN_STATUSES, referrals__due_date__lt=today)


# --- The staff front page: work queues ------------------------------------------------------

# "Due soon" on the front page and in the case list: an open referral due within this many
# working days (PRC calendar), today included, not yet overdue.
DUE_SOON_WORKING_DAYS = 2


def due_soon_until(today: dt.date | None = None) -> dt.date:
    """The last day that counts as "due soon": DUE_SOON_WORKING_DAYS working days after today."""
    today = today or timezone.localdate()
    return add_working_days(today, DUE_SOON_WORKING_DAYS).due_date


def due_soon_condition(today: dt.date | None = None, until: dt.date | None = None) -> Q:
    """On case_list's annotations: an open referral is due today or within the next working days."""
    today = today or timezone.localdate()
    return Q(due_date__gte=today, due_date__lte=until or due_soon_until(today))


class WorkScope(StrEnum):
    """Whose cases a member of staff's queues count: a handler their own, an office head their
    offices', a leader (who reads but does not handle) every case."""

    MINE = "mine"
    OFFICE = "office"
    ALL = "all"


def work_scope(viewer) -> tuple[WorkScope, list[int]]:
    """The viewer's scope and, for an office head, the offices they head (liaison.Office.head:
    the one link from a person to an office the directory keeps for this purpose)."""
    if viewer.is_superuser or (
        viewer.has_perm("casework.view_case") and not viewer.has_perm("casework.handle_case")
    ):
        return WorkScope.ALL, []
    headed = offices_headed_by(viewer)
    if headed:
        return WorkScope.OFFICE, headed
    return WorkScope.MINE, []


def offices_headed_by(viewer) -> list[int]:
    """The offices this user heads (cached on the user object for one request)."""
    cached = getattr(viewer, "_envopt_offices_headed", None)
    if cached is None:
        cached = list(Office.objects.filter(head=viewer).values_list("id", flat=True))
        viewer._envopt_offices_headed = cached
    return cached


def scope_condition(*, viewer, scope: WorkScope, offices: list[int]) -> Q:
    """The cases of a scope, as a condition on case_list."""
    if scope == WorkScope.MINE:
        return Q(handler_id=viewer.pk)
    if scope == WorkScope.OFFICE:
        return Q(office_id__in=offices)
    return Q()


@dataclass(frozen=True)
class WorkQueues:
    """The counts of a staff member's front page; each is what the list it links to shows."""

    scope: WorkScope
    offices: list[int]
    to_triage: int
    to_review: int
    due_soon: int
    overdue: int
    unsatisfied: int
    mine: int
    due_soon_until: dt.date


def work_queues(*, viewer) -> WorkQueues:
    """Counts of the viewer's work queues, in three queries whatever the number of cases: the
    offices they head, one aggregate over their cases, one count of complaints to triage.

    - to triage: complaints received and not yet accepted, merged or declined (the centre's
      intake, not anyone's own: every member of staff sees the same number);
    - to review: cases whose department's report awaits review;
    - due soon / overdue: cases with an open referral due within DUE_SOON_WORKING_DAYS working
      days / past its due date;
    - unsatisfied: concluded cases whose complainant was unsatisfied (reopen or not);
    - mine: open cases the viewer handles, whatever their role.
    """
    scope, offices = work_scope(viewer)
    today = timezone.localdate()
    until = due_soon_until(today)
    scoped = scope_condition(viewer=viewer, scope=scope, offices=offices)
    open_case = ~Q(status=Case.Status.CONCLUDED)
    conditions = {
        "to_review": scoped & Q(status=Case.Status.REVIEWING),
        "due_soon": scoped & due_soon_condition(today, until),
        "overdue": scoped & Q(overdue=True),
        "unsatisfied": scoped & Q(status=Case.Status.CONCLUDED, unsatisfied=True),
        "mine": Q(handler_id=viewer.pk) & open_case,
    }
    # One row of sums over 0/1 flags: Django cannot aggregate with a filter that names another
    # annotation (overdue, due_date), but it can sum annotations computed per row.
    flags = {
        f"in_{key}": SqlCase(When(condition, then=1), default=0) for key, condition in conditions.items()
    }
    totals = (
        case_list(viewer=viewer)
        .order_by()
        .annotate(**flags)
        .aggregate(**{key: Coalesce(Sum(f"in_{key}"), 0) for key in conditions})
    )
    counts = {key: int(value) for key, value in totals.items()}
    to_triage = complaint_list(viewer=viewer).filter(status=PublicStatus.RECEIVED).order_by().count()
    return WorkQueues(scope=scope, offices=offices, to_triage=to_triage, due_soon_until=until, **counts)


HANDLE_PERMISSION = ("casework", "handle_case")


def handler_candidates() -> QuerySet:
    """Who can be a case's handler: active staff holding casework.handle_case through a role or
    in person (so not the leaders, who read but do not handle), with their offices and roles
    prefetched for the pickers' labels (three queries for the whole list)."""
    app_label, codename = HANDLE_PERMISSION
    holds = Q(
        groups__permissions__content_type__app_label=app_label, groups__permissions__codename=codename
    ) | Q(user_permissions__content_type__app_label=app_label, user_permissions__codename=codename)
    holders = get_user_model().objects.filter(holds).values("pk")
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, pk__in=holders)
        .prefetch_related(
            Prefetch("offices", queryset=Office.objects.order_by("name")),
            Prefetch("groups", queryset=Group.objects.order_by("name")),
        )
        .order_by("first_name", "last_name", "username")
    )
