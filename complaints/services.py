"""Every write of the intake app. Each runs in one transaction; e-mail goes out after commit."""

import logging
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints.models import (
    Attachment,
    Category,
    Channel,
    ComplainantIdentity,
    ComplainantType,
    Complaint,
    IdentityView,
    Message,
    PublicStatus,
    PublicUpdate,
    Rating,
    Supplement,
)
from complaints.signals import complaint_message_received, complaint_rated, complaint_supplemented
from complaints.tracking import tracking_code_generate, tracking_code_hash
from complaints.uploads import PreparedUpload
from core.masking import IDENTITY_FIELDS, redact_text
from core.outbox import outbox_enqueue, render_email
from liaison.models import Association, Department, LiaisonPoint, Supervisor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IdentityData:
    contact_name: str
    phone: str = ""
    email: str = ""
    enterprise_name: str = ""
    credit_code: str = ""


@dataclass(frozen=True)
class ComplaintData:
    complainant_type: str
    category: str
    description: str
    department: Department | None = None
    department_text: str = ""
    association: Association | None = None
    occurred_on: date | None = None
    occurred_place: str = ""
    desired_outcome: str = ""
    appraisal_consent: bool = False


@dataclass(frozen=True)
class SubmittedComplaint:
    complaint: Complaint
    tracking_code: str


@contextmanager
def _files_removed_on_error():
    """Collect the names of files written inside the block; delete them if the block fails.

    The database rolls back with the exception; without this the files would stay behind.
    """
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise


def _store_uploads(
    *,
    complaint: Complaint,
    uploads: list[PreparedUpload],
    written: list[str],
    supplement: Supplement | None = None,
    message: Message | None = None,
) -> list[Attachment]:
    rows = []
    for upload in uploads:
        name = default_storage.save(upload.storage_name, ContentFile(upload.content))
        written.append(name)
        rows.append(
            Attachment(
                complaint=complaint,
                supplement=supplement,
                message=message,
                file=name,
                display_name=upload.display_name,
                content_type=upload.content_type,
                size=upload.size,
                sha256=upload.sha256,
            )
        )
    return Attachment.objects.bulk_create(rows)


@transaction.atomic
def complaint_submit(
    *,
    data: ComplaintData,
    identity: IdentityData | None,
    uploads: list[PreparedUpload] = (),
    channel: str = Channel.WEB,
    source: str = "",
    actor=None,
    liaison_point: LiaisonPoint | None = None,
    supervisor: Supervisor | None = None,
    received_at: datetime | None = None,
    language: str | None = None,
    acknowledge: bool = True,
) -> SubmittedComplaint:
    """File a complaint from any channel and return it with its tracking code.

    ``identity=None`` means anonymous: no identity row is written at all, and the enterprise
    is not recorded either, since naming it would identify the complainant.

    A complaint about an association or intermediary goes to its supervising department when no
    unit was chosen (``complaint_route_to_supervisor``).

    ``acknowledge=False`` files it without e-mailing the tracking code (the complaint mailbox's
    limit on automatic replies to one sender).
    """
    data = complaint_route_to_supervisor(data)
    if data.department is None and not data.department_text.strip():
        raise ValidationError(
            _("Name the unit complained about, or describe it if you do not know its name."), code="no_unit"
        )
    if data.complainant_type not in ComplainantType.values:
        raise ValidationError(
            _("Choose whether you complain as an enterprise or as an individual."), code="no_complainant_type"
        )
    if identity is not None and not (identity.phone or identity.email):
        raise ValidationError(
            _("A real-name complaint needs a phone number or an e-mail address."), code="no_contact"
        )

    code = tracking_code_generate()
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    with _files_removed_on_error() as written:
        complaint = _complaint_create(
            code=code,
            data=data,
            identity=identity,
            uploads=uploads,
            written=written,
            channel=channel,
            source=source,
            actor=actor,
            liaison_point=liaison_point,
            supervisor=supervisor,
            received_at=received_at,
            language=language,
        )
    logger.info("complaint %s received via %s", complaint.reference, channel)

    if acknowledge and identity is not None and identity.email:
        complaint_acknowledgement_queue(
            complaint=complaint,
            tracking_code=code,
            email=identity.email,
            language=language,
        )
    return SubmittedComplaint(complaint=complaint, tracking_code=code)


