"""The record of staff looks at who rated an inspection (InspectionRatingIdentityView), purged
after RETENTION_IDENTITY_VIEWS_YEARS like the looks at complainants' identities (core.retention;
registered by InspectionsConfig.ready). The ratings themselves hold no contact data: who rated is
the enterprise of the rated inspection, a record of the registry, and they stay (figures)."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from core.retention import RetentionKind, retention_kinds
from inspections.models import InspectionRatingIdentityView


def rating_view_candidates(cutoff: dt.datetime):
    return (
        InspectionRatingIdentityView.objects.filter(viewed_at__lt=cutoff)
        .values_list("pk", flat=True)
        .order_by()
    )


def rating_view_purge(ids: list[int], now: dt.datetime) -> dict:
    deleted, _per_model = InspectionRatingIdentityView.objects.filter(pk__in=ids).delete()
    return {"deleted": deleted}


def retention_kinds_register() -> None:
    retention_kinds.register(
        RetentionKind(
            name="rating_identity_views",
            label=_("Records of staff looks at who rated an inspection"),
            setting="RETENTION_IDENTITY_VIEWS_YEARS",
            unit="years",
            minimum=1,
            candidates=rating_view_candidates,
            purge=rating_view_purge,
            order=31,
        )
    )
