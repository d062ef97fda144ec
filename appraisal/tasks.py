"""The appraisal app's Celery tasks, one module per instrument; Celery's autodiscovery imports
this module, which registers them."""

from appraisal.campaigns.tasks import appraisal_sweep_task  # noqa: F401  (民主评议)
