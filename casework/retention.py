"""The complainants' personal data past its retention period (core.retention's kinds, registered
by CaseworkConfig.ready): casework is the lowest layer that knows when a complaint's case was
concluded, so the kinds of the complaints' data are defined here.

* ``complainant_identities`` (RETENTION_IDENTITY_YEARS): complaints whose case was concluded, or
  which were not accepted, more than N years ago. The identity row goes; before it goes, every
  free text of the complaint and of its case is redacted against the case's identities with the
  redaction that checks texts leaving for departments (``core.masking.redact_text``): the
  complaint as filed, supplements, messages, the rating's comment, the public updates, the case's
  title, findings, results, referrals, reports, reviews, recommendations, talks, identity and
  extension requests, the timeline's notes; e-mails sent to the complainant lose recipients and
  bodies. The complaint is marked purged (``personal_data_purged_at``): it is never a candidate
  again. The case, its timeline and every field a figure reads stay as they were.
* ``evidence_files`` (RETENTION_EVIDENCE_YEARS): the evidence files of the same complaints, the
  rows and the stored files.
"""

import datetime as dt
from collections import defaultdict

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from casework.models import (
    AccountabilityTalk,
    Case,
    CaseComplaint,
    CaseEvent,
    ExtensionRequest,
    HandlingReport,
    IdentityAccessRequest,
    Recommendation,
    Referral,
    Review,
)
from complaints.models import (
    Attachment,
    ComplainantIdentity,
    Complaint,
    Message,
    PublicStatus,
    PublicUpdate,
    Rating,
    Supplement,
)
from complaints.services import complaint_masked_text
from core.masking import redact_text
from core.models import OutboundAttachment, OutboundEmail
from core.retention import RetentionKind, retention_kinds

# The free texts of each model, redacted against the identities of the case (or complaint) they
# belong to, and the path from the model to the case or the complaint.
CASE_TEXTS = [
    (Case, "pk", ("title", "finding_note", "result_summary", "typical_summary")),
    (Referral, "case_id", ("instructions", "released_text")),
    (HandlingReport, "referral__case_id", ("facts", "measures")),
    (Review, "report__referral__case_id", ("reason",)),
    (Recommendation, "case_id", ("content", "basis", "reply", "return_reason")),
    (AccountabilityTalk, "cases", ("heads", "record", "commitments", "action_against_responsible")),
    (ExtensionRequest, "referral__case_id", ("reason", "decision_note")),
]
COMPLAINT_TEXTS = [
    (Supplement, "complaint_id", ("text",)),
    (Message, "complaint_id", ("text",)),
    (Rating, "complaint_id", ("comment",)),
    (PublicUpdate, "complaint_id", ("text",)),
    (Attachment, "complaint_id", ("display_name",)),
    (IdentityAccessRequest, "complaint_id", ("reason", "decision_note")),
]
COMPLAINT_CONTENT = ("description", "desired_outcome", "occurred_place")
_DONE = (OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED)


def complaints_closed_before(cutoff: dt.datetime) -> Q:
    """Complaints whose case was concluded before ``cutoff`` (a reopened case is not concluded),
    or which were not accepted before it."""
    not_accepted_before = Exists(
        PublicUpdate.objects.filter(
            complaint=OuterRef("pk"), status=PublicStatus.NOT_ACCEPTED, created_at__lt=cutoff
        )
    )
    return Q(case_link__case__status=Case.Status.CONCLUDED, case_link__case__closed_at__lt=cutoff) | Q(
        not_accepted_before, case_link__isnull=True, status=PublicStatus.NOT_ACCEPTED
    )


def identity_candidates(cutoff: dt.datetime):
    return (
        Complaint.objects.filter(complaints_closed_before(cutoff), personal_data_purged_at__isnull=True)
        .values_list("pk", flat=True)
        .order_by()
    )


def _redacted_rows(model, path: str, fields: tuple[str, ...], identities_of: dict[int, list]) -> int:
    """Redact ``fields`` of the rows of ``model`` whose ``path`` (the case's or complaint's id) is
    a key of ``identities_of``; one bulk UPDATE of the rows that changed. Returns their number.
    A row reached from several owners (a talk about several cases) is redacted against them all."""
    rows: dict[int, tuple[list, tuple]] = {}
    for pk, owner, *values in model.objects.filter(**{f"{path}__in": list(identities_of)}).values_list(
        "pk", path, *fields
    ):
        identities, _values = rows.setdefault(pk, ([], tuple(values)))
        identities.extend(identities_of[owner])
    changed = []
    for pk, (identities, values) in rows.items():
        row, dirty = model(pk=pk), False
        for name, value in zip(fields, values, strict=True):
            redacted = redact_text(value, identities) if value else value
            if redacted != value:
                dirty = True
                redacted = redacted[: model._meta.get_field(name).max_length or len(redacted)]
            setattr(row, name, redacted)
        if dirty:
            changed.append(row)
    if changed:
        model.objects.bulk_update(changed, fields, batch_size=500)
    return len(changed)


def _timeline_redacted(identities_of_case: dict[int, list]) -> int:
    """The timeline is append-only (a trigger refuses UPDATE): only its notes are rewritten, by
    plain SQL in a transaction that turned core.retention's purge flag on, which is the one
    exception the trigger makes (migration casework 0015)."""
    changed = []
    for pk, case_id, note in (
        CaseEvent.objects.filter(case_id__in=list(identities_of_case))
        .exclude(note="")
        .values_list("pk", "case_id", "note")
    ):
        redacted = redact_text(note, identities_of_case[case_id])
        if redacted != note:
            changed.append((redacted, pk))
    if changed:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {CaseEvent._meta.db_table} SET note = %s WHERE id = %s",  # noqa: S608
                changed,
            )
    return len(changed)


