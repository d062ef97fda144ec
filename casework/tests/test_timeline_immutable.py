"""The case timeline cannot be rewritten, not even with raw SQL: a PostgreSQL trigger refuses
every UPDATE and DELETE of casework_caseevent (migration 0010), and the ORM refuses to delete
what the timeline names (a case, the acting user) instead of cascading into it.

The trigger tests need PostgreSQL and skip on SQLite (the embedded demo database), as the
complaints' trigger test does; under ENVOPT_REQUIRE_SERVICES=1 the session refuses to start
on anything but PostgreSQL, so CI cannot pass them by skipping."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from casework import services
from casework.models import Case, CaseEvent
from casework.tests import factories

pytestmark = pytest.mark.django_db

REFUSED = "cannot be changed or deleted"
TABLE = CaseEvent._meta.db_table


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the trigger backstop exists on PostgreSQL only (SQLite is the embedded demo database)")


@pytest.fixture
def event() -> CaseEvent:
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    return case.events.get()


def run(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_raw_update_of_an_event_is_refused_by_the_database(postgresql, event):
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        run(f"UPDATE {TABLE} SET note = %s WHERE id = %s", ["rewritten", event.pk])  # noqa: S608
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        run(f"UPDATE {TABLE} SET actor_id = NULL WHERE case_id = %s", [event.case_id])  # noqa: S608

    event.refresh_from_db()
    assert event.note != "rewritten" and event.actor_id is not None


def test_a_raw_delete_of_an_event_is_refused_by_the_database(postgresql, event):
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        run(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])  # noqa: S608

    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_the_base_manager_bypassing_the_queryset_guard_is_refused_too(postgresql, event):
    # _base_manager is a plain Manager: what Django's own cascades and related updates use.
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        CaseEvent._base_manager.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        CaseEvent._base_manager.filter(pk=event.pk)._raw_delete(connection.alias)


def test_events_are_still_appended_by_insert(postgresql, event):
    run(
        f"INSERT INTO {TABLE} (case_id, at, action, from_status, to_status, note) "  # noqa: S608
        "VALUES (%s, now(), %s, '', '', %s)",
        [event.case_id, CaseEvent.Action.NOTE, "raw insert"],
    )
    services.case_events_add_many([(event.case_id, "bulk insert")], action=CaseEvent.Action.NOTE)

    assert list(
        CaseEvent.objects.filter(case_id=event.case_id).order_by("id").values_list("note", flat=True)
    ) == [
        event.note,
        "raw insert",
        "bulk insert",
    ]


def test_a_truncate_still_empties_the_table_as_test_flushes_do(postgresql, event):
    # pytest-django's transactional tests empty tables with TRUNCATE, which row triggers do not see.
    with transaction.atomic():
        run("SET CONSTRAINTS ALL IMMEDIATE", [])  # a deferred foreign-key check pending blocks TRUNCATE
        run(f"TRUNCATE {TABLE}", [])
        assert not CaseEvent.objects.exists()
        transaction.set_rollback(True)

    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_a_case_with_a_timeline_cannot_be_deleted(event):
    with pytest.raises(ProtectedError):
        Case.objects.get(pk=event.case_id).delete()

    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_a_user_named_on_a_timeline_cannot_be_deleted(event):
    with pytest.raises(ProtectedError):
        event.actor.delete()

    event.refresh_from_db()
    assert event.actor_id is not None