def complaint_route_to_supervisor(data: ComplaintData) -> ComplaintData:
    """Seed §三.8: the commission coordinates with the departments that supervise associations
    and intermediaries. A complaint naming one is about category ASSOCIATIONS, and its unit
    complained about is the association's supervising department unless one was chosen."""
    if data.association is None:
        return data
    if data.category != Category.ASSOCIATIONS:
        raise ValidationError(
            _("An association or intermediary is named only for the category “%(category)s”.")
            % {"category": Category.ASSOCIATIONS.label},
            code="association_category",
        )
    if data.department is None:
        return replace(data, department=data.association.supervising_department)
    return data


def _complaint_create(
    *,
    code,
    data,
    identity,
    uploads,
    written,
    channel,
    source,
    actor,
    liaison_point,
    supervisor,
    received_at,
    language,
) -> Complaint:
    complaint = Complaint.objects.create(
        tracking_hash=tracking_code_hash(code),
        channel=channel,
        source=source,
        complainant_type=data.complainant_type,
        is_anonymous=identity is None,
        department=data.department,
        department_text=data.department_text.strip(),
        association=data.association,
        category=data.category,
        occurred_on=data.occurred_on,
        occurred_place=data.occurred_place,
        description=data.description,
        desired_outcome=data.desired_outcome,
        appraisal_consent=data.appraisal_consent and identity is not None,
        masked_text=complaint_masked_text(
            description=data.description,
            desired_outcome=data.desired_outcome,
            occurred_place=data.occurred_place,
            identity=identity,
        ),
        received_at=received_at or timezone.now(),
        filed_by=actor if getattr(actor, "is_authenticated", False) else None,
        liaison_point=liaison_point,
        supervisor=supervisor,
    )
    if identity is not None:
        ComplainantIdentity.objects.create(complaint=complaint, language=language, **identity.__dict__)
    PublicUpdate.objects.create(complaint=complaint, status=PublicStatus.RECEIVED)
    if uploads:
        _store_uploads(complaint=complaint, uploads=list(uploads), written=written)
    return complaint


def complaint_masked_text(*, description: str, desired_outcome: str, occurred_place: str, identity) -> str:
    """The complainant's words as staff without the identity permission read (and search) them:
    redacted over the complainant's own identity and every pattern anybody's identity has."""
    return redact_text(
        "\n".join(part for part in (description, desired_outcome, occurred_place) if part), identity
    )


def complaint_masked_text_refresh(*, batch_size: int = 2000) -> int:
    """Write every complaint's masked text again with the recogniser as it is now (after it
    learned a new way people write identity). Returns how many complaints changed."""
    changed = 0
    queryset = (
        Complaint.objects.select_related("identity")
        .only(
            "id",
            "is_anonymous",
            "description",
            "desired_outcome",
            "occurred_place",
            "masked_text",
            *(f"identity__{name}" for name in IDENTITY_FIELDS),
        )
        .order_by("pk")
    )
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last)[:batch_size])
        if not batch:
            return changed
        last = batch[-1].pk
        stale = []
        for complaint in batch:
            identity = None if complaint.is_anonymous else getattr(complaint, "identity", None)
            masked = complaint_masked_text(
                description=complaint.description,
                desired_outcome=complaint.desired_outcome,
                occurred_place=complaint.occurred_place,
                identity=identity,
            )
            if masked != complaint.masked_text:
                complaint.masked_text = masked
                stale.append(complaint)
        with transaction.atomic():
            Complaint.objects.bulk_update(stale, ["masked_text"])
        changed += len(stale)


