"""Intake: what a complainant said, kept apart from who they are.

A complaint's content is immutable once filed; what comes later is appended
(supplements, public updates, a rating). The complainant's identity lives in its own
table so that it can be masked by role, and an anonymous complaint has no identity row
at all.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.validators import CreditCodeValidator
from liaison.models import Association, Department, LiaisonPoint, Supervisor

REFERENCE_PREFIX = "TS"


def reference_for(pk: int | None, year: int | None) -> str:
    return f"{REFERENCE_PREFIX}{year or 0:04d}-{pk or 0:06d}"


def reference_to_pk(text: str) -> int | None:
    """TS2026-000123 (or 2026-123, or 123) -> 123; None when it is not a reference."""
    text = text.strip().upper().removeprefix(REFERENCE_PREFIX)
    number = text.rsplit("-", 1)[-1]
    return int(number) if number.isdigit() and len(number) <= 12 else None


class Category(models.TextChoices):
    POLICY = "policy", _("Policy not implemented")
    PERMITS = "permits", _("Administrative approval: too many, complex or slow permits")
    CHARGES = "charges", _("Arbitrary charges")
    FINES = "fines", _("Arbitrary fines")
    LEVIES = "levies", _("Arbitrary levies")
    INSPECTIONS = "inspections", _("Arbitrary, repeated or cross inspections")
    INACTION = "inaction", _("Inaction")
    MISCONDUCT = "misconduct", _("Misconduct")
    CORRUPTION = "corruption", _("Corruption (demands for favours)")
    HARM = "harm", _("Harm to enterprise interests")
    CONDUCT = "conduct", _("Conduct: hard to reach, rude, obstructive or slow")
    TRAINING = "training", _("Forced training, appraisals or awards")
    ASSOCIATIONS = "associations", _("Trade associations or intermediaries: forced services or fees")
    OPENNESS = "openness", _("Government openness")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    HOTLINE = "hotline", _("Hotline")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit in person")
    EMAIL = "email", _("E-mail")
    LIAISON_POINT = "liaison_point", _("SME liaison point")
    SUPERVISOR = "supervisor", _("Enterprise supervisor")
    UNANNOUNCED_VISIT = "unannounced_visit", _("Unannounced-visit finding")
    MEDIA = "media", _("Online or media")
    HIGHER_AUTHORITY = "higher_authority", _("Referred by a higher authority")
    INSPECTION = "inspection", _("Inspection supervision")
    APPROVAL = "approval", _("Electronic supervision of approvals")
    CONDUCT_HOTLINE = "conduct_hotline", _("Conduct hotline")
    OPENNESS_CHECK = "openness_check", _("Openness check finding")
    ACTIVITY_FILING = "activity_filing", _("Training and award filings")


class ComplainantType(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL = "individual", _("Individual")


class PublicStatus(models.TextChoices):
    """What the complainant sees on the tracking page."""

    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Accepted")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    HANDLING = "handling", _("Being handled")
    CONCLUDED = "concluded", _("Concluded")


class Complaint(TimeStampedModel):
    CONTENT_FIELDS = (
        "channel",
        "complainant_type",
        "is_anonymous",
        "department",
        "department_text",
        "association",
        "category",
        "occurred_on",
        "occurred_place",
        "description",
        "desired_outcome",
        "received_at",
    )

    tracking_hash = models.CharField(max_length=64, unique=True, editable=False)
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB, db_index=True
    )
    source = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        help_text=_(
            "Who passed it on: the hotline operator, the letter's "
            "reference, the higher authority's document number."
        ),
    )
    complainant_type = models.CharField(_("complainant"), max_length=12, choices=ComplainantType.choices)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("unit complained about"),
    )
    department_text = models.CharField(_("unit complained about (as written)"), max_length=200, blank=True)
    # A complaint about a trade association or intermediary (category ASSOCIATIONS) names it here;
    # the unit complained about is then its supervising department unless another was chosen.
    association = models.ForeignKey(
        Association,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("association or intermediary"),
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, db_index=True)
    occurred_on = models.DateField(_("when it happened"), null=True, blank=True)
    occurred_place = models.CharField(_("where it happened"), max_length=200, blank=True)
    description = models.TextField(_("what happened"))
    desired_outcome = models.TextField(_("outcome wanted"), blank=True)
    # What the complainant wrote (description, outcome, place) as staff without the identity
    # permission read it: redacted once at filing. Their searches look here, so a search can
    # only find what they may read (never a complaint by its complainant's phone or name).
    # Not content: `manage.py complaints_mask_refresh` rewrites it after the recogniser improves.
    masked_text = models.TextField(_("text without identity"), blank=True, db_default="", editable=False)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PublicStatus.choices, default=PublicStatus.RECEIVED, db_index=True
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints_filed",
        verbose_name=_("recorded by"),
    )
    liaison_point = models.ForeignKey(
        LiaisonPoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        verbose_name=_("liaison point"),
    )
    supervisor = models.ForeignKey(
        Supervisor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        verbose_name=_("supervisor"),
    )
    # Democratic appraisal (民主评议): the complainant agreed to be invited once the case is closed.
    appraisal_consent = models.BooleanField(
        _("may be invited to the democratic appraisal"), default=False, db_default=False
    )
    # Retention (casework.retention): set when the identity was deleted and the texts redacted.
    personal_data_purged_at = models.DateTimeField(
        _("personal data purged at"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["department", "-received_at"], name="complaint_dept_received"),
            models.Index(fields=["status", "-received_at"], name="complaint_status_received"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=False) | ~Q(department_text=""), name="complaint_names_a_unit"
            ),
        ]
        permissions = [("view_complainant_identity", _("Can see who complained"))]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """The staff-facing reference, derived from the id (the tracking code is never stored)."""
        return reference_for(self.pk, self.received_at.year if self.received_at else None)

    _filed_content: dict | None = None

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remember the content as loaded (only the fields that were loaded: .only() stays cheap).
        instance._filed_content = instance._content()
        return instance

    def _content(self) -> dict:
        loaded = self.__dict__
        return {
            name: loaded[attname]
            for name in self.CONTENT_FIELDS
            if (attname := f"{name}_id" if name in ("department", "association") else name) in loaded
        }

    def save(self, *args, **kwargs):
        # Content is immutable once filed: what a complainant said is evidence.
        if self._filed_content is not None:
            current = self._content()
            if any(current.get(name) != value for name, value in self._filed_content.items()):
                raise ValueError(
                    "A filed complaint's content cannot be changed; append a supplement instead."
                )
        super().save(*args, **kwargs)
        self._filed_content = self._content()

    @property
    def unit_display(self) -> str:
        return str(self.department) if self.department_id else self.department_text


class ComplainantIdentity(models.Model):
    """Who complained. Never created for anonymous complaints; shown only with permission."""

    complaint = models.OneToOneField(
        Complaint, on_delete=models.CASCADE, related_name="identity", primary_key=True
    )
    enterprise_name = models.CharField(_("enterprise name"), max_length=200, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[CreditCodeValidator()]
    )
    contact_name = models.CharField(_("contact person"), max_length=60)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # The language the complaint was filed in: notices to the complainant are written in it.
    language = models.CharField(_("language"), max_length=10, blank=True, db_default="")

    class Meta:
        verbose_name = _("complainant identity")
        verbose_name_plural = _("complainant identities")
        constraints = [
            models.CheckConstraint(condition=~Q(phone="") | ~Q(email=""), name="identity_has_a_contact"),
        ]

    def __str__(self) -> str:
        return self.contact_name


class Supplement(models.Model):
    """Information added after filing, by the complainant (tracking page) or by staff."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="supplements")
    text = models.TextField(_("text"))
    from_complainant = models.BooleanField(_("from the complainant"), default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("supplement")
        verbose_name_plural = _("supplements")

    def __str__(self) -> str:
        return f"{self.complaint} + {self.created_at:%Y-%m-%d}"


class Message(models.Model):
    """A message between the complaint centre and the complainant, through the tracking code
    (GlobaLeaks' receipt): staff ask or inform from the case, the complainant reads and answers
    on the tracking page. Never released to a department."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="messages")
    from_complainant = models.BooleanField(_("from the complainant"))
    text = models.TextField(_("text"))
    # Internal: who wrote a staff message. Never shown on the tracking page.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["complaint", "created_at"], name="message_complaint_at")]

    def __str__(self) -> str:
        return f"{self.complaint} · {self.created_at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    """Evidence, stored under a random name in private storage with its metadata stripped."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    supplement = models.ForeignKey(
        Supplement, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), max_length=200)
    display_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.display_name


