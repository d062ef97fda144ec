"""Every write of the openness checks (政务公开监督检查), each in one transaction with its e-mail.

- ``finding_record``: an inspector records what was found on one checklist item at one unit, with
  evidence files. A failed item gets a rectification deadline (OPENNESS_RECTIFICATION_WORKING_DAYS
  working days, on the escalation ladder) and the unit is e-mailed; a serious failure also opens
  a case (channel OPENNESS_CHECK, category OPENNESS), the unit still rectifying the item.
- ``finding_answer``: the unit answers with its rectification (整改) from its portal.
- ``finding_accept`` / ``finding_return``: the commission accepts it, or returns it with a reason
  and a new deadline (one round more).
- ``demonstration_site_mark`` / ``demonstration_site_unmark``: 示范点, listed publicly.

Every text that leaves for the unit or the public (the finding's note, the return reason, the
citation) passes the identity recogniser: nobody's name, phone, e-mail, ID or credit code."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.models import (
    ChecklistItem,
    DemonstrationSite,
    FindingEvidence,
    OpennessCampaign,
    OpennessFinding,
)
from casework.models import Case
from casework.selectors import departments_of
from casework.services import case_open_from_finding
from complaints.models import Category, Channel
from complaints.uploads import PreparedUpload
from core.deadlines import deadline_create, deadline_meet
from core.errors import InvalidTransition, actor_user
from core.masking import identity_validate
from core.models import Deadline
from core.outbox import outbox_enqueue, render_email
from liaison.models import Department

RECTIFICATION_DEADLINE_KIND = "openness_rectification"
RECORD_PERMISSION = "appraisal.record_openness_finding"
DECIDE_PERMISSION = "appraisal.decide_openness_rectification"
PORTAL_PERMISSION = "liaison.access_department_portal"
CASE_PERMISSION = "casework.handle_case"

R = OpennessFinding.Result
S = OpennessFinding.Status
AWAITING_UNIT = (S.OPEN, S.RETURNED)


def _has(actor, permission: str) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and actor.has_perm(permission))


def finding_answerable(finding: OpennessFinding) -> bool:
    return finding.status in AWAITING_UNIT


def finding_case_description(finding: OpennessFinding) -> str:
    campaign = finding.campaign
    return _(
        "Openness check “%(campaign)s” (%(method)s): serious failure at %(unit)s on “%(item)s” "
        "(%(criterion)s). %(note)s"
    ) % {
        "campaign": campaign.title,
        "method": campaign.get_method_display(),
        "unit": finding.department,
        "item": finding.item.text,
        "criterion": finding.get_criterion_display(),
        "note": finding.note,
    }


def _store_evidence(
    finding: OpennessFinding, uploads: Sequence[PreparedUpload], written: list[str]
) -> list[FindingEvidence]:
    rows = []
    for upload in uploads:
        name = default_storage.save(upload.storage_name, ContentFile(upload.content))
        written.append(name)
        rows.append(
            FindingEvidence(
                finding=finding,
                file=name,
                display_name=upload.display_name,
                content_type=upload.content_type,
                size=upload.size,
                sha256=upload.sha256,
            )
        )
    return FindingEvidence.objects.bulk_create(rows)


@transaction.atomic
def finding_record(
    *,
    campaign: OpennessCampaign,
    department: Department,
    item: ChecklistItem,
    result: str,
    note: str = "",
    uploads: Sequence[PreparedUpload] = (),
    actor,
) -> OpennessFinding:
    """Record what the inspectors found on ``item`` at ``department``; a failed item goes on the
    ladder with a rectification deadline, a serious failure also opens a case."""
    if not _has(actor, RECORD_PERMISSION):
        raise PermissionDenied
    if result not in R.values:
        raise ValidationError({"result": _("Choose pass, fail or serious failure.")})
    if result == R.SERIOUS and not _has(actor, CASE_PERMISSION):
        raise ValidationError(
            {"result": _("A serious failure opens a case: only a case handler can record one.")}
        )
    if item.campaign_id != campaign.pk:
        raise ValidationError({"item": _("This checklist item belongs to another campaign.")})
    if not campaign.units.filter(pk=department.pk).exists():
        raise ValidationError({"department": _("This unit is not among the units this campaign checks.")})
    note = (note or "").strip()
    if result != R.PASS and not note:
        raise ValidationError({"note": _("Say what was found: the unit reads it and must rectify it.")})
    # The unit reads the note on its portal and in the e-mail.
    identity_validate(note, field="note")
    now = timezone.now()
    try:
        with transaction.atomic():
            finding = OpennessFinding.objects.create(
                campaign=campaign,
                department=department,
                item=item,
                criterion=item.criterion,
                result=result,
                note=note,
                recorded_at=now,
                recorded_by=actor_user(actor),
                status=S.NONE if result == R.PASS else S.OPEN,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"item": _("A finding on this item at this unit is already recorded in this campaign.")}
        ) from exc
    written: list[str] = []
    try:
        _store_evidence(finding, uploads, written)
        if result != R.PASS:
            _rectification_start(finding, actor)
    except BaseException:
        # The transaction rolls back: no file may stay behind that nothing points to.
        for name in written:
            default_storage.delete(name)
        raise
    return finding


def _rectification_start(finding: OpennessFinding, actor) -> None:
    finding.deadline = deadline_create(
        subject=finding,
        kind=RECTIFICATION_DEADLINE_KIND,
        start_date=timezone.localdate(finding.recorded_at),
        working_days=settings.OPENNESS_RECTIFICATION_WORKING_DAYS,
    )
    update = ["deadline"]
    if finding.result == R.SERIOUS:
        finding.case = _open_case(finding, actor)
        update.append("case")
    finding.save(update_fields=update)
    _notify(finding, "notice")


def _open_case(finding: OpennessFinding, actor) -> Case:
    return case_open_from_finding(
        department=finding.department,
        category=Category.OPENNESS,
        description=finding_case_description(finding),
        occurred_on=timezone.localdate(finding.recorded_at),
        channel=Channel.OPENNESS_CHECK,
        source=_("Openness check “%(campaign)s”: %(unit)s, %(criterion)s")
        % {
            "campaign": finding.campaign.title,
            "unit": finding.department,
            "criterion": finding.get_criterion_display(),
        },
        actor=actor,
    )


def _locked(finding: OpennessFinding) -> OpennessFinding:
    return (
        OpennessFinding.objects.select_for_update(of=("self",))
        .select_related("deadline", "campaign", "department", "item")
        .get(pk=finding.pk)
    )


@transaction.atomic
def finding_answer(*, finding: OpennessFinding, rectification: str, actor) -> OpennessFinding:
    """The unit says how it rectified the failed item; its deadline is met."""
    if not (_has(actor, PORTAL_PERMISSION) and finding.department_id in departments_of(actor)):
        raise PermissionDenied
    rectification = (rectification or "").strip()
    if not rectification:
        raise ValidationError({"rectification": _("Say what your unit did to rectify this item.")})
    finding = _locked(finding)
    if not finding_answerable(finding):
        raise InvalidTransition(
            _("This finding is %(status)s: it cannot be answered now.")
            % {"status": finding.get_status_display()}
        )
    now = timezone.now()
    finding.status, finding.rectification = S.ANSWERED, rectification
    finding.answered_at, finding.answered_by = now, actor_user(actor)
    finding.save(update_fields=["status", "rectification", "answered_at", "answered_by"])
    if finding.deadline and finding.deadline.status == Deadline.Status.OPEN:
        deadline_meet(deadline=finding.deadline, at=now)
    return finding


@transaction.atomic
def finding_accept(*, finding: OpennessFinding, actor) -> OpennessFinding:
    """The commission accepts the unit's rectification."""
    if not _has(actor, DECIDE_PERMISSION):
        raise PermissionDenied
    finding = _locked(finding)
    if finding.status != S.ANSWERED:
        raise InvalidTransition(
            _("Only an answered finding can be accepted; this one is %(status)s.")
            % {"status": finding.get_status_display()}
        )
    finding.status, finding.decided_at, finding.decided_by = S.ACCEPTED, timezone.now(), actor_user(actor)
    finding.save(update_fields=["status", "decided_at", "decided_by"])
    _notify(finding, "accepted")
    return finding