def complaint_acknowledgement_queue(
    *, complaint: Complaint, tracking_code: str, email: str, language: str
) -> None:
    """Queue the tracking code to the complainant, in the language they used. The body carries a
    secret, so the outbox replaces it once sent."""
    context = {
        "complaint": complaint,
        "tracking_code": tracking_code,
        "track_url": f"{settings.SITE_URL}/complaints/track/",
    }
    subject, text, html = render_email("email/acknowledgement", context, language=language)
    outbox_enqueue(
        key=f"complaint-acknowledgement:{complaint.pk}",
        kind="acknowledgement",
        to=[email],
        subject=subject,
        text=text,
        html=html,
        language=language,
        related=complaint.reference,
        scrub_after_sending=True,
    )


@transaction.atomic
def complaint_supplement_add(
    *, complaint: Complaint, text: str, uploads: list[PreparedUpload] = (), actor=None
) -> Supplement:
    """Append information to a filed complaint; its original content never changes."""
    text = text.strip()
    if not text and not uploads:
        raise ValidationError(_("Write something or attach a file to add to your complaint."), code="empty")
    staff = getattr(actor, "is_authenticated", False)
    with _files_removed_on_error() as written:
        supplement = Supplement.objects.create(
            complaint=complaint, text=text, from_complainant=not staff, added_by=actor if staff else None
        )
        if uploads:
            _store_uploads(complaint=complaint, uploads=list(uploads), supplement=supplement, written=written)
    logger.info("supplement added to complaint %s", complaint.reference)
    complaint_supplemented.send(sender=Complaint, complaint=complaint, supplement=supplement)
    return supplement