class PublicUpdate(models.Model):
    """One entry of the public timeline on the tracking page. Never internal notes or names."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="public_updates")
    status = models.CharField(_("status"), max_length=20, choices=PublicStatus.choices)
    text = models.TextField(_("text for the complainant"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    # Internal: who published the step. Never shown on the tracking page.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("public update")
        verbose_name_plural = _("public updates")

    def __str__(self) -> str:
        return f"{self.complaint}: {self.get_status_display()}"


class Rating(models.Model):
    """The complainant's satisfaction with the outcome (回访), given on the tracking page."""

    class Level(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASICALLY = "basically", _("Basically satisfied")
        UNSATISFIED = "unsatisfied", _("Unsatisfied")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="ratings")
    level = models.CharField(_("satisfaction"), max_length=12, choices=Level.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("rated at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self) -> str:
        return f"{self.complaint}: {self.get_level_display()}"


class IdentityView(models.Model):
    """A record of each time a staff member saw who complained (unmasked), or had it confirmed."""

    class Kind(models.TextChoices):
        VIEW = "view", _("saw it unmasked")
        # A member of staff without the permission typed a text naming the complainant and the
        # identity check refused it: the refusal confirms a guess as surely as a look would.
        CHECK = "check", _("had a guess confirmed by the identity check")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="identity_views")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("viewer")
    )
    viewed_at = models.DateTimeField(_("viewed at"), auto_now_add=True)
    kind = models.CharField(_("how"), max_length=10, choices=Kind.choices, default=Kind.VIEW)

    class Meta:
        ordering = ["-viewed_at"]
        verbose_name = _("view of a complainant's identity")
        verbose_name_plural = _("views of complainants' identities")

    def __str__(self) -> str:
        return f"{self.complaint} · {self.viewer}"


