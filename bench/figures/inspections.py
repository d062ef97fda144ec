"""Inspections of enterprises (issue 14), timed in-process like the pages: filing one inspection
with every rule evaluated (the service, as the filing page and the API call it), the admin's list
of flagged inspections, and the enterprise's own page (/e/own/, reached through its private link).

The filing's statements must not depend on the data: every run files a new inspection of the
same enterprise, which trips every rule each time (cap, cross, repeated, no-disturbance), and
the count of each run is compared."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from bench.figures.pages import _client, _get, _page, late
from bench.measure import Goal, Result, timed
from core.models import OutboundEmail
from inspections.models import InspectingUnit, Inspection, InspectionFlag, InspectionItem
from inspections.services.filing import inspection_file
from liaison.models import Department, Enterprise

OFFICERS = [{"name": "王执法", "certificate": "ZF-0001"}, {"name": "李执法", "certificate": "ZF-0002"}]


def _filing(context) -> Result:
    dataset = context.dataset
    department = Department.objects.get(pk=dataset.filing_department_id)
    unit = InspectingUnit.objects.get(department=department)
    items = list(InspectionItem.objects.filter(department=department).order_by("code")[:2])
    enterprise = Enterprise.objects.get(pk=dataset.filing_enterprise_id)
    today = dt.date.fromisoformat(dataset.today)
    state = {}

    def setup():
        # As a request would: the user loaded afresh (its permissions not cached yet).
        state["actor"] = User.objects.get(username=dataset.inspector_username)

    def file():
        inspection = inspection_file(
            department=department,
            unit=unit,
            enterprise=enterprise,
            items=items,
            kind="routine",
            legal_basis="",
            planned_on=today + dt.timedelta(days=5),
            officers=OFFICERS,
            actor=state["actor"],
        )
        state["last"] = inspection
        state.setdefault("filed", []).append(inspection.pk)

    samples, statements = timed(file, repeat=max(context.repeat, 5), warmup=2, setup=setup)
    every_rule = {
        InspectionFlag.Kind.OVER_CAP,
        InspectionFlag.Kind.CROSS,
        InspectionFlag.Kind.REPEATED,
        InspectionFlag.Kind.NO_DISTURBANCE,
    }
    kinds = set(InspectionFlag.objects.filter(inspection=state["last"]).values_list("kind", flat=True))
    _forget(state["filed"])
    result = Result(
        key="inspection_filing",
        label="filing one inspection, all rules evaluated",
        unit="ms",
        samples=samples,
        statements=statements,
        goal=Goal("<=", 20, "ms"),
    )
    result.checks["constant query count"] = len(set(statements)) == 1
    result.checks["every rule raised its flag"] = kinds == every_rule
    return result


def _forget(inspection_ids: list[int]) -> None:
    """Delete what the timed filings wrote (the inspections with their items and flags, their
    e-mails), so that a run on a kept database (``--reuse``) finds the data as loaded: the same
    cap count, the same cross candidates, the same earlier items."""
    with transaction.atomic():
        OutboundEmail.objects.filter(related__in=[f"inspection {pk}" for pk in inspection_ids]).delete()
        Inspection.objects.filter(pk__in=inspection_ids).delete()


def _enterprise_page(context) -> Result:
    client = Client()
    opened = client.get(f"/e/own/{context.dataset.enterprise_secret}/")
    if opened.status_code != 302:
        raise RuntimeError(f"the enterprise's private link answered {opened.status_code}")
    samples, statements = timed(_get(client, "/e/own/"), repeat=context.repeat, warmup=2)
    return Result(
        key="enterprise_page",
        label="enterprise's own page /e/own/ (its inspections)",
        unit="ms",
        samples=samples,
        statements=statements,
        goal=Goal("<=", 30, "ms"),
        extra={"url": "/e/own/"},
    )


def run(context) -> list[Result]:
    staff = _client(context.dataset.admin_username)
    # The list shows the open flags by default: the late page is one of those.
    flagged = InspectionFlag.objects.filter(status=InspectionFlag.Status.OPEN).count()
    return [
        _filing(context),
        _page(
            context,
            "inspection_flags",
            "admin list of flagged inspections",
            staff,
            "/admin/inspections/inspectionflag/",
            goal=Goal("<=", 50, "ms"),
            compare_url=f"/admin/inspections/inspectionflag/?p={late(flagged, 25)}",
        ),
        _enterprise_page(context),
    ]
