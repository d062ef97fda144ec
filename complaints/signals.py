"""Signals the intake sends so that apps further down (casework) can react without the
intake importing them."""

from django.dispatch import Signal

# Sent after commit of a rating; kwargs: complaint, rating.
complaint_rated = Signal()
# Sent after a supplement is added; kwargs: complaint, supplement.
complaint_supplemented = Signal()