@transaction.atomic
def complaint_status_publish(
    *, complaint: Complaint, status: str, text: str = "", actor=None
) -> PublicUpdate:
    """Record a step the complainant can see on the tracking page (called by casework), and tell a
    complainant who left an e-mail address when the complaint is accepted, not accepted or
    concluded."""
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    before = locked.status
    locked.status = complaint.status = status
    locked.save(update_fields=["status", "updated_at"])
    update = PublicUpdate.objects.create(
        complaint=locked,
        status=status,
        text=text,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if before == PublicStatus.RECEIVED and status in (PublicStatus.ACCEPTED, PublicStatus.HANDLING):
        # A complaint merged into a case already under way goes straight to "being handled".
        complaint_notice_queue(complaint=locked, notice=NOTICE_ACCEPTED, key=f"{locked.pk}")
    elif status == PublicStatus.NOT_ACCEPTED and before != status:
        complaint_notice_queue(
            complaint=locked, notice=NOTICE_NOT_ACCEPTED, key=f"{locked.pk}", context={"reason": text}
        )
    elif status == PublicStatus.CONCLUDED and before != status:
        # Once per conclusion: a reopened case concluded again is told again.
        conclusion = locked.public_updates.filter(status=PublicStatus.CONCLUDED).count()
        complaint_notice_queue(
            complaint=locked,
            notice=NOTICE_CONCLUDED,
            key=f"{locked.pk}:{conclusion}",
            context={"result": text},
        )
    return update


# --- Notices to the complainant -----------------------------------------------------------------
# E-mailed only to a complainant who filed under their real name and left an address, in the
# language they filed in. None carries the tracking code (whoever reads a forwarded e-mail would
# hold the complaint) and a message notice carries nothing of the case: "open your tracking page".

NOTICE_ACCEPTED = "accepted"
NOTICE_NOT_ACCEPTED = "not_accepted"
NOTICE_CONCLUDED = "concluded"
NOTICE_MESSAGE = "message"
NOTICES = (NOTICE_ACCEPTED, NOTICE_NOT_ACCEPTED, NOTICE_CONCLUDED, NOTICE_MESSAGE)


def complaint_notice_queue(*, complaint: Complaint, notice: str, key: str, context: dict | None = None):
    """Queue one notice to the complainant (templates/email/complaint_<notice>.*) under the outbox
    key ``complaint-<notice>:<key>`` (queued once however often it is asked); None when there is
    nobody to tell (anonymous, or no e-mail address) or it was queued before."""
    if notice not in NOTICES:
        raise ValueError(f"unknown notice {notice!r}")
    identity = (
        None
        if complaint.is_anonymous
        else ComplainantIdentity.objects.filter(complaint_id=complaint.pk).only("email", "language").first()
    )
    if identity is None or not identity.email:
        return None
    language = identity.language or settings.LANGUAGE_CODE
    context = {
        "complaint": complaint,
        "track_url": f"{settings.SITE_URL}{reverse('complaints:track')}",
        **(context or {}),
    }
    subject, text, html = render_email(f"email/complaint_{notice}", context, language=language)
    return outbox_enqueue(
        key=f"complaint-{notice}:{key}",
        kind=f"complaint_{notice}",
        to=[identity.email],
        subject=subject,
        text=text,
        html=html,
        language=language,
        related=complaint.reference,
    )


# --- Messages through the tracking code ---------------------------------------------------------


@transaction.atomic
def complaint_message_send(*, complaint: Complaint, text: str, actor) -> Message:
    """A message from the complaint centre to the complainant: a question or an update, read on
    the tracking page. Casework calls it from the case and puts it on the timeline. A complainant
    who left an e-mail address is told there is a new message, and nothing else."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the message to the complainant.")}, code="empty")
    message = Message.objects.create(
        complaint=complaint,
        from_complainant=False,
        text=text,
        author=actor if getattr(actor, "is_authenticated", False) else None,
    )
    complaint_notice_queue(complaint=complaint, notice=NOTICE_MESSAGE, key=f"{message.pk}")
    return message


@transaction.atomic
def complaint_message_reply(
    *, complaint: Complaint, text: str, uploads: list[PreparedUpload] = ()
) -> Message:
    """The complainant's message on the tracking page (text and files through the upload checks);
    casework hears of it through ``complaint_message_received``, in this transaction."""
    text = text.strip()
    if not text and not uploads:
        raise ValidationError({"text": _("Write your answer or attach a file.")}, code="empty")
    with _files_removed_on_error() as written:
        message = Message.objects.create(complaint=complaint, from_complainant=True, text=text)
        if uploads:
            _store_uploads(complaint=complaint, uploads=list(uploads), message=message, written=written)
    logger.info("message from the complainant of %s", complaint.reference)
    complaint_message_received.send(sender=Complaint, complaint=complaint, message=message)
    return message


def complaint_messages_mark_read(*, complaint: Complaint) -> int:
    """The centre's messages have been shown on the tracking page: mark them read (one statement)."""
    return Message.objects.filter(complaint=complaint, from_complainant=False, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def complaint_rate(*, complaint: Complaint, level: str, comment: str = "") -> Rating:
    """The complainant rates the outcome, once per conclusion."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status != PublicStatus.CONCLUDED:
        raise ValidationError(
            _("You can rate the outcome once your complaint has been concluded."), code="not_concluded"
        )
    concluded_at = (
        complaint.public_updates.filter(status=PublicStatus.CONCLUDED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if concluded_at is not None and complaint.ratings.filter(created_at__gte=concluded_at).exists():
        raise ValidationError(_("You have already rated this outcome."), code="already_rated")
    if level not in Rating.Level.values:
        raise ValidationError(_("Choose how satisfied you are."), code="invalid_level")
    rating = Rating.objects.create(complaint=complaint, level=level, comment=comment.strip())
    # Sent inside the transaction: a listener's timeline entry commits or rolls back with the rating.
    complaint_rated.send(sender=Complaint, complaint=complaint, rating=rating)
    return rating


def complaint_identity_view_record(*, complaint: Complaint, viewer) -> None:
    """Put on the record that this staff member has just seen who complained (unmasked)."""
    IdentityView.objects.create(complaint=complaint, viewer=viewer)


def complaint_identity_confirmation_record(*, complaint_ids: Iterable[int], actor) -> None:
    """Put on the record that the identity check has just refused a text this member of staff
    typed because it names these complaints' complainants. For staff without the permission
    that refusal answers "is it them?"; the record (beside every unmasked look, on the
    complaint's page) makes such probing visible to those who may see who complained."""
    complaint_ids = sorted(set(complaint_ids))
    if not complaint_ids or actor.has_perm("complaints.view_complainant_identity"):
        return
    IdentityView.objects.bulk_create(
        IdentityView(complaint_id=pk, viewer=actor, kind=IdentityView.Kind.CHECK) for pk in complaint_ids
    )
