"""The record of staff looks at complainants' identities (IdentityView), a kind of personal data
of the staff who looked, purged after RETENTION_IDENTITY_VIEWS_YEARS (core.retention; registered
by ComplaintsConfig.ready)."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from complaints.models import IdentityView
from core.retention import RetentionKind, retention_kinds


def identity_view_candidates(cutoff: dt.datetime):
    return IdentityView.objects.filter(viewed_at__lt=cutoff).values_list("pk", flat=True).order_by()


def identity_view_purge(ids: list[int], now: dt.datetime) -> dict:
    deleted, _per_model = IdentityView.objects.filter(pk__in=ids).delete()
    return {"deleted": deleted}


def retention_kinds_register() -> None:
    retention_kinds.register(
        RetentionKind(
            name="identity_views",
            label=_("Records of staff looks at complainants' identities"),
            setting="RETENTION_IDENTITY_VIEWS_YEARS",
            unit="years",
            minimum=1,
            candidates=identity_view_candidates,
            purge=identity_view_purge,
            order=30,
        )
    )
