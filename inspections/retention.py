"""The record of staff looks at who rated an inspection (InspectionRatingIdentityView), purged
after RETENTION_IDENTITY_VIEWS_YEARS like the looks at complainants' identities (core.retention;
registered by InspectionsConfig.ready). The ratings themselves hold no contact data: who rated is
the enterprise of the rated inspection, a record of the registry, and they stay (figures)."""

from django.utils.translation import gettext_lazy as _

from core.retention import RetentionKind, retention_kinds, rows_deleted_when_old
from inspections.models import InspectionRatingIdentityView


def retention_kinds_register() -> None:
    candidates, purge = rows_deleted_when_old(InspectionRatingIdentityView, "viewed_at")
    retention_kinds.register(
        RetentionKind(
            name="rating_identity_views",
            label=_("Records of staff looks at who rated an inspection"),
            setting="RETENTION_IDENTITY_VIEWS_YEARS",
            unit="years",
            minimum=1,
            candidates=candidates,
            purge=purge,
            order=31,
        )
    )