class MailboxMessage(models.Model):
    """One message read from the complaint mailbox, and what became of it (complaints/mailbox/).

    Its key (a hash of the Message-ID, or of the bytes when there is none) is unique: a message
    read twice (a crash between filing and moving it, two fetches at once) files one complaint.
    Every message that left the mailbox's inbox has a row here, so none is lost unseen: a failed
    one is in the failed folder and on this list. Sender and subject are the complainant's
    identity and words: masked for staff without the identity permission."""

    class Outcome(models.TextChoices):
        COMPLAINT = "complaint", _("filed as a complaint")
        DUPLICATE = "duplicate", _("duplicate of a message already read")
        AUTOMATIC = "automatic", _("automatic reply (not answered)")
        BOUNCE = "bounce", _("delivery failure report (not answered)")
        OVERSIZED = "oversized", _("too large (not downloaded)")
        FAILED = "failed", _("could not be filed")

    class Reply(models.TextChoices):
        NONE = "", _("none")
        QUEUED = "queued", _("tracking code sent")
        RATE_LIMITED = "rate_limited", _("not sent: too many replies to this sender")

    key = models.CharField(max_length=64, unique=True, editable=False)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True)
    raw_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, db_index=True)
    reason = models.TextField(_("details"), blank=True)
    complaint = models.ForeignKey(
        Complaint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailbox_messages",
        verbose_name=_("complaint"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("duplicate of"),
    )
    sender_email = models.CharField(_("sender's address"), max_length=320, blank=True)
    sender_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    # For the reply rate limit without reading addresses: HMAC of the address with the secret key.
    sender_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sent_at = models.DateTimeField(_("sent at (Date header)"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), auto_now_add=True, db_index=True)
    folder = models.CharField(_("moved to folder"), max_length=200, blank=True)
    moved_at = models.DateTimeField(_("moved at"), null=True, blank=True)
    reply = models.CharField(
        _("automatic reply"), max_length=12, choices=Reply.choices, blank=True, default=""
    )
    # [{"name": ..., "code": ..., "params": {...}}]: attachments the upload checks refused.
    refused_attachments = models.JSONField(_("refused attachments"), default=list, blank=True)
    handled_at = models.DateTimeField(_("dealt with at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("dealt with by"),
    )

    class Meta:
        ordering = ["-read_at", "-id"]
        verbose_name = _("message from the complaint mailbox")
        verbose_name_plural = _("messages from the complaint mailbox")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} · {self.read_at:%Y-%m-%d %H:%M}" if self.read_at else self.key
