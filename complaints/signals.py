"""Signals the intake sends so that apps further down (casework) can react without the
intake importing them."""

from django.dispatch import Signal

# Sent inside the rating's transaction; kwargs: complaint, rating.
complaint_rated = Signal()
# Sent inside the supplement's transaction; kwargs: complaint, supplement.
complaint_supplemented = Signal()
# Sent inside the transaction of the complainant's answer on the tracking page; kwargs:
# complaint, message. Casework puts it on the case's timeline and tells the handler.
complaint_message_received = Signal()
