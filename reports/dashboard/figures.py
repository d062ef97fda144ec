"""The figures of the leaders' dashboard and of the public figures page, each defined once.

A figure is a condition (a ``Q``) over one model for one quarter, optionally narrowed to one
department, category or channel:

* case figures are over ``Case``; the admin case list filtered by casework's ``FigureFilter``
  applies the very same ``Q`` to ``case_list()`` (it asks ``figure_drilldown`` below, which
  ``figure_drilldowns_register`` hands to casework when the app is ready);
* complaint figures are over ``Complaint``; ``ComplaintFigureFilter`` does the same on the
  complaint list;
* record figures are over the records they count (recommendations, accountability talks, the
  liaison log); their admin lists are filtered by plain date lookups meaning the same instants
  (``Figure.admin_lookups``), so they need no filter class.

The dashboard counts with these conditions (``Count("pk", filter=…)``), so what it counts is
exactly what a drill-down lists.

Time. A quarter is ``[start, end)`` on the Shanghai clock, whatever the server's time zone: a
case opened at 23:30 on 30 September Beijing time is a Q3 case, one opened at 00:10 on
1 October a Q4 case. Figures about the state of open cases are taken at the quarter's *as-of*
moment: its end for a quarter that is over, now for the quarter in progress.

Departments. The department of a figure is the unit complained about (``Case.department``,
``Complaint.department``); ``department=none`` selects complaints and cases naming a unit that
is not in the directory.

Counts come from current records: a case concluded, reopened and concluded again counts once,
in the quarter of its latest conclusion; escalation levels are the highest step reached to date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import DateField, Exists, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import Exact, LessThan
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from casework.figures import CASE, COMPLAINT, DIMENSIONS, NONE, figure_drilldowns
from casework.models import AccountabilityTalk, Case, Recommendation, Referral, Review
from complaints.models import Category, Channel, Complaint, Rating
from core.periods import SHANGHAI, Period, Quarter
from liaison.models import Department, LiaisonVisit
from reports.case_conditions import (
    case_accepted,
    case_concluded,
    case_late_at,
    case_open,
    case_open_late,
    period_range,
    within,
)

RECOMMENDATION, TALK, LIAISON = "recommendation", "talk", "liaison"


# --- Conditions -------------------------------------------------------------------------------


def case_active(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Handled in the quarter: opened before its end and not concluded before its start."""
    return Q(opened_at__lt=quarter.end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=quarter.start))


def _concluded_after_due_date() -> Q:
    """The case was concluded after the last due date of its referrals (on the Shanghai clock:
    a due date ends at midnight ending that day). A case never referred has no due date."""
    # The latest due date, per case: one index probe, made only for the rows a figure's cheaper
    # conditions (concluded, in the quarter) let through. Never referred: no due date, never late.
    last_due = (
        Referral.objects.filter(case=OuterRef("pk"), due_date__isnull=False)
        .order_by()
        .values("case")
        .annotate(last=Max("due_date"))
        .values("last")
    )
    no_due_date = Value(dt.date.max, output_field=DateField())
    closed_day = TruncDate("closed_at", tzinfo=SHANGHAI)
    return Q(LessThan(Coalesce(Subquery(last_due, output_field=DateField()), no_due_date), closed_day))


