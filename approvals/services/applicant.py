"""The applicant's side: an enterprise whose approval got a red signal may complain from it.

The record is found by the pair the applicant holds (the application number and its unified
social credit code) and only if a red signal was raised on it. The complaint filed is linked to
the record (record.complaints), a link the department never sees."""

from __future__ import annotations

from django.db import transaction

from approvals.models import ApprovalRecord, ApprovalSignal


def _normalised_code(value: str) -> str:
    return "".join((value or "").split()).upper()


def record_for_applicant(*, external_id: str, credit_code: str) -> ApprovalRecord | None:
    """The record of this application number and credit code with a red signal, or None: one
    query, whichever of the two is wrong (or both, or no red signal)."""
    external_id, credit_code = (external_id or "").strip(), _normalised_code(credit_code)
    if not external_id or not credit_code:
        return None
    return (
        ApprovalRecord.objects.select_related("item", "department")
        .filter(
            external_id=external_id,
            applicant_credit_code=credit_code,
            signals__colour=ApprovalSignal.Colour.RED,
        )
        .distinct()
        .first()
    )


def record_complaint_link(*, record: ApprovalRecord, complaint) -> None:
    """The applicant filed ``complaint`` from ``record``."""
    with transaction.atomic():
        record.complaints.add(complaint)


__all__ = ["record_complaint_link", "record_for_applicant"]
