"""The e-mail addresses and names of an appraisal campaign's invitees (enterprises' addresses
pasted by staff, liaison points, supervisors, complainants of closed cases), purged
RETENTION_APPRAISAL_INVITATION_DAYS after the campaign closed (core.retention; registered by
AppraisalConfig.ready).

The free-text answers are redacted against the invitees first (``redact_text``, as the
department's view of them is): once the names and addresses are gone nothing could recognise
them in an answer any more. The invitation rows stay, with a placeholder address unique per row
(``invitation-<id>@purged.invalid``: RFC 2606's reserved domain), so the participation figures
(invited, answered) do not change."""

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from appraisal.campaigns.selectors import respondent_identities
from appraisal.models import AnswerItem, Campaign, Invitation
from core.masking import redact_text
from core.retention import RetentionKind, retention_kinds

PURGED_DOMAIN = "@purged.invalid"


def invitation_candidates(cutoff: dt.datetime):
    return (
        Invitation.objects.filter(
            campaign__status=Campaign.Status.CLOSED, campaign__closes_on__lt=cutoff.date()
        )
        .exclude(Q(email__endswith=PURGED_DOMAIN) & Q(name=""))
        .values_list("pk", flat=True)
        .order_by()
    )


def invitation_purge(ids: list[int], now: dt.datetime) -> dict:
    campaign_ids = set(Invitation.objects.filter(pk__in=ids).values_list("campaign_id", flat=True))
    redacted = []
    for campaign in Campaign.objects.filter(pk__in=campaign_ids):
        identities = respondent_identities(campaign)
        for item in AnswerItem.objects.filter(answer__campaign=campaign).exclude(text="").only("pk", "text"):
            text = redact_text(item.text, identities)
            if text != item.text:
                item.text = text
                redacted.append(item)
    if redacted:
        AnswerItem.objects.bulk_update(redacted, ["text"], batch_size=500)
    invitations = list(Invitation.objects.filter(pk__in=ids).only("pk"))
    for invitation in invitations:
        invitation.email, invitation.name = f"invitation-{invitation.pk}{PURGED_DOMAIN}", ""
    Invitation.objects.bulk_update(invitations, ["email", "name"], batch_size=500)
    return {"invitations_scrubbed": len(invitations), "answer_texts_redacted": len(redacted)}


def retention_kinds_register() -> None:
    retention_kinds.register(
        RetentionKind(
            name="appraisal_invitations",
            label=_("E-mail addresses and names of appraisal invitees"),
            setting="RETENTION_APPRAISAL_INVITATION_DAYS",
            unit="days",
            minimum=30,
            candidates=invitation_candidates,
            purge=invitation_purge,
            order=40,
        )
    )
