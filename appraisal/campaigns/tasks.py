"""The appraisal's daily sweep as a Celery task (thin, safe to run twice): reminders to
non-respondents N working days before closing, and campaigns closed on their date."""

from celery import shared_task

from appraisal.campaigns.services import appraisal_sweep


@shared_task(acks_late=True)
def appraisal_sweep_task() -> dict[str, int]:
    """Remind and close; returns {"reminded": n, "closed": n}."""
    return appraisal_sweep()
