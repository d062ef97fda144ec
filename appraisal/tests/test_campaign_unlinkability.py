"""The appraisal's promise, proved on the real database: after invited respondents answer
through their one-time links, nothing stored (any table, any column, the session store, the
cache, the log) joins an answer to its respondent."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

import pytest
import redis
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from appraisal.campaigns.services import campaign_close
from appraisal.models import Answer, AnswerItem, Invitation
from appraisal.tests import campaign_factories as f
from core.models import OutboundEmail

ANSWER_TABLES = {"appraisal_answer", "appraisal_answeritem"}
ALLOWED_ANSWER_COLUMNS = {
    "appraisal_answer": {"id", "campaign_id", "department_id"},
    "appraisal_answeritem": {"id", "answer_id", "question_id", "score", "text"},
}


def _answer_as(token: str, body: dict) -> None:
    client = Client()
    opened = client.get(f"/appraisal/i/{token}/")
    assert opened.status_code == 302 and opened["Location"] == "/appraisal/answer/"
    sent = client.post("/appraisal/answer/", body)
    assert sent.status_code == 302, sent.content.decode()[:2000]
    assert sent["Location"] == "/appraisal/thanks/"


def _rows(table: str):
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        # The table names come from the database's own catalogue, quoted.
        cursor.execute(f"SELECT xmin::text, row_to_json(t)::text FROM {quoted} AS t")  # noqa: S608
        return cursor.fetchall()


@pytest.fixture
def answered(transactional_db, caplog):
    caplog.set_level(logging.DEBUG)
    departments = [f.complaint_factories.department(), f.complaint_factories.department()]
    campaign = f.campaign(departments=departments)
    # Invited and answering in an order that is not the e-mails' (the closing rewrite is then seen).
    emails = ["charlie@firm.example", "alpha@firm.example", "bravo@firm.example"]
    tokens = f.invite(campaign, emails)
    markers = {email: f"MARK{index}意见{index}" for index, email in enumerate(emails)}
    for index, email in enumerate(emails):
        _answer_as(
            tokens[email],
            f.form_post(
                campaign, {departments[0]: (index + 1, 5 - index, markers[email]), departments[1]: (3, 3, "")}
            ),
        )
    return campaign, emails, tokens, markers


def test_every_invitation_is_used_and_every_answer_stored(answered):
    campaign, emails, *_ = answered
    assert set(Invitation.objects.filter(campaign=campaign).values_list("used", flat=True)) == {True}
    assert Answer.objects.filter(campaign=campaign).count() == 6


def test_answer_tables_hold_only_campaign_department_and_content(answered):
    with connection.cursor() as cursor:
        for table, allowed in ALLOWED_ANSWER_COLUMNS.items():
            cursor.execute(
                "SELECT column_name, data_type, column_default, is_identity FROM information_schema.columns "
                "WHERE table_name = %s",
                [table],
            )
            columns = cursor.fetchall()
            assert {c[0] for c in columns} == allowed
            # No time of any kind, and no sequence whose order could be laid beside the invitations'.
            assert not [c for c in columns if "time" in c[1] or c[1] == "date"]
            assert not [c for c in columns if (c[2] or "").startswith("nextval") or c[3] == "YES"]
            id_type = next(c[1] for c in columns if c[0] == "id")
            assert id_type == "uuid"
        cursor.execute(
            "SELECT ccu.table_name FROM information_schema.table_constraints tc "
            "JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = ccu.constraint_name "
            "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_name IN %s",
            [tuple(ALLOWED_ANSWER_COLUMNS)],
        )
        targets = {row[0] for row in cursor.fetchall()}
    assert targets <= {"appraisal_campaign", "liaison_department", "appraisal_question", "appraisal_answer"}


def test_no_other_table_holds_anything_of_an_answer(answered):
    campaign, emails, tokens, markers = answered
    answer_values = {str(pk) for pk in Answer.objects.values_list("pk", flat=True)}
    answer_values |= {str(pk) for pk in AnswerItem.objects.values_list("pk", flat=True)}
    answer_values |= set(markers.values())
    checked = 0
    for table in connection.introspection.table_names():
        if table in ANSWER_TABLES:
            continue
        for _xmin, row in _rows(table):
            checked += 1
            leaked = [value for value in answer_values if value in row]
            assert not leaked, f"{table} holds {leaked}: {row[:300]}"
    assert checked > 50  # the walk really walked (roles, calendar, campaign, invitations, outbox…)


def test_answer_rows_hold_nothing_of_a_respondent(answered):
    campaign, emails, tokens, markers = answered
    respondent_values = set(emails) | set(tokens.values())
    respondent_values |= set(Invitation.objects.values_list("token_hash", flat=True))
    for table in ANSWER_TABLES:
        for _xmin, row in _rows(table):
            assert not [value for value in respondent_values if value in row], row


def test_no_answer_shares_a_transaction_with_an_invitation_or_an_email(answered):
    # The PostgreSQL transaction id that wrote a row (xmin) is readable by anyone who reads the
    # tables: an answer written in the transaction that marked the invitation used would join them.
    answer_xmins = {xmin for table in ANSWER_TABLES for xmin, _row in _rows(table)}
    other_xmins = {
        xmin
        for table in ("appraisal_invitation", "core_outboundemail", "django_session")
        for xmin, _row in _rows(table)
    }
    assert answer_xmins and not answer_xmins & other_xmins


def _ids_in_file_order(table: str, order: str) -> tuple[list, list]:
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id::text FROM {quoted} ORDER BY ctid")  # noqa: S608
        physical = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT id::text FROM {quoted} ORDER BY {order}")  # noqa: S608
        return physical, [row[0] for row in cursor.fetchall()]


def test_closing_rewrites_answers_and_invitations_in_an_order_that_says_nothing(answered):
    campaign, *_ = answered
    campaign_close(campaign=campaign, actor=None)
    physical, by_id = _ids_in_file_order("appraisal_answer", "id")
    assert physical == by_id  # random ids: not the order the answers came in
    physical, by_email = _ids_in_file_order("appraisal_invitation", "campaign_id, email")
    assert physical == by_email  # not the order the invitations were used


def test_sessions_cache_and_log_hold_no_token_and_no_answer(answered, caplog):
    campaign, emails, tokens, markers = answered
    secrets_ = set(tokens.values())
    for session in Session.objects.all():
        decoded = str(SessionStore().decode(session.session_data))
        assert "appraisal:invitation" not in decoded
        assert not [m for m in markers.values() if m in decoded]
    url = urlparse(
        settings.CACHES["default"]["LOCATION"]
        if isinstance(settings.CACHES["default"]["LOCATION"], str)
        else settings.CACHES["default"]["LOCATION"][0]
    )
    client = redis.Redis(
        host=url.hostname, port=url.port or 6379, db=int((url.path or "/0").lstrip("/") or 0)
    )
    for key in client.scan_iter(count=1000):
        text = key.decode(errors="replace")
        value = client.dump(key) or b""
        for secret in secrets_ | set(markers.values()) | set(emails):
            assert secret not in text and secret.encode() not in value
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not [secret for secret in secrets_ if secret in logged]


def test_the_invitation_e_mail_loses_its_link_once_sent(answered, smtp_server):
    from core.outbox import outbox_deliver

    email = OutboundEmail.objects.filter(kind="appraisal-invitation").first()
    assert "/appraisal/i/" in email.body_text
    assert outbox_deliver(email.pk) == "sent"
    email.refresh_from_db()
    assert "/appraisal/i/" not in email.body_text and "/appraisal/i/" not in email.body_html
