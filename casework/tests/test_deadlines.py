"""Referral due dates follow the working-day calendar, and a calendar edit moves them on the record."""

import datetime

import pytest
from django.utils import timezone

from casework.models import CaseEvent
from casework.tests import factories
from core.calendar import calendar_day_set

pytestmark = pytest.mark.django_db


def test_a_referral_made_on_30_september_2026_is_due_on_13_october(monkeypatch):
    handler = factories.user("handler")
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 9, 30))
    case, referral = factories.referred_case(actor=handler, working_days=5)
    assert referral.due_date == datetime.date(2026, 10, 13)
    assert referral.deadline.due_date == referral.due_date


def test_a_new_holiday_moves_open_referrals_and_says_why_on_the_timeline(
    monkeypatch, django_capture_on_commit_callbacks
):
    handler = factories.user("handler")
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 11, 2))  # a Monday
    case, referral = factories.referred_case(actor=handler, working_days=5)
    assert referral.due_date == datetime.date(2026, 11, 9)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(
            date=datetime.date(2026, 11, 4), is_working_day=False, name="临时休假", actor=handler
        )
    referral.refresh_from_db()
    assert referral.due_date == datetime.date(2026, 11, 10)
    event = case.events.get(action=CaseEvent.Action.DEADLINE_CHANGED)
    assert "2026-11-09" in event.note and "2026-11-10" in event.note