@transaction.atomic
def finding_return(*, finding: OpennessFinding, reason: str, actor) -> OpennessFinding:
    """The commission returns the rectification as insufficient: a new deadline, one round more."""
    if not _has(actor, DECIDE_PERMISSION):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the rectification is returned: the unit reads this.")})
    identity_validate(reason, field="reason")
    finding = _locked(finding)
    if finding.status != S.ANSWERED:
        raise InvalidTransition(
            _("Only an answered finding can be returned; this one is %(status)s.")
            % {"status": finding.get_status_display()}
        )
    now = timezone.now()
    previous_round = finding.deadline.round if finding.deadline else 0
    finding.deadline = deadline_create(
        subject=finding,
        kind=RECTIFICATION_DEADLINE_KIND,
        start_date=timezone.localdate(now),
        working_days=settings.OPENNESS_RECTIFICATION_WORKING_DAYS,
        round=previous_round + 1,
    )
    finding.status, finding.return_reason = S.RETURNED, reason
    finding.decided_at, finding.decided_by = now, actor_user(actor)
    finding.save(update_fields=["status", "return_reason", "deadline", "decided_at", "decided_by"])
    _notify(finding, "returned")
    return finding


def _notify(finding: OpennessFinding, notice: str) -> None:
    """One e-mail to the unit (templates/email/openness_finding_<notice>.*), in its language."""
    finding = OpennessFinding.objects.select_related("department", "campaign", "item", "deadline").get(
        pk=finding.pk
    )
    department = finding.department
    language = department.language or settings.LANGUAGE_CODE
    context = {
        "finding": finding,
        "campaign": finding.campaign,
        "department": department,
        "portal_url": settings.SITE_URL + reverse("openness_dept:detail", args=[finding.pk]),
    }
    subject, text, html = render_email(f"email/openness_finding_{notice}", context, language=language)
    round_ = finding.deadline.round if finding.deadline else 0
    outbox_enqueue(
        key=f"openness-finding-{notice}:{finding.pk}:{round_}",
        kind=f"openness_finding_{notice}",
        to=[department.email],
        subject=subject,
        text=text,
        html=html,
        language=language,
        related=f"openness finding {finding.pk}",
    )


