"""The case conditions the dashboard's figures (``reports.dashboard.figures``) and the dispatch
meeting's pack (``reports.ledger.pack``) share: accepted and concluded in a quarter, open and open
and late at a moment. Each is a ``Q`` over ``Case``, defined once; the sums kept as work happens
(``reports.live_sums``) count the same cases, and the tests compare the two.

Time is the Shanghai clock's: a quarter is ``[start, end)``; figures about open cases are taken at
the quarter's as-of moment (its end, or now while it runs).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from casework.models import Case, Referral
from core.periods import SHANGHAI, Period


def period_range(name: str, quarter: Period) -> dict:
    """Lookups for ``name`` falling in the quarter."""
    return {f"{name}__gte": quarter.start, f"{name}__lt": quarter.end}


def within(name: str, quarter: Period) -> Q:
    return Q(**period_range(name, quarter))


def case_accepted(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Accepted (受理): the case was opened in the quarter. A case opens when a complaint is
    accepted; duplicates merged into an existing case open none."""
    return within("opened_at", quarter)


def case_concluded(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Concluded (办结) in the quarter: the case's latest conclusion falls in it."""
    return Q(status=Case.Status.CONCLUDED) & within("closed_at", quarter)


def case_open(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Open at the as-of moment (end of quarter, or now): opened before it, not concluded by it."""
    moment = quarter.as_of(now)
    return Q(opened_at__lt=moment) & (Q(closed_at__isnull=True) | Q(closed_at__gte=moment))


def late_referrals_at(moment: dt.datetime) -> QuerySet[Referral]:
    """Referrals open at ``moment`` (sent before, not yet closed) with their due date passed: due
    before the Shanghai day of ``moment``. For now this is exactly the case list's "overdue" (an
    open referral due before today)."""
    day = moment.astimezone(SHANGHAI).date()
    return Referral.objects.filter(sent_at__lt=moment, due_date__lt=day).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=moment)
    )


def case_late_at(moment: dt.datetime) -> Q:
    """The case had a late referral at ``moment`` (``late_referrals_at``)."""
    # IN over an uncorrelated subquery, not EXISTS: PostgreSQL hashes the late referrals' cases
    # once instead of probing per open case (tens of thousands of them in a big commission).
    return Q(pk__in=late_referrals_at(moment).values("case_id"))


def case_open_late(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Open and late: open at the as-of moment with an open referral past its due date."""
    return case_open(quarter, now) & case_late_at(quarter.as_of(now))