def case_concluded_late(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Concluded late: concluded in the quarter on a day after the latest due date of any of its
    referrals (the due date in force at the end, after any return for re-investigation)."""
    return case_concluded(quarter) & _concluded_after_due_date()


def case_concluded_on_time(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Concluded on time: concluded in the quarter on or before the latest due date of its
    referrals. Cases the centre handled itself from the start have no due date in the system and
    count as on time."""
    return case_concluded(quarter) & ~_concluded_after_due_date()


def case_open_in_time(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Open and in time: open at the as-of moment with no open referral past its due date."""
    return case_open(quarter, now) & ~case_late_at(quarter.as_of(now))


def _disposition(*values: str) -> Callable[[Period, dt.datetime | None], Q]:
    def condition(quarter: Period, now: dt.datetime | None = None) -> Q:
        return case_accepted(quarter) & Q(disposition__in=values)

    return condition


def case_returned(quarter: Period, now: dt.datetime | None = None) -> Q:
    """A handling report of the case was returned for re-investigation (退回重新调查处理) in the
    quarter. Counted per case: a case with two returns in the quarter counts once."""
    returns = Review.objects.filter(decision=Review.Decision.RETURN, **period_range("reviewed_at", quarter))
    return Q(pk__in=returns.values("report__referral__case_id"))


def _escalated(level: int) -> Callable[[Period, dt.datetime | None], Q]:
    def condition(quarter: Period, now: dt.datetime | None = None) -> Q:
        return case_active(quarter) & Q(escalation_level=level)

    return condition


def case_escalated(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Handled in the quarter and escalated at least to the reminder (the level reached to date)."""
    return case_active(quarter) & Q(escalation_level__gte=1)


def complaint_received(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Received in the quarter (the time the commission received it, not when it was typed in)."""
    return within("received_at", quarter)


LIAISON_CHANNELS = (Channel.LIAISON_POINT, Channel.SUPERVISOR)


def complaint_via_liaison(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Received in the quarter through an SME liaison point or an enterprise supervisor."""
    return complaint_received(quarter) & Q(channel__in=LIAISON_CHANNELS)


def _ratings_in(quarter: Period):
    return Rating.objects.filter(complaint=OuterRef("pk"), **period_range("created_at", quarter))


def complaint_rated(quarter: Period, now: dt.datetime | None = None) -> Q:
    """The complainant rated the outcome (回访) in the quarter."""
    return Q(Exists(_ratings_in(quarter)))


def latest_rating_level(quarter: Period) -> Subquery:
    """The level of the complaint's latest rating made in the quarter (NULL when none)."""
    return Subquery(_ratings_in(quarter).order_by("-created_at", "-id").values("level")[:1])


def _rated(level: str) -> Callable[[Period, dt.datetime | None], Q]:
    def condition(quarter: Period, now: dt.datetime | None = None) -> Q:
        # A complaint rated twice in the quarter (concluded, reopened, concluded again) counts
        # once, at the level of its latest rating, so levels add up to the rated complaints.
        return Q(Exact(latest_rating_level(quarter), Value(level)))

    return condition


def recommendation_issued(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Recommendations (监察建议, and demands to explain and submit a rectification plan)
    issued in the quarter."""
    return within("issued_at", quarter)


def recommendation_rectified(quarter: Period, now: dt.datetime | None = None) -> Q:
    """Of the recommendations issued in the quarter, those rectified and closed (to date)."""
    return recommendation_issued(quarter) & Q(status=Recommendation.Status.CLOSED)


def _held_in(name: str) -> Callable[[Period, dt.datetime | None], Q]:
    def condition(quarter: Period, now: dt.datetime | None = None) -> Q:
        return Q(**{f"{name}__gte": quarter.first_day, f"{name}__lt": quarter.shifted(1).first_day})

    return condition


def _liaison_kind(kind: str) -> Callable[[Period, dt.datetime | None], Q]:
    def condition(quarter: Period, now: dt.datetime | None = None) -> Q:
        return _held_in("visited_on")(quarter) & Q(kind=kind)

    return condition


# --- The registry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    model: str
    label: Promise
    condition: Callable[[Period, dt.datetime | None], Q] = field(repr=False)
    definition: Promise = field(default="", repr=False)
    # Plain admin lookups meaning the same rows (record figures only): quarter -> params.
    admin_lookups: Callable[[Period], dict[str, str]] | None = field(default=None, repr=False)

    @property
    def has_dimensions(self) -> bool:
        return self.model in (CASE, COMPLAINT)


def _datetime_lookups(name: str, extra: dict | None = None) -> Callable[[Period], dict[str, str]]:
    def lookups(quarter: Period) -> dict[str, str]:
        return {
            f"{name}__gte": quarter.start.isoformat(),
            f"{name}__lt": quarter.end.isoformat(),
            **(extra or {}),
        }

    return lookups


def _date_lookups(name: str, extra: dict | None = None) -> Callable[[Period], dict[str, str]]:
    def lookups(quarter: Period) -> dict[str, str]:
        return {
            f"{name}__gte": quarter.first_day.isoformat(),
            f"{name}__lt": quarter.shifted(1).first_day.isoformat(),
            **(extra or {}),
        }

    return lookups


D = Case.Disposition

FIGURES: dict[str, Figure] = {
    figure.key: figure
    for figure in [
        # Complaints
        Figure(
            "received",
            COMPLAINT,
            pgettext_lazy("dashboard", "Complaints received"),
            complaint_received,
            pgettext_lazy(
                "dashboard",
                "Complaints the commission received in the quarter, by any channel, accepted or not.",
            ),
        ),
        Figure(
            "liaison_complaints",
            COMPLAINT,
            pgettext_lazy("dashboard", "Complaints filed by liaison points and supervisors"),
            complaint_via_liaison,
            pgettext_lazy(
                "dashboard",
                "Complaints received in the quarter through an SME liaison point or an enterprise "
                "supervisor.",
            ),
        ),
        Figure(
            "rated",
            COMPLAINT,
            pgettext_lazy("dashboard", "Complaints rated"),
            complaint_rated,
            pgettext_lazy("dashboard", "Complaints whose outcome the complainant rated in the quarter."),
        ),
        Figure(
            "rated_satisfied",
            COMPLAINT,
            pgettext_lazy("dashboard", "Satisfied"),
            _rated(Rating.Level.SATISFIED),
            pgettext_lazy("dashboard", "Rated in the quarter; the latest rating in the quarter counts."),
        ),
        Figure(
            "rated_basically",
            COMPLAINT,
            pgettext_lazy("dashboard", "Basically satisfied"),
            _rated(Rating.Level.BASICALLY),
            pgettext_lazy("dashboard", "Rated in the quarter; the latest rating in the quarter counts."),
        ),
        Figure(
            "rated_unsatisfied",
            COMPLAINT,
            pgettext_lazy("dashboard", "Unsatisfied"),
            _rated(Rating.Level.UNSATISFIED),
            pgettext_lazy("dashboard", "Rated in the quarter; the latest rating in the quarter counts."),
        ),
        # Cases
        Figure(
            "accepted",
            CASE,
            pgettext_lazy("dashboard", "Cases accepted"),
            case_accepted,
            pgettext_lazy(
                "dashboard",
                "Cases opened in the quarter: each accepted complaint opens one; merged duplicates "
                "open none.",
            ),
        ),
        Figure(
            "self_handled",
            CASE,
            pgettext_lazy("dashboard", "Self-handled (自办)"),
            _disposition(D.SELF),
            pgettext_lazy(
                "dashboard",
                "Cases accepted in the quarter that the centre handles itself, including cases taken over.",
            ),
        ),
        Figure(
            "transferred",
            CASE,
            pgettext_lazy("dashboard", "Transferred (转办)"),
            _disposition(D.TRANSFER),
            pgettext_lazy(
                "dashboard",
                "Cases accepted in the quarter and transferred to a department to handle and report.",
            ),
        ),
        Figure(
            "assigned",
            CASE,
            pgettext_lazy("dashboard", "Assigned with supervision (交办)"),
            _disposition(D.ASSIGN),
            pgettext_lazy(
                "dashboard", "Cases accepted in the quarter and assigned to a department under supervision."
            ),
        ),
        Figure(
            "referred",
            CASE,
            pgettext_lazy("dashboard", "Referred (转办 and 交办)"),
            _disposition(D.TRANSFER, D.ASSIGN),
            pgettext_lazy(
                "dashboard",
                "Cases accepted in the quarter and referred to a department, transferred or assigned.",
            ),
        ),
        Figure(
            "undecided",
            CASE,
            pgettext_lazy("dashboard", "Disposition not yet decided"),
            _disposition(""),
            pgettext_lazy(
                "dashboard",
                "Cases accepted in the quarter that are neither handled by the centre nor referred yet.",
            ),
        ),
        Figure(
            "concluded",
            CASE,
            pgettext_lazy("dashboard", "Cases concluded"),
            case_concluded,
            pgettext_lazy(
                "dashboard",
                "Cases concluded (办结) in the quarter; a reopened case counts at its latest conclusion.",
            ),
        ),
        Figure(
            "concluded_on_time",
            CASE,
            pgettext_lazy("dashboard", "Concluded on time"),
            case_concluded_on_time,
            pgettext_lazy(
                "dashboard",
                "Concluded in the quarter on or before the latest due date of the case's referrals "
                "(Shanghai time). A case never referred has no due date and counts as on time.",
            ),
        ),
        Figure(
            "concluded_late",
            CASE,
            pgettext_lazy("dashboard", "Concluded late"),
            case_concluded_late,
            pgettext_lazy(
                "dashboard",
                "Concluded in the quarter on a day after the latest due date of the case's referrals.",
            ),
        ),
        Figure(
            "open",
            CASE,
            pgettext_lazy("dashboard", "Open at the end of the quarter"),
            case_open,
            pgettext_lazy(
                "dashboard",
                "Cases not concluded at the end of the quarter (now, for the quarter in progress).",
            ),
        ),
        Figure(
            "open_in_time",
            CASE,
            pgettext_lazy("dashboard", "Open, in time"),
            case_open_in_time,
            pgettext_lazy("dashboard", "Open cases with no open referral past its due date at that moment."),
        ),
        Figure(
            "open_late",
            CASE,
            pgettext_lazy("dashboard", "Open, late"),
            case_open_late,
            pgettext_lazy("dashboard", "Open cases with an open referral past its due date at that moment."),
        ),
        Figure(
            "returned",
            CASE,
            pgettext_lazy("dashboard", "Cases with a report returned"),
            case_returned,
            pgettext_lazy(
                "dashboard",
                "Cases with a handling report returned for re-investigation in the quarter, each once.",
            ),
        ),
        Figure(
            "escalated",
            CASE,
            pgettext_lazy("dashboard", "Escalated cases"),
            case_escalated,
            pgettext_lazy(
                "dashboard",
                "Cases handled in the quarter (open at some time in it) whose deadlines climbed the "
                "escalation ladder; the highest step reached to date counts.",
            ),
        ),
        Figure(
            "escalated_1",
            CASE,
            pgettext_lazy("dashboard", "Reminder (催办)"),
            _escalated(1),
            pgettext_lazy(
                "dashboard", "Cases handled in the quarter whose highest escalation step is the reminder."
            ),
        ),
        Figure(
            "escalated_2",
            CASE,
            pgettext_lazy("dashboard", "Overdue warning (预警)"),
            _escalated(2),
            pgettext_lazy(
                "dashboard",
                "Cases handled in the quarter whose highest escalation step is the warning to the unit head.",
            ),
        ),
        Figure(
            "escalated_3",
            CASE,
            pgettext_lazy("dashboard", "Escalated for supervision (督办)"),
            _escalated(3),
            pgettext_lazy(
                "dashboard",
                "Cases handled in the quarter escalated to the supervising leader and listed as supervised.",
            ),
        ),
        # Records
        Figure(
            "recommendations_issued",
            RECOMMENDATION,
            pgettext_lazy("dashboard", "Recommendations issued"),
            recommendation_issued,
            pgettext_lazy(
                "dashboard",
                "Supervision recommendations and demands to explain and submit a rectification plan, "
                "issued in the quarter.",
            ),
            _datetime_lookups("issued_at"),
        ),
        Figure(
            "recommendations_rectified",
            RECOMMENDATION,
            pgettext_lazy("dashboard", "Recommendations rectified"),
            recommendation_rectified,
            pgettext_lazy(
                "dashboard",
                "Of the recommendations issued in the quarter, those rectified and closed to date.",
            ),
            _datetime_lookups("issued_at", {"status__exact": Recommendation.Status.CLOSED}),
        ),
        Figure(
            "talks",
            TALK,
            pgettext_lazy("dashboard", "Accountability talks held"),
            _held_in("held_on"),
            pgettext_lazy(
                "dashboard", "Accountability talks (问责谈话) held with unit heads in the quarter."
            ),
            _date_lookups("held_on"),
        ),
        Figure(
            "liaison_entries",
            LIAISON,
            pgettext_lazy("dashboard", "Liaison log entries"),
            _held_in("visited_on"),
            pgettext_lazy(
                "dashboard",
                "Visits to, feedback from and meetings with liaison points and supervisors in the quarter.",
            ),
            _date_lookups("visited_on"),
        ),
        Figure(
            "liaison_visits",
            LIAISON,
            pgettext_lazy("dashboard", "Visits"),
            _liaison_kind(LiaisonVisit.Kind.VISIT),
            pgettext_lazy("dashboard", "Visits to liaison points and supervisors in the quarter."),
            _date_lookups("visited_on", {"kind__exact": LiaisonVisit.Kind.VISIT}),
        ),
        Figure(
            "liaison_feedback",
            LIAISON,
            pgettext_lazy("dashboard", "Feedback"),
            _liaison_kind(LiaisonVisit.Kind.FEEDBACK),
            pgettext_lazy(
                "dashboard", "Feedback received from liaison points and supervisors in the quarter."
            ),
            _date_lookups("visited_on", {"kind__exact": LiaisonVisit.Kind.FEEDBACK}),
        ),
        Figure(
            "liaison_meetings",
            LIAISON,
            pgettext_lazy("dashboard", "Discussion meetings"),
            _liaison_kind(LiaisonVisit.Kind.MEETING),
            pgettext_lazy(
                "dashboard", "Discussion meetings with liaison points and supervisors in the quarter."
            ),
            _date_lookups("visited_on", {"kind__exact": LiaisonVisit.Kind.MEETING}),
        ),
    ]
}

MODELS = {
    CASE: Case,
    COMPLAINT: Complaint,
    RECOMMENDATION: Recommendation,
    TALK: AccountabilityTalk,
    LIAISON: LiaisonVisit,
}
ADMIN_CHANGELISTS = {
    CASE: "admin:casework_case_changelist",
    COMPLAINT: "admin:complaints_complaint_changelist",
    RECOMMENDATION: "admin:casework_recommendation_changelist",
    TALK: "admin:casework_accountabilitytalk_changelist",
    LIAISON: "admin:liaison_liaisonvisit_changelist",
}


def figures_of(model: str) -> dict[str, Figure]:
    return {key: figure for key, figure in FIGURES.items() if figure.model == model}


# --- One figure, one quarter, maybe one department/category/channel ---------------------------


@dataclass(frozen=True)
class Selection:
    """What one number on the dashboard is: a figure, a quarter and optional dimensions. The same
    selection gives the count's condition and the drill-down's query string."""

    figure: Figure
    quarter: Period
    department: str | None = None  # a department id, or NONE
    category: str | None = None
    channel: str | None = None  # a channel, or NONE (cases recorded without one)

    @classmethod
    def build(
        cls,
        key: str,
        quarter: Period | str,
        *,
        department: int | str | None = None,
        category: str | None = None,
        channel: str | None = None,
    ) -> Selection:
        """Validate and make a selection; ValidationError on anything unknown."""
        figure = FIGURES.get(key or "")
        if figure is None:
            raise ValidationError(
                _("“%(value)s” is not a dashboard figure.") % {"value": key}, code="bad_figure"
            )
        if not isinstance(quarter, Period):
            # A quarter, or a month (the monthly bulletin's drill-downs).
            quarter = Period.parse(quarter)
        values = {"department": department, "category": category, "channel": channel}
        values = {name: str(value) for name, value in values.items() if value not in (None, "")}
        if values and not figure.has_dimensions:
            raise ValidationError(
                _("The figure “%(figure)s” cannot be narrowed down.") % {"figure": figure.label},
                code="bad_dimension",
            )
        department = values.get("department")
        if department is not None and department != NONE and not department.isdigit():
            raise ValidationError(
                _("“%(value)s” is not a department.") % {"value": department}, code="bad_department"
            )
        if values.get("category") is not None and values["category"] not in Category.values:
            raise ValidationError(
                _("“%(value)s” is not a category.") % {"value": values["category"]}, code="bad_category"
            )
        channel = values.get("channel")
        if channel is not None and channel not in Channel.values and channel != NONE:
            raise ValidationError(_("“%(value)s” is not a channel.") % {"value": channel}, code="bad_channel")
        return cls(figure, quarter, **values)

    @property
    def model(self):
        return MODELS[self.figure.model]

    def condition(self, *, now: dt.datetime | None = None) -> Q:
        condition = self.figure.condition(self.quarter, now)
        if self.department == NONE:
            condition &= Q(department__isnull=True)
        elif self.department is not None:
            condition &= Q(department_id=int(self.department))
        if self.category is not None:
            condition &= Q(category=self.category)
        if self.channel is not None:
            condition &= Q(channel="" if self.channel == NONE else self.channel)
        return condition

    def queryset(self, *, now: dt.datetime | None = None):
        """The rows the figure counts, from the model's default manager (no visibility rule)."""
        return self.model._default_manager.filter(self.condition(now=now))

    def admin_params(self) -> dict[str, str]:
        """The query string of the admin list that lists exactly these rows."""
        if self.figure.admin_lookups is not None:
            return self.figure.admin_lookups(self.quarter)
        params = {"figure": self.figure.key, "quarter": self.quarter.label}
        params.update({name: getattr(self, name) for name in DIMENSIONS if getattr(self, name) is not None})
        return params

    def describe(self) -> str:
        parts = [str(self.figure.label), self.quarter.display]
        if self.department == NONE:
            parts.append(_("unit not in the directory"))
        elif self.department is not None:
            name = Department.objects.filter(pk=int(self.department)).values_list("name", flat=True).first()
            parts.append(name or self.department)
        if self.category is not None:
            parts.append(str(Category(self.category).label))
        if self.channel == NONE:
            parts.append(_("no channel recorded"))
        elif self.channel is not None:
            parts.append(str(Channel(self.channel).label))
        return " · ".join(parts)


# --- The admin lists' drill-down ---------------------------------------------------------------


def figure_drilldown(
    *,
    kind: str,
    figure: str,
    quarter: str | None,
    department: str | None = None,
    category: str | None = None,
    channel: str | None = None,
) -> Selection:
    """The selection an admin list of ``kind`` (case or complaint) is narrowed to by its drill-down
    filter; ValidationError when the parameters name no figure of that list."""
    selection = Selection.build(
        figure,
        quarter or Quarter.current().label,
        department=department,
        category=category,
        channel=channel,
    )
    if selection.figure.model != kind:
        raise ValidationError(
            _("“%(value)s” is not a figure of this list.") % {"value": figure}, code="bad_figure"
        )
    return selection


def figure_drilldowns_register() -> None:
    """Give casework's admin filters the figures; called by ReportsConfig.ready(), safe twice."""
    figure_drilldowns.register(figure_drilldown)


# --- Derived figures and the sections of the page ------------------------------------------

# Derived figures: computed from counted ones; they drill into the list they are a share of.
SELF_SHARE, ON_TIME_RATE, SATISFACTION_RATE, AVERAGE_DAYS = (
    "self_share",
    "on_time_rate",
    "satisfaction_rate",
    "average_handling_days",
)
DERIVED = {
    SELF_SHARE: (
        pgettext_lazy("dashboard", "Self-handled share"),
        "self_handled",
        pgettext_lazy(
            "dashboard",
            "Self-handled cases as a share of the cases accepted in the quarter whose disposition is "
            "decided (self-handled or referred).",
        ),
    ),
    ON_TIME_RATE: (
        pgettext_lazy("dashboard", "On-time rate"),
        "concluded",
        pgettext_lazy(
            "dashboard", "Cases concluded on time as a share of the cases concluded in the quarter."
        ),
    ),
    SATISFACTION_RATE: (
        pgettext_lazy("dashboard", "Satisfaction rate"),
        "rated",
        pgettext_lazy(
            "dashboard",
            "Satisfied and basically satisfied as a share of the complaints rated in the quarter.",
        ),
    ),
    AVERAGE_DAYS: (
        pgettext_lazy("dashboard", "Average handling time (working days)"),
        "concluded",
        pgettext_lazy(
            "dashboard",
            "Working days from opening to conclusion, averaged over the cases concluded in the "
            "quarter. The day a case opens is not counted; holidays are skipped and make-up working "
            "days counted, on the commission's calendar (Shanghai dates).",
        ),
    ),
}
PERCENT, COUNT, DAYS = "percent", "count", "days"


# (section key, title, [(figure key, indented)])
SECTIONS = [
    (
        "intake",
        pgettext_lazy("dashboard", "Intake"),
        [("received", False), ("accepted", False)],
    ),
    (
        "disposition",
        pgettext_lazy("dashboard", "Disposition of cases"),
        [
            ("self_handled", False),
            ("referred", False),
            ("transferred", True),
            ("assigned", True),
            ("undecided", False),
            (SELF_SHARE, False),
        ],
    ),
    (
        "timeliness",
        pgettext_lazy("dashboard", "Timeliness"),
        [
            ("concluded", False),
            ("concluded_on_time", True),
            ("concluded_late", True),
            (ON_TIME_RATE, False),
            ("open", False),
            ("open_in_time", True),
            ("open_late", True),
            (AVERAGE_DAYS, False),
        ],
    ),
    (
        "supervision",
        pgettext_lazy("dashboard", "Supervision"),
        [
            ("escalated", False),
            ("escalated_1", True),
            ("escalated_2", True),
            ("escalated_3", True),
            ("returned", False),
            ("recommendations_issued", False),
            ("recommendations_rectified", True),
            ("talks", False),
        ],
    ),
    (
        "liaison",
        pgettext_lazy("dashboard", "Liaison activity"),
        [
            ("liaison_entries", False),
            ("liaison_visits", True),
            ("liaison_feedback", True),
            ("liaison_meetings", True),
            ("liaison_complaints", False),
        ],
    ),
    (
        "satisfaction",
        pgettext_lazy("dashboard", "Satisfaction"),
        [
            ("rated", False),
            ("rated_satisfied", True),
            ("rated_basically", True),
            ("rated_unsatisfied", True),
            (SATISFACTION_RATE, False),
        ],
    ),
]

PUBLIC_LINES = ["received", "accepted", "concluded", ON_TIME_RATE, AVERAGE_DAYS, "rated", SATISFACTION_RATE]
