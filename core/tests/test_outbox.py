"""The outbox hands its committed rows to the sending tasks CoreConfig.ready registered with it
(core/tasks.py is above the outbox, which never imports it). Celery runs the tasks in this
process here (task_always_eager, Celery's own execution); tests/test_outbox_delivery.py takes
the same path through the broker to a real worker."""

import pytest
from django.db import transaction

from core.models import OutboundEmail
from core.outbox import outbox_enqueue, outbox_enqueue_many, outbox_tasks
from core.tasks import outbox_send, outbox_send_batch
from envopt.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks_run_here():
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = False


def test_the_sending_tasks_are_registered_with_the_outbox():
    assert (outbox_tasks.send, outbox_tasks.send_batch) == (outbox_send, outbox_send_batch)


def test_a_committed_row_is_sent_by_the_registered_task(
    smtp_server, tasks_run_here, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email = outbox_enqueue(key="one", kind="test", to=["a@example.com"], subject="One", text="t")
        assert smtp_server.messages == []  # nothing leaves before the commit
    assert [m["Subject"] for m in smtp_server.messages] == ["One"]
    assert OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.SENT


def test_rows_queued_together_are_sent_by_the_registered_batch_task(
    smtp_server, tasks_run_here, django_capture_on_commit_callbacks
):
    emails = [
        {"key": f"many-{i}", "kind": "test", "to": [f"{i}@example.com"], "subject": f"S{i}", "text": "t"}
        for i in range(3)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        queued = outbox_enqueue_many(emails)
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["S0", "S1", "S2"]
    assert set(OutboundEmail.objects.filter(pk__in=queued.values()).values_list("status", flat=True)) == {
        OutboundEmail.Status.SENT
    }


def test_rows_queued_one_by_one_in_a_transaction_are_handed_over_together(
    smtp_server, tasks_run_here, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        first = outbox_enqueue(key="one-a", kind="test", to=["a@example.com"], subject="A", text="t")
        second = outbox_enqueue(key="one-b", kind="test", to=["b@example.com"], subject="B", text="t")
        assert smtp_server.messages == []
    # One hand-off to the broker for the transaction, not one per e-mail; each still sent once.
    assert len(callbacks) == 1
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["A", "B"]
    assert set(
        OutboundEmail.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {OutboundEmail.Status.SENT}


def test_a_row_of_a_rolled_back_savepoint_is_not_handed_over(
    smtp_server, tasks_run_here, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        kept = outbox_enqueue(key="kept", kind="test", to=["a@example.com"], subject="Kept", text="t")
        with pytest.raises(RuntimeError), transaction.atomic():
            lost = outbox_enqueue(key="lost", kind="test", to=["b@example.com"], subject="Lost", text="t")
            raise RuntimeError
        after = outbox_enqueue(key="after", kind="test", to=["c@example.com"], subject="After", text="t")
    assert [callback.email_ids for callback in callbacks] == [[kept.pk, after.pk]]
    assert lost.pk not in callbacks[0].email_ids
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["After", "Kept"]
    assert not OutboundEmail.objects.filter(key="lost").exists()
