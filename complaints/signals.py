"""Signals the intake sends so that apps further down (casework) can react without the
intake importing them."""

from django.dispatch import Signal

# Sent inside the rating's transaction; kwargs: complaint, rating.
complaint_rated = Signal()
# Sent inside the supplement's transaction; kwargs: complaint, supplement.
complaint_supplemented = Signal()
