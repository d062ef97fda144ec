"""The record of staff looks at complainants' identities (IdentityView), a kind of personal data
of the staff who looked, purged after RETENTION_IDENTITY_VIEWS_YEARS (core.retention; registered
by ComplaintsConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from complaints.models import IdentityView
from core.retention import RetentionKind, retention_kinds, rows_deleted_when_old


def retention_kinds_register() -> None:
    candidates, purge = rows_deleted_when_old(IdentityView, "viewed_at")
    retention_kinds.register(
        RetentionKind(
            name="identity_views",
            label=_("Records of staff looks at complainants' identities"),
            setting="RETENTION_IDENTITY_VIEWS_YEARS",
            unit="years",
            minimum=1,
            candidates=candidates,
            purge=purge,
            order=30,
        )
    )
