"""The commission's decisions on flagged inspections: approve, refuse, order a joint inspection or
dismiss. Each decision locks the flag and its inspection, moves the inspection as the table below
allows, and e-mails the department in its language (an outbox row in the same transaction)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import InvalidTransition, actor_user
from core.masking import identity_validate
from inspections.models import Inspection, InspectionFlag
from inspections.services.filing import inspection_notice_queue

DECIDE_PERMISSION = "inspections.decide_inspection"

APPROVE, REFUSE, JOINT, DISMISS = "approve", "refuse", "joint", "dismiss"
DECISIONS = {
    APPROVE: (InspectionFlag.Status.APPROVED, gettext_lazy("Approve")),
    REFUSE: (InspectionFlag.Status.REFUSED, gettext_lazy("Refuse the inspection")),
    JOINT: (InspectionFlag.Status.JOINT, gettext_lazy("Order a joint inspection")),
    DISMISS: (InspectionFlag.Status.DISMISSED, gettext_lazy("Dismiss the flag")),
}

S = Inspection.Status
# Where a decision may move an inspection from (the inspection is not yet on site).
BEFORE_ENTRY = (S.FILED, S.PENDING_APPROVAL, S.JOINT)
TRANSITIONS = {
    REFUSE: dict.fromkeys(BEFORE_ENTRY, S.REFUSED),
    JOINT: {S.FILED: S.JOINT, S.PENDING_APPROVAL: S.JOINT},
}


def flag_decision_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (_status, label) in DECISIONS.items()]


@transaction.atomic
def flag_decide(*, flag: InspectionFlag, decision: str, note: str, actor) -> InspectionFlag:
    """Decide an open flag. Approving the last open blocking flag releases the inspection (FILED);
    refusing refuses the inspection; ordering a joint inspection sets it to JOINT and tells both
    departments; dismissing closes a flag that holds nothing up. The department hears of each."""
    if not (getattr(actor, "is_authenticated", False) and actor.has_perm(DECIDE_PERMISSION)):
        raise PermissionDenied
    if decision not in DECISIONS:
        raise ValidationError({"decision": _("Choose approve, refuse, joint or dismiss.")})
    flag = InspectionFlag.objects.select_for_update().get(pk=flag.pk)
    inspection = (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("department", "enterprise")
        .get(pk=flag.inspection_id)
    )
    if flag.status != InspectionFlag.Status.OPEN:
        raise InvalidTransition(
            _("This flag has already been decided: %(status)s.") % {"status": flag.get_status_display()}
        )
    note = (note or "").strip()
    # The note is e-mailed to the department: like every text that leaves for one, it passes the
    # recogniser (nobody's phone, e-mail, ID or credit code in it).
    identity_validate(note, field="note")
    if decision in (REFUSE, JOINT) and not note:
        raise ValidationError({"note": _("Say why: the department reads this note.")})
    if decision == DISMISS and flag.blocking:
        raise ValidationError(
            {"decision": _("This flag holds the inspection: approve it or refuse the inspection.")}
        )
    moves = TRANSITIONS.get(decision)
    if moves is not None and inspection.status not in moves:
        raise InvalidTransition(
            _("The inspection is %(status)s: it can no longer be refused or merged; open a case instead.")
            % {"status": inspection.get_status_display()}
        )

    flag.status = DECISIONS[decision][0]
    flag.decided_at, flag.decided_by, flag.decision_note = timezone.now(), actor_user(actor), note
    flag.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])

    if moves is not None:
        inspection.status = moves[inspection.status]
        inspection.save(update_fields=["status", "updated_at"])
    elif decision == APPROVE and inspection.status == S.PENDING_APPROVAL:
        still_held = inspection.flags.filter(blocking=True, status=InspectionFlag.Status.OPEN).exists()
        if not still_held:
            inspection.status = S.FILED
            inspection.save(update_fields=["status", "updated_at"])

    # A low rating's flag is the commission's only: telling the department it was decided would
    # tell it which enterprise rated it low.
    hidden = flag.kind in InspectionFlag.HIDDEN_FROM_DEPARTMENTS
    told = [] if hidden else [(inspection.department, inspection)]
    if told and decision == JOINT and inspection.joint_with_id:
        other = Inspection.objects.select_related("department").get(pk=inspection.joint_with_id)
        if other.department_id != inspection.department_id:
            told.append((other.department, other))
    for department, own in told:
        inspection_notice_queue(
            inspection=inspection,
            department=department,
            notice="decided",
            key=f"{flag.pk}",
            context={"flag": flag, "decision": decision, "note": note},
            own=own,
        )
    return flag