def identity_purge(ids: list[int], now: dt.datetime) -> dict:
    """Redact every free text of these complaints and their cases against the cases' identities,
    then delete the identities and mark the complaints purged (see the module docstring)."""
    # A case's complaints go together (merged ones too): the case's texts are redacted once,
    # against all of their identities.
    case_of = dict(CaseComplaint.objects.filter(complaint_id__in=ids).values_list("complaint_id", "case_id"))
    members = defaultdict(list)
    for complaint_id, case_id in CaseComplaint.objects.filter(case_id__in=set(case_of.values())).values_list(
        "complaint_id", "case_id"
    ):
        members[case_id].append(complaint_id)
    complaint_ids = set(ids) | {c for group in members.values() for c in group}
    complaints = list(
        Complaint.objects.select_for_update()
        .filter(pk__in=complaint_ids, personal_data_purged_at__isnull=True)
        .only("pk", "is_anonymous", "received_at", *COMPLAINT_CONTENT)
    )
    if not complaints:
        return {}
    complaint_ids = {complaint.pk for complaint in complaints}
    identity_of = {
        identity.complaint_id: identity
        for identity in ComplainantIdentity.objects.filter(complaint_id__in=complaint_ids)
    }
    case_identities = {
        case_id: [identity_of[c] for c in group if c in identity_of]
        for case_id, group in members.items()
        if complaint_ids.intersection(group)
    }
    # Every text of a complaint in a case is redacted against all the case's identities (the
    # complainant of a merged complaint may be named in another's messages).
    case_of_member = {c: case_id for case_id, group in members.items() for c in group}
    identities_of_complaint = {
        c: case_identities[case_of_member[c]]
        if c in case_of_member
        else [identity_of[c]]
        if c in identity_of
        else []
        for c in complaint_ids
    }

    counts = {"complaints": len(complaints)}
    texts = 0
    for complaint in complaints:
        identities = identities_of_complaint[complaint.pk]
        values = {name: getattr(complaint, name) for name in COMPLAINT_CONTENT}
        redacted = {
            name: redact_text(value, identities) if value else value for name, value in values.items()
        }
        redacted["occurred_place"] = redacted["occurred_place"][:200]
        masked = complaint_masked_text(identity=identities, **redacted)
        update = {name: value for name, value in redacted.items() if value != values[name]}
        texts += bool(update)
        # The content trigger lets these three texts change only under the purge flag; the
        # model's save() would refuse them, so this is a queryset update.
        Complaint.objects.filter(pk=complaint.pk).update(
            masked_text=masked, personal_data_purged_at=now, **update
        )
    counts["complaint_texts_redacted"] = texts

    rows = 0
    for model, path, fields in COMPLAINT_TEXTS:
        rows += _redacted_rows(model, path, fields, identities_of_complaint)
    for model, path, fields in CASE_TEXTS:
        rows += _redacted_rows(model, path, fields, case_identities)
    counts["texts_redacted"] = rows
    counts["timeline_notes_redacted"] = _timeline_redacted(case_identities)

    # E-mails sent to the complainant (acknowledgement, notices) name their address.
    references = [complaint.reference for complaint in complaints]
    sent = OutboundEmail.objects.filter(related__in=references, status__in=_DONE).exclude(to=[])
    sent_ids = list(sent.values_list("pk", flat=True))
    OutboundAttachment.objects.filter(email_id__in=sent_ids).delete()
    counts["emails_scrubbed"] = OutboundEmail.objects.filter(pk__in=sent_ids).update(
        to=[], body_text="", body_html="", context=None, last_error=""
    )
    deleted, _per_model = ComplainantIdentity.objects.filter(complaint_id__in=complaint_ids).delete()
    counts["identities_deleted"] = deleted
    return counts


def evidence_candidates(cutoff: dt.datetime):
    return (
        Attachment.objects.filter(
            complaint__in=Complaint.objects.filter(complaints_closed_before(cutoff)).values("pk")
        )
        .values_list("pk", flat=True)
        .order_by()
    )


def evidence_purge(ids: list[int], now: dt.datetime) -> dict:
    """The rows go in this transaction; core.retention deletes the stored files after commit."""
    names = list(Attachment.objects.filter(pk__in=ids).values_list("file", flat=True))
    deleted, _per_model = Attachment.objects.filter(pk__in=ids).delete()
    return {"attachments_deleted": deleted, "_files": [name for name in names if name]}


def retention_kinds_register() -> None:
    retention_kinds.register(
        RetentionKind(
            name="complainant_identities",
            label=_("Complainants' identities, and identity in the texts of their complaints and cases"),
            setting="RETENTION_IDENTITY_YEARS",
            unit="years",
            minimum=1,
            candidates=identity_candidates,
            purge=identity_purge,
            order=10,
        )
    )
    retention_kinds.register(
        RetentionKind(
            name="evidence_files",
            label=_("Complainants' evidence files"),
            setting="RETENTION_EVIDENCE_YEARS",
            unit="years",
            minimum=1,
            candidates=evidence_candidates,
            purge=evidence_purge,
            order=20,
        )
    )
