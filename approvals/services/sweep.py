"""The daily sweep of undecided approvals: the prompt (DUE_SOON) the working day before the
promised limit, OVERDUE once it has passed. Set-based: the same few statements whatever the
number of records (signals.signals_run), over the pending records due by the prompt's day only
(the partial index approvalrecord_pending_due); prompts of records decided since are cleared."""

from __future__ import annotations

import datetime as dt

from approvals.models import ApprovalRecord
from approvals.services.signals import ALL_RECORDS, Scope, signals_run


def _pending_due_by(_today: dt.date, prompt_until: dt.date) -> Scope:
    return Scope({"decision": ApprovalRecord.Decision.PENDING, "due_on__lte": prompt_until})


def signals_sweep(*, now: dt.datetime | None = None) -> int:
    """Raise the day's DUE_SOON and OVERDUE signals of pending records; the number raised.
    Safe to run twice a day: the second run raises nothing."""
    return signals_run(_pending_due_by, now=now, every_rule=False, clear_scope=ALL_RECORDS)


__all__ = ["signals_sweep"]
