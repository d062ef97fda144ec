"""core's own kinds of personal data for the purge (core.retention): the bodies and recipients of
e-mails sent long ago, and django-axes' records of logins and failed logins. Registered by
CoreConfig.ready(), like the kinds of the apps above."""

import datetime as dt

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.utils.translation import gettext_lazy as _

from core.models import OutboundAttachment, OutboundEmail
from core.retention import RetentionKind, retention_kinds, rows_deleted_when_old

# A row that is still to be sent (or being sent) keeps its recipients and body: only what the
# outbox is done with is purged.
_DONE = (OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED)


def outbox_candidates(cutoff: dt.datetime):
    return (
        OutboundEmail.objects.filter(status__in=_DONE, created_at__lt=cutoff)
        .exclude(to=[])
        .values_list("pk", flat=True)
    )


def outbox_purge(ids: list[int], now: dt.datetime) -> dict:
    """Recipients, bodies, the template's context (names, codes) and attachments go; the kind,
    subject, the reference it was about, its status and times stay (the delivery record)."""
    attachments, _per_model = OutboundAttachment.objects.filter(email_id__in=ids).delete()
    scrubbed = OutboundEmail.objects.filter(pk__in=ids).update(
        to=[], body_text="", body_html="", context=None, last_error=""
    )
    return {"emails_scrubbed": scrubbed, "attachments_deleted": attachments}


def retention_kinds_register() -> None:
    retention_kinds.register(
        RetentionKind(
            name="outbox_sent_emails",
            label=_("Recipients and bodies of e-mails sent or given up"),
            setting="RETENTION_OUTBOX_DAYS",
            unit="days",
            minimum=30,
            candidates=outbox_candidates,
            purge=outbox_purge,
            order=60,
        )
    )
    for name, label, model in (
        ("login_records", _("Records of staff logins (django-axes)"), AccessLog),
        ("login_failures", _("Records of failed logins (django-axes)"), AccessFailureLog),
        ("login_attempts", _("Counters of failed logins (django-axes)"), AccessAttempt),
    ):
        candidates, purge = rows_deleted_when_old(model, "attempt_time")
        retention_kinds.register(
            RetentionKind(
                name=name,
                label=label,
                setting="RETENTION_LOGIN_RECORDS_DAYS",
                unit="days",
                minimum=30,
                candidates=candidates,
                purge=purge,
                order=70,
            )
        )
