"""What casework does when the intake or the shared deadline mechanism reports something: each
receiver calls one service, which writes the timeline."""

from casework import services
from casework.models import Recommendation, Referral


def on_complaint_rated(sender, *, complaint, rating, **kwargs) -> None:
    services.case_rating_record(complaint=complaint, rating=rating)


def on_complaint_supplemented(sender, *, complaint, supplement, **kwargs) -> None:
    services.case_supplement_record(complaint=complaint, supplement=supplement)


def on_complaint_message_received(sender, *, complaint, message, **kwargs) -> None:
    services.case_message_received_record(complaint=complaint, message=message)


def on_referral_deadlines_recomputed(changes, reason: str) -> None:
    services.case_due_dates_sync(model=Referral, changes=changes, reason=reason)


def on_recommendation_deadlines_recomputed(changes, reason: str) -> None:
    services.case_due_dates_sync(model=Recommendation, changes=changes, reason=reason)
