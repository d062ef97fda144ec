"""Pages staff and leaders open all day, timed in-process through Django's test client.

Every request runs the whole stack but the socket: URL routing, middleware, the session, the
view, the template. The SQL statements of each request are counted; "constant" is checked by
asking for a late page (or a second department) and comparing the count with the first page's.
"""

from __future__ import annotations

import datetime as dt

from django.test import Client

from bench.database import tables_vacuum
from bench.measure import Goal, Result, timed
from casework.models import Case
from core.periods import Quarter
from reports.dashboard.live_services import compact_live_figures
from reports.dashboard.selectors import dashboard_report
from reports.live_models import LiveFigure

OPEN_STATUSES = ",".join(
    [Case.Status.ACCEPTED, Case.Status.HANDLING, Case.Status.REFERRED, Case.Status.REVIEWING]
)


def late(rows: int, per_page: int) -> int:
    """A page well into the list (the admin counts pages from 0): the 21st, or the last."""
    return max(0, min(20, (rows - 1) // per_page))


def _client(username: str) -> Client:
    from django.contrib.auth.models import User

    from core.twofactor_testing import client_session_verify

    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    # Staff pages stand behind the second factor: the session is marked verified as a
    # completed TOTP step leaves it, outside the clock.
    client_session_verify(client, user)
    return client


def _get(client: Client, url: str):
    def fetch():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    return fetch


def _page(context, key, label, client, url, *, goal, anchor="", compare_url: str = "") -> Result:
    samples, statements = timed(_get(client, url), repeat=context.repeat, warmup=2)
    result = Result(
        key=key,
        label=label,
        unit="ms",
        samples=samples,
        statements=statements,
        goal=goal,
        anchor=anchor,
        extra={"url": url},
    )
    if compare_url:
        _, other = timed(_get(client, compare_url), repeat=1, warmup=1)
        result.extra["compared_with"] = {"url": compare_url, "sql_statements": other[0]}
        result.checks["constant query count"] = other[0] == statements[0]
    return result


def _dashboard_compute(context, quarter: Quarter, goal: Goal) -> Result:
    """The dashboard's figures of the quarter in progress, read live (issue 17): the quarter, the
    previous one and the same quarter a year earlier, with the inspections, as every page reads
    them."""
    samples, statements = timed(lambda: dashboard_report(quarter), repeat=context.repeat)
    return Result(
        key="dashboard_compute",
        label="dashboard quarter, computed live (with the two compared with)",
        unit="ms",
        samples=samples,
        statements=statements,
        goal=goal,
    )


def _dispatch_pack(context, client, quarter: Quarter) -> Result:
    """The dispatch meeting's pack of the quarter in progress, as staff open it in the admin (each
    office's ledger tasks and case figures, the key departments, the overdue cases listed), for a
    meeting made for the run and deleted after it."""
    from django.contrib.auth.models import User

    from reports.models import DispatchMeeting

    meeting = DispatchMeeting.objects.create(
        quarter=quarter.label,
        scheduled_on=quarter.last_day,
        created_by=User.objects.get(username=context.dataset.admin_username),
    )
    try:
        return _page(
            context,
            "dispatch_pack",
            "dispatch meeting pack of the quarter in progress (admin page)",
            client,
            f"/admin/reports/dispatchmeeting/{meeting.pk}/pack/",
            goal=None,
        )
    finally:
        meeting.delete()


def run(context) -> list[Result]:
    dataset = context.dataset
    # As the beat jobs and autovacuum leave the dashboard's sums in production: the rows other
    # groups appended (the sweep's escalations) merged, the table's statistics fresh.
    compact_live_figures()
    tables_vacuum(LiveFigure)
    staff = _client(dataset.admin_username)
    leader = _client(dataset.leader_username)
    # A few department ids: the busiest unit, and a quieter one for the constant-count check.
    busiest = dataset.busiest_department_id
    quieter = next(pk for pk in reversed(dataset.department_ids) if pk != busiest)
    # The quarter in progress: its figures move all day (the previous quarter is read with it).
    today = dt.date.fromisoformat(dataset.today)
    quarter = Quarter.containing(dt.datetime(today.year, today.month, today.day, 12, tzinfo=dt.UTC))
    big = dataset.cases >= 1_000_000
    # Issue 17's goals: 100k, then a million.
    dashboard_goal, page_goal = (150, 100) if big else (50, 60)
    list_goal, api_goal = (40, 40) if big else (25, 20)
    open_count = Case.objects.exclude(status=Case.Status.CONCLUDED).count()
    referred_count = Case.objects.filter(status=Case.Status.REFERRED).count()
    results = [
        _page(
            context,
            "changelist_default",
            "admin case list, default view (newest first)",
            staff,
            "/admin/casework/case/",
            goal=Goal("<=", 50, "ms"),
            compare_url=f"/admin/casework/case/?p={late(Case.objects.count(), 50)}",
        ),
        _page(
            context,
            "changelist_open",
            "admin case list, open, newest first",
            staff,
            f"/admin/casework/case/?status__in={OPEN_STATUSES}",
            goal=Goal("<=", 50, "ms"),
            anchor="1,340 ms, 66 queries",
            compare_url=f"/admin/casework/case/?status__in={OPEN_STATUSES}&p={late(open_count, 50)}",
        ),
        _page(
            context,
            "changelist_filtered",
            "admin case list, department + status",
            staff,
            f"/admin/casework/case/?department__id__exact={busiest}&status__exact=referred",
            goal=Goal("<=", list_goal, "ms"),
            anchor="79 ms, 67 queries",
            compare_url=f"/admin/casework/case/?department__id__exact={quieter}&status__exact=referred",
        ),
        _page(
            context,
            "api_cases",
            "API /api/v1/cases/, first page, one filter",
            staff,
            "/api/v1/cases/?status=referred",
            goal=Goal("<=", api_goal, "ms"),
            compare_url=f"/api/v1/cases/?status=referred&page={late(referred_count, 25) + 1}",
        ),
        _page(
            context,
            "dashboard",
            "leaders' dashboard page, the quarter in progress (live figures)",
            leader,
            f"/dashboard/?quarter={quarter}",
            goal=Goal("<=", page_goal, "ms"),
        ),
        _dashboard_compute(context, quarter, Goal("<=", dashboard_goal, "ms")),
        _dispatch_pack(context, staff, quarter),
    ]
    if dataset.cases >= 1_000_000:
        results.append(
            _page(
                context,
                "changelist_1m",
                "admin case list at 1m, default view",
                staff,
                "/admin/casework/case/",
                goal=Goal("<=", 150, "ms"),
                compare_url=f"/admin/casework/case/?p={late(Case.objects.count(), 50)}",
            )
        )
    return results
