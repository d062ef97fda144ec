"""The demo story seeded on an awkward day (its own module: test_seed_demo keeps a seeded
database open for its whole module)."""

import datetime as dt

import pytest

from casework.models import CaseEvent
from complaints.models import Complaint, Rating
from core.periods import SHANGHAI
from envopt.setup.demo import demo_install
from envopt.setup.demo_complaints import demo_quarters


@pytest.mark.django_db
def test_the_story_holds_on_the_first_day_of_a_quarter():
    """Seeded on 1 April: the quarter in progress has hardly begun, and nothing is in the future."""
    now = dt.datetime(2026, 4, 1, 9, 30, tzinfo=SHANGHAI)
    counts = demo_install(now=now)
    assert counts["complaints"] >= 200 and counts["cases"] <= Complaint.objects.count()
    assert not Complaint.objects.filter(received_at__gt=now).exists()
    assert not CaseEvent.objects.filter(at__gt=now).exists()
    assert not Rating.objects.filter(created_at__gt=now).exists()
    first = demo_quarters(now.date())[0]
    assert first.label == "2025Q1" and Complaint.objects.filter(received_at__lt=first.end).exists()
