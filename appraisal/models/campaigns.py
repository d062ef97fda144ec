"""Democratic appraisal (民主评议, seed §三.6): campaigns, their questions, the invitations sent
to respondents and the answers they give.

The promise: nobody, staff included, can tell who answered what. An answer (``Answer`` and its
``AnswerItem`` rows) holds the campaign, the department appraised, the scores and the free text,
nothing else: no key to the invitation, no token, no e-mail, no time, and a random primary key
(UUID), so that neither its id order nor a timestamp can be laid beside the invitations. An
invitation only knows it was used (a boolean, no time of use). appraisal/tests/test_campaign_
unlinkability.py walks every table and column of the database to prove it."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from liaison.models import Department


def _public_key() -> str:
    return secrets.token_urlsafe(12)


class Campaign(models.Model):
    """One appraisal round: the departments appraised, the questionnaire, the period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    intro_zh = models.TextField(_("introduction (Chinese)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    starts_on = models.DateField(_("starts on"))
    closes_on = models.DateField(_("closes on"), help_text=_("The last day answers are accepted."))
    departments = models.ManyToManyField(
        Department, related_name="appraisal_campaigns", verbose_name=_("departments appraised")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    public_link_enabled = models.BooleanField(
        _("open public link"),
        default=False,
        help_text=_("Anyone with the campaign's public link may answer (rate-limited like the public form)."),
    )
    # Not a secret (it is published): it only keeps campaign ids out of public URLs.
    public_key = models.CharField(max_length=20, unique=True, default=_public_key, editable=False)
    reminder_working_days = models.PositiveSmallIntegerField(
        _("reminder (working days before closing)"), default=3
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("appraisal campaign")
        verbose_name_plural = _("appraisal campaigns")
        indexes = [models.Index(fields=["status", "closes_on"], name="appraisal_campaign_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("starts_on")), name="appraisal_campaign_period"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        if (get_language() or "").startswith("en") and self.title_en:
            return self.title_en
        return self.title_zh

    @property
    def intro(self) -> str:
        if (get_language() or "").startswith("en") and self.intro_en:
            return self.intro_en
        return self.intro_zh


class Question(models.Model):
    """One question, asked about each department appraised: a rating 1–5 or free text."""

    class Kind(models.TextChoices):
        RATING = "rating", _("Rating 1–5")
        TEXT = "text", _("Free text")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="questions", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.RATING)
    text_zh = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["campaign", "order", "id"]
        verbose_name = _("appraisal question")
        verbose_name_plural = _("appraisal questions")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        if (get_language() or "").startswith("en") and self.text_en:
            return self.text_en
        return self.text_zh


class Invitation(models.Model):
    """A respondent's one-time link. Only the HMAC of its secret is stored; ``used`` says it was
    used, never when (no time of use that could be matched to anything)."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        LIAISON_POINT = "liaison_point", _("Liaison point")
        SUPERVISOR = "supervisor", _("Supervisor")
        COMPLAINANT = "complainant", _("Complainant of a closed case")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("campaign")
    )
    kind = models.CharField(_("respondent"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"))
    language = models.CharField(
        _("e-mail language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    used = models.BooleanField(_("used"), default=False)
    reminded = models.BooleanField(_("reminded"), default=False)
    invited_on = models.DateField(_("invited on"))

    class Meta:
        ordering = ["campaign", "kind", "email"]
        verbose_name = _("appraisal invitation")
        verbose_name_plural = _("appraisal invitations")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "email"], name="appraisal_invitation_once")
        ]
        indexes = [models.Index(fields=["campaign", "used", "reminded"], name="appraisal_invitation_todo")]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.get_kind_display()}"


class Answer(models.Model):
    """One respondent's appraisal of one department in one campaign. Deliberately nothing else:
    see the module's docstring."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="answers", verbose_name=_("campaign")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="appraisal_answers", verbose_name=_("department")
    )

    class Meta:
        ordering = ["campaign", "department", "id"]
        verbose_name = _("appraisal answer")
        verbose_name_plural = _("appraisal answers")
        indexes = [models.Index(fields=["campaign", "department"], name="appraisal_answer_dept")]

    def __str__(self) -> str:
        return str(self.department)


class AnswerItem(models.Model):
    """The answer to one question: a score (rating questions) or a text (free-text questions)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answer_items")
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        ordering = ["answer", "question"]
        verbose_name = _("answer item")
        verbose_name_plural = _("answer items")
        constraints = [
            models.UniqueConstraint(fields=["answer", "question"], name="appraisal_item_once"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5), name="appraisal_item_score"
            ),
        ]

    def __str__(self) -> str:
        return str(self.question_id)
