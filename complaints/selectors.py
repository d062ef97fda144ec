"""Shared reads of the intake app."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Attachment, ComplainantIdentity, Complaint, Message, PublicStatus
from complaints.tracking import tracking_code_hash
from core.calendar import add_working_days
from core.masking import redact_text

SIMILAR_WINDOW_DAYS = 90
SIMILAR_CANDIDATES = 500
SIMILAR_THRESHOLD = 0.2

IDENTITY_PERMISSION = "complaints.view_complainant_identity"
IDENTITY_FIELDS = ("contact_name", "phone", "email", "enterprise_name", "credit_code")


# --- The one masking rule of every staff-facing output ------------------------------------------


def identity_permitted(viewer) -> bool:
    """The viewer holds the identity permission (staff only): who complained, on any complaint.
    A look at one complaint may also be allowed by an approved request (see
    casework.selectors.identity_visible_to); this is the rule for everything else."""
    return bool(
        getattr(viewer, "is_authenticated", False)
        and viewer.is_staff
        and viewer.has_perm(IDENTITY_PERMISSION)
    )


def complaint_identity(complaint: Complaint) -> ComplainantIdentity | None:
    """The identity stored with a complaint; None for an anonymous one. Reads ``identity`` as
    loaded (select_related it for lists)."""
    if complaint.is_anonymous:
        return None
    return getattr(complaint, "identity", None)


def text_for_viewer(text: str, *, identity, can_see: bool) -> str:
    """Any text written by or about a complainant, as this viewer may read it: as written for a
    viewer who may see who complained, otherwise with the identity removed by
    core.masking.redact_text. ``identity`` is one ComplainantIdentity, several (a case with
    merged complaints) or None (anonymous: the phone numbers, e-mails, ID and credit codes any
    text may hold are removed all the same). The admin, the API, the similar-complaints panel and
    the exports all read complaint text through this."""
    if can_see or not text:
        return text
    return redact_text(text, identity)


def complaint_text_for_viewer(complaint: Complaint, field: str, *, can_see: bool) -> str:
    """``complaint.<field>`` (description, desired_outcome, occurred_place) as this viewer may
    read it; see text_for_viewer."""
    return text_for_viewer(getattr(complaint, field), identity=complaint_identity(complaint), can_see=can_see)


def complaint_by_tracking_code(code: str) -> Complaint | None:
    """One indexed look-up on the keyed hash; None for a malformed or unknown code."""
    digest = tracking_code_hash(code)
    if digest is None:
        return None
    return Complaint.objects.select_related("department").filter(tracking_hash=digest).first()


@dataclass(frozen=True)
class NextStep:
    """What happens next on the tracking page, and by when (a date in working days) if known."""

    text: str
    expected_on: date | None = None


class NextStepRegistry:
    """Casework registers here what it knows of a complaint's next step once the complaint is in
    a case (a referral's due date, a review's): the intake cannot import casework."""

    def __init__(self) -> None:
        self.provider: Callable[[Complaint], NextStep | None] | None = None

    def register(self, provider: Callable[[Complaint], NextStep | None]) -> None:
        self.provider = provider


next_step_providers = NextStepRegistry()


def acceptance_working_days() -> int:
    """Working days within which the centre decides whether to accept a complaint."""
    return getattr(settings, "INTAKE_ACCEPTANCE_DAYS", 5)


def complaint_next_step(complaint: Complaint, *, can_rate: bool = False) -> NextStep | None:
    """The next step the complainant can expect, with its expected date where there is one."""
    if complaint.status == PublicStatus.RECEIVED:
        days = acceptance_working_days()
        received_on = timezone.localdate(complaint.received_at)
        return NextStep(
            _("The complaint centre decides whether to accept your complaint, within %(days)s working days.")
            % {"days": days},
            add_working_days(received_on, days).due_date,
        )
    if complaint.status == PublicStatus.NOT_ACCEPTED:
        return None
    if complaint.status == PublicStatus.CONCLUDED:
        if can_rate:
            return NextStep(_("Tell us whether you are satisfied with the outcome (below)."))
        return None
    step = next_step_providers.provider(complaint) if next_step_providers.provider else None
    return step or NextStep(_("The complaint centre is handling your complaint."))


def complaint_public_timeline(complaint: Complaint) -> dict:
    """What the tracking page shows: the complainant's own submission with its files (names
    only), the public steps and the complainant's own additions merged in the order they
    happened, the next step, and the messages with the centre. A fixed number of queries."""
    updates = list(complaint.public_updates.all())
    supplements = list(complaint.supplements.filter(from_complainant=True).prefetch_related("attachments"))
    ratings = list(complaint.ratings.all())
    last_concluded = max((u.created_at for u in updates if u.status == PublicStatus.CONCLUDED), default=None)
    rated = last_concluded is not None and any(r.created_at >= last_concluded for r in ratings)
    entries = (
        [{"kind": "update", "at": u.created_at, "item": u} for u in updates]
        + [{"kind": "supplement", "at": s.created_at, "item": s} for s in supplements]
        + [{"kind": "rating", "at": r.created_at, "item": r} for r in ratings]
    )
    entries.sort(key=lambda entry: entry["at"])
    can_rate = complaint.status == PublicStatus.CONCLUDED and not rated
    # Names only: the files are never served to the public (the tracking code is no login).
    filed_files = list(
        Attachment.objects.filter(complaint=complaint, supplement__isnull=True, message__isnull=True).only(
            "display_name", "size", "complaint_id"
        )
    )
    thread = list(
        Message.objects.filter(complaint=complaint)
        .only("from_complainant", "text", "created_at", "read_at", "complaint_id")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.only("display_name", "message_id"))
        )
    )
    return {
        "entries": entries,
        "can_rate": can_rate,
        "filed_files": filed_files,
        "thread": thread,
        "unread": sum(1 for m in thread if not m.from_complainant and m.read_at is None),
        "next_step": complaint_next_step(complaint, can_rate=can_rate),
    }


def bigrams(text: str) -> set[str]:
    """Character bigrams of the text without spaces and punctuation: they work for Chinese,
    which has no word boundaries, and reasonably for other languages."""
    chars = [ch for ch in text.lower() if ch.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def similarity(a: set[str], b: set[str]) -> float:
    """Dice coefficient of two bigram sets, 0..1."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def complaint_similar(complaint: Complaint, *, limit: int = 10) -> list[tuple[Complaint, float]]:
    """Possibly related complaints: same unit within 90 days either side, scored by text."""
    if complaint.department_id is None and not complaint.department_text:
        return []
    window = timedelta(days=SIMILAR_WINDOW_DAYS)
    candidates: QuerySet[Complaint] = Complaint.objects.filter(
        received_at__gte=complaint.received_at - window,
        received_at__lte=complaint.received_at + window,
    ).exclude(pk=complaint.pk)
    if complaint.department_id:
        candidates = candidates.filter(department_id=complaint.department_id)
    else:
        candidates = candidates.filter(department__isnull=True, department_text=complaint.department_text)
    mine = bigrams(complaint.description)
    scored = []
    # With the fields that mask each one's text for a viewer (complaint_text_for_viewer).
    candidates = candidates.select_related("identity").only(
        "id",
        "received_at",
        "description",
        "category",
        "status",
        "is_anonymous",
        *(f"identity__{name}" for name in IDENTITY_FIELDS),
    )
    for other in candidates[:SIMILAR_CANDIDATES]:
        score = similarity(mine, bigrams(other.description))
        if score >= SIMILAR_THRESHOLD:
            scored.append((other, round(score, 2)))
    scored.sort(key=lambda pair: -pair[1])
    return scored[:limit]


def complaint_list_for_filer(user) -> QuerySet[Complaint]:
    """What a liaison point or supervisor filed: their own submissions and nothing else."""
    return Complaint.objects.filter(filed_by=user).select_related("department").order_by("-received_at")
