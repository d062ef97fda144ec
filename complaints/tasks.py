"""Celery wrappers of the intake's services: thin, and safe to run twice."""

from celery import shared_task

from complaints.mailbox.services import mailbox_fetch


@shared_task(acks_late=True, ignore_result=True)
def complaint_mailbox_fetch() -> dict[str, int]:
    """Read the complaint mailbox (beat, every few minutes); nothing when no host is set. Two runs
    at once file each message once (its record's key is unique)."""
    return mailbox_fetch()
