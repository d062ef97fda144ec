"""The reports app's admin: each sub-package registers its own models on import."""

from reports.dashboard import assessment_admin  # noqa: F401
from reports.ledger import admin as ledger_admin  # noqa: F401
from reports.notifications import admin as notification_admin  # noqa: F401