# --- Demonstration sites (示范点) ---------------------------------------------------------------


@transaction.atomic
def demonstration_site_mark(
    *, campaign: OpennessCampaign, department: Department, citation: str, actor
) -> DemonstrationSite:
    """Mark ``department`` a demonstration site of ``campaign``; the citation is public."""
    if not _has(actor, DECIDE_PERMISSION):
        raise PermissionDenied
    citation = (citation or "").strip()
    if not citation:
        raise ValidationError({"citation": _("Say why this unit leads: the public reads this.")})
    identity_validate(citation, field="citation")
    if not campaign.units.filter(pk=department.pk).exists():
        raise ValidationError({"department": _("This unit is not among the units this campaign checks.")})
    try:
        with transaction.atomic():
            return DemonstrationSite.objects.create(
                campaign=campaign,
                department=department,
                citation=citation,
                designated_on=timezone.localdate(),
                designated_by=actor_user(actor),
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"department": _("This unit is already a demonstration site of this campaign.")}
        ) from exc


@transaction.atomic
def demonstration_site_unmark(*, site: DemonstrationSite, actor) -> None:
    if not _has(actor, DECIDE_PERMISSION):
        raise PermissionDenied
    DemonstrationSite.objects.filter(pk=site.pk).delete()


__all__ = [
    "AWAITING_UNIT",
    "RECTIFICATION_DEADLINE_KIND",
    "demonstration_site_mark",
    "demonstration_site_unmark",
    "finding_accept",
    "finding_answer",
    "finding_answerable",
    "finding_case_description",
    "finding_record",
    "finding_return",
]
