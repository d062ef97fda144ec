"""Inspections of enterprises in the figures (issue 14): the leaders' dashboard, the public figures
and the dispatch pack read them (a module beside the three rooms of reports, which may not import
each other).

An inspection counts in the quarter of its planned date (a Shanghai date; an emergency entry's
planned date is the day of entry) unless refused or cancelled. Flags count in the quarter they
were raised, ratings in the quarter they were given. Inspections per enterprise are counted
over the quarter's year to its end (1 January to the quarter's last day).

The cost is fixed: one grouped aggregate of inspections per department and one overall (distinct
enterprises cannot be summed over departments), one of flags per kind and department, one of
ratings per department and one statement for the distribution per enterprise, whatever the
number of rows, for the three quarters at once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.periods import Period
from inspections.models import Inspection, InspectionFlag, InspectionRating
from inspections.services.ratings import LOW_RATING_MAX
from liaison.models import Enterprise

S = Inspection.Status
COUNTED_OUT = (S.REFUSED, S.CANCELLED)
COUNTED_STATUSES = [value for value in S.values if value not in COUNTED_OUT]
# Flags an enterprise's rating raised: they say who rated, so they stay out of the counts and the
# lists of staff without the identity permission (the ratings' own figures count them).
HIDDEN_KINDS = tuple(InspectionFlag.HIDDEN_FROM_DEPARTMENTS)

INSPECTION_KEYS = (
    "inspections",
    "joint",
    "no_filing",
    "flagged",
    *(f"outcome_{o}" for o in Inspection.Outcome.values),
)
DISTRIBUTION_KEYS = (
    "per_enterprise_1",
    "per_enterprise_2",
    "per_enterprise_3",
    "per_enterprise_4",
    "above_cap",
)


def _days(quarter: Period) -> tuple:
    return quarter.first_day, quarter.shifted(1).first_day


def _in_quarter(quarter: Period, prefix: str = "") -> Q:
    first, after = _days(quarter)
    return Q(**{f"{prefix}planned_on__gte": first, f"{prefix}planned_on__lt": after})


def _conditions(quarter: Period) -> dict[str, Q]:
    base = _in_quarter(quarter)
    flags = InspectionFlag.objects.filter(inspection=OuterRef("pk")).exclude(kind__in=HIDDEN_KINDS)
    conditions = {
        "inspections": base,
        "joint": base & (Q(joint_with__isnull=False) | Q(status=S.JOINT)),
        "no_filing": base & Q(emergency_reason__gt=""),
        "flagged": base & Q(Exists(flags)),
    }
    for outcome in Inspection.Outcome.values:
        conditions[f"outcome_{outcome}"] = base & Q(outcome=outcome)
    return conditions


@dataclass
class InspectionTally:
    counts: Counter = field(default_factory=Counter)
    flags: Counter = field(default_factory=Counter)  # by kind
    score_sum: int = 0

    def __getitem__(self, key: str) -> int:
        return self.counts[key]

    @staticmethod
    def _share(part, whole):
        return part / whole if whole else None

    @property
    def flag_count(self) -> int:
        return sum(self.flags.values())

    @property
    def joint_share(self):
        return self._share(self["joint"], self["inspections"])

    @property
    def flagged_share(self):
        return self._share(self["flagged"], self["inspections"])

    @property
    def average_rating(self):
        return self.score_sum / self["rated"] if self["rated"] else None

    @property
    def low_share(self):
        return self._share(self["rated_low"], self["rated"])

    @property
    def shown_average_rating(self):
        """The average only where at least INSPECTION_RATINGS_MIN_AGGREGATE ratings exist."""
        if self["rated"] < settings.INSPECTION_RATINGS_MIN_AGGREGATE:
            return None
        return self.average_rating

    def value(self, key: str):
        if key in DERIVED_KEYS:
            return getattr(self, key)
        if key.startswith("flags_"):
            return self.flags[key.removeprefix("flags_")]
        if key == "flags":
            return self.flag_count
        return self[key]


DERIVED_KEYS = ("joint_share", "flagged_share", "average_rating", "low_share", "shown_average_rating")


@dataclass
class InspectionQuarter:
    quarter: Period
    total: InspectionTally = field(default_factory=InspectionTally)
    by_department: dict[int, InspectionTally] = field(default_factory=lambda: defaultdict(InspectionTally))


def count_inspections(quarters: list[Period]) -> list[InspectionQuarter]:
    """The inspection figures of ``quarters`` (five statements whatever their number)."""
    result = [InspectionQuarter(quarter) for quarter in quarters]
    conditions = [_conditions(q) for q in quarters]
    scope = Q()
    for q in quarters:
        scope |= _in_quarter(q)
    annotations = {
        f"{key}_{i}": Count("pk", filter=condition)
        for i, item in enumerate(conditions)
        for key, condition in item.items()
    }
    inspections = Inspection.objects.filter(scope, status__in=COUNTED_STATUSES).order_by()
    for row in inspections.values("department_id").annotate(**annotations):
        for i, item in enumerate(result):
            tally = item.by_department[row["department_id"]]
            for key in conditions[i]:
                tally.counts[key] += row[f"{key}_{i}"]
    totals = inspections.aggregate(
        **annotations,
        **{
            f"enterprises_{i}": Count("enterprise_id", distinct=True, filter=_in_quarter(q))
            for i, q in enumerate(quarters)
        },
    )
    for i, item in enumerate(result):
        for key in [*conditions[i], "enterprises"]:
            item.total.counts[key] += totals[f"{key}_{i}"] or 0
    _count_flags(quarters, result)
    _count_ratings(quarters, result)
    _count_distribution(quarters, result)
    return result


def _count_flags(quarters, result) -> None:
    annotations = {
        f"n_{i}": Count("pk", filter=Q(created_at__gte=q.start, created_at__lt=q.end))
        for i, q in enumerate(quarters)
    }
    scope = Q()
    for q in quarters:
        scope |= Q(created_at__gte=q.start, created_at__lt=q.end)
    rows = (
        InspectionFlag.objects.filter(scope)
        .exclude(kind__in=HIDDEN_KINDS)
        .order_by()
        .values("kind", "inspection__department_id")
        .annotate(**annotations)
    )
    for row in rows:
        for i, item in enumerate(result):
            n = row[f"n_{i}"]
            item.total.flags[row["kind"]] += n
            item.by_department[row["inspection__department_id"]].flags[row["kind"]] += n


def _count_ratings(quarters, result) -> None:
    annotations = {}
    scope = Q()
    for i, q in enumerate(quarters):
        within = Q(created_at__gte=q.start, created_at__lt=q.end)
        scope |= within
        annotations[f"rated_{i}"] = Count("pk", filter=within)
        annotations[f"low_{i}"] = Count("pk", filter=within & Q(score__lte=LOW_RATING_MAX))
        annotations[f"sum_{i}"] = Sum("score", filter=within)
    rows = (
        InspectionRating.objects.filter(scope)
        .order_by()
        .values("inspection__department_id")
        .annotate(**annotations)
    )
    for row in rows:
        for i, item in enumerate(result):
            for tally in (item.total, item.by_department[row["inspection__department_id"]]):
                tally.counts["rated"] += row[f"rated_{i}"]
                tally.counts["rated_low"] += row[f"low_{i}"]
                tally.score_sum += row[f"sum_{i}"] or 0


def _count_distribution(quarters, result) -> None:
    """Enterprises by the number of inspections in the quarter's year to date (1, 2, 3, 4 or
    more), and those that one department inspected more often than the cap of their class."""
    caps = settings.INSPECTION_YEARLY_CAP
    windows = []
    params: list = []
    for i, q in enumerate(quarters):
        first = q.first_day.replace(month=1, day=1)
        # Dates as parameters, no casts: psycopg2 sends them typed, SQLite compares ISO text
        # (`make run` on a bare machine runs on SQLite).
        windows.append("(%s, %s, %s)")
        params += [i, first, _days(q)[1]]
    cap_case = " ".join("WHEN %s THEN %s" for _ in caps)
    cap_params = [value for pair in caps.items() for value in pair]
    status_list = ", ".join(["%s"] * len(COUNTED_STATUSES))
    # Only table names and placeholders are interpolated; every value is a parameter.
    sql = f"""
        WITH windows(idx, first_day, after_day) AS (VALUES {", ".join(windows)}),
        per AS (
            SELECT w.idx, i.enterprise_id, i.department_id, COUNT(*) AS n
            FROM {Inspection._meta.db_table} i
            JOIN windows w ON i.planned_on >= w.first_day AND i.planned_on < w.after_day
            WHERE i.status IN ({status_list})
            GROUP BY w.idx, i.enterprise_id, i.department_id
        ),
        ent AS (
            SELECT per.idx, per.enterprise_id, SUM(per.n) AS total,
                   MAX(CASE WHEN per.n > CASE e.risk_class {cap_case} ELSE NULL END THEN 1 ELSE 0 END)
                       AS over_cap
            FROM per JOIN {Enterprise._meta.db_table} e ON e.id = per.enterprise_id
            GROUP BY per.idx, per.enterprise_id
        )
        SELECT idx,
               COUNT(*) FILTER (WHERE total = 1),
               COUNT(*) FILTER (WHERE total = 2),
               COUNT(*) FILTER (WHERE total = 3),
               COUNT(*) FILTER (WHERE total >= 4),
               COUNT(*) FILTER (WHERE over_cap = 1)
        FROM ent GROUP BY idx
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *COUNTED_STATUSES, *cap_params])
        rows = cursor.fetchall()
    for idx, *values in rows:
        result[idx].total.counts.update(dict(zip(DISTRIBUTION_KEYS, values, strict=True)))


# --- What the pages show ---------------------------------------------------------------------

COUNT, PERCENT, SCORE = "count", "percent", "score"

LABELS = {
    "inspections": pgettext_lazy("dashboard", "Inspections"),
    "enterprises": pgettext_lazy("dashboard", "Enterprises inspected"),
    "per_enterprise_1": pgettext_lazy("dashboard", "Enterprises inspected once this year"),
    "per_enterprise_2": pgettext_lazy("dashboard", "Inspected twice"),
    "per_enterprise_3": pgettext_lazy("dashboard", "Inspected three times"),
    "per_enterprise_4": pgettext_lazy("dashboard", "Inspected four times or more"),
    "above_cap": pgettext_lazy("dashboard", "Enterprises above the cap of their class"),
    "joint": pgettext_lazy("dashboard", "Joint inspections"),
    "joint_share": pgettext_lazy("dashboard", "Share of joint inspections"),
    "no_filing": pgettext_lazy("dashboard", "Entries without a filing (emergency)"),
    "flagged": pgettext_lazy("dashboard", "Inspections flagged"),
    "flagged_share": pgettext_lazy("dashboard", "Share flagged"),
    "flags": pgettext_lazy("dashboard", "Flags raised"),
    "outcome_no_problem": pgettext_lazy("dashboard", "Outcome: no problem found"),
    "outcome_problems": pgettext_lazy("dashboard", "Outcome: problems found"),
    "outcome_decision": pgettext_lazy("dashboard", "Outcome: administrative decision"),
    "rated": pgettext_lazy("dashboard", "Inspections rated by the enterprise"),
    "average_rating": pgettext_lazy("dashboard", "Average rating (1–5)"),
    "shown_average_rating": pgettext_lazy("dashboard", "Average rating (1–5)"),
    "low_share": pgettext_lazy("dashboard", "Share rated low (1–2)"),
}
for _kind, _label in InspectionFlag.Kind.choices:
    if _kind not in HIDDEN_KINDS:
        LABELS[f"flags_{_kind}"] = _label

KINDS = {
    "joint_share": PERCENT,
    "flagged_share": PERCENT,
    "low_share": PERCENT,
    "average_rating": SCORE,
    "shown_average_rating": SCORE,
}

# (key, indented) in the dashboard's section.
LINES = [
    ("inspections", False),
    ("enterprises", False),
    ("per_enterprise_1", True),
    ("per_enterprise_2", True),
    ("per_enterprise_3", True),
    ("per_enterprise_4", True),
    ("above_cap", False),
    ("joint", False),
    ("joint_share", False),
    ("no_filing", False),
    ("flagged", False),
    ("flagged_share", False),
    ("flags", False),
    *[(f"flags_{kind}", True) for kind in InspectionFlag.Kind.values if kind not in HIDDEN_KINDS],
    ("outcome_no_problem", False),
    ("outcome_problems", False),
    ("outcome_decision", False),
    ("rated", False),
    ("average_rating", False),
    ("low_share", False),
]
PUBLIC_LINES = [
    "inspections",
    "enterprises",
    "per_enterprise_1",
    "per_enterprise_2",
    "per_enterprise_3",
    "per_enterprise_4",
    "above_cap",
    "joint_share",
    "no_filing",
    "rated",
    "shown_average_rating",
]
LEAGUE_COLUMNS = ["inspections", "flags", "flagged_share", "shown_average_rating"]
PUBLIC_LEAGUE_COLUMNS = ["inspections", "shown_average_rating"]


def kind_of(key: str) -> str:
    return KINDS.get(key, COUNT)


# --- How each figure is counted (the dashboard's and the public page's definitions) -------------


def _counted_statuses() -> str:
    return ", ".join(f"“{label}”" for value, label in S.choices if value in COUNTED_STATUSES)


def _caps() -> str:
    return ", ".join(f"{risk_class}: {cap}" for risk_class, cap in settings.INSPECTION_YEARLY_CAP.items())


_COUNTED = _(
    "Inspections whose planned date (a Shanghai date) falls in the quarter, in a counted status: "
    "%(statuses)s; refused and cancelled inspections are not counted. An emergency entry's planned "
    "date is the day of entry."
)
_YEAR_TO_QUARTER_END = _(
    "Enterprises with exactly %(number)s counted inspections, all departments together, planned "
    "from 1 January to the last day of the quarter (the year to the quarter's end)."
)
_DEFINITIONS = {
    "enterprises": _("Different enterprises with at least one counted inspection planned in the quarter."),
    "per_enterprise_1": _(
        "Enterprises with exactly one counted inspection, all departments together, planned from "
        "1 January to the last day of the quarter (the year to the quarter's end)."
    ),
    "per_enterprise_4": _(
        "Enterprises with four or more counted inspections, all departments together, planned "
        "from 1 January to the last day of the quarter (the year to the quarter's end)."
    ),
    "above_cap": _(
        "Enterprises that one department inspected more often from 1 January to the last day of "
        "the quarter (counted inspections) than the yearly cap of the enterprise's risk class "
        "allows; the caps per class: %(caps)s."
    ),
    "joint": _(
        "Counted inspections in the quarter merged into another department's inspection, or "
        "ordered to be merged (status “%(joint)s”)."
    ),
    "joint_share": _("Joint inspections as a share of the counted inspections in the quarter."),
    "no_filing": _(
        "Counted inspections in the quarter entered without a filing: emergency entries, declared "
        "on site with a reason."
    ),
    "flagged": _(
        "Counted inspections in the quarter with at least one flag of the rules or the entries, "
        "whenever it was raised."
    ),
    "flagged_share": _("Inspections flagged as a share of the counted inspections in the quarter."),
    "flags": _(
        "Flags raised in the quarter (by the moment raised, Shanghai time) by the rules and the "
        "entries, whatever the inspection's planned date. A low rating is counted with the ratings, "
        "not as a flag: its flag says which enterprise rated, and only staff allowed to see who rated "
        "see it."
    ),
    "rated": _(
        "Ratings the enterprises gave in the quarter (by the moment given), whatever the "
        "inspection's planned date."
    ),
    "average_rating": _(
        "The average score (1–5) of the ratings given in the quarter. A department's average is "
        "shown only where at least %(minimum)s ratings exist: departments see ratings only as such "
        "aggregates, never one enterprise's rating."
    ),
    "low_share": _("Ratings of %(low)s or lower as a share of the ratings given in the quarter."),
}
_FLAG_KIND = _(
    "Flags of this kind raised in the quarter (by the moment raised), whatever the inspection's date."
)
_OUTCOME = _("Counted inspections in the quarter whose recorded outcome is “%(outcome)s”.")


def definition_of(key: str) -> str:
    """How ``key`` is counted, in the active language, with the settings' current values."""
    values = {
        "statuses": _counted_statuses(),
        "caps": _caps(),
        "joint": S.JOINT.label,
        "minimum": settings.INSPECTION_RATINGS_MIN_AGGREGATE,
        "low": LOW_RATING_MAX,
    }
    if key == "inspections":
        return _COUNTED % values
    if key in ("per_enterprise_2", "per_enterprise_3"):
        return _YEAR_TO_QUARTER_END % {"number": key.removeprefix("per_enterprise_")}
    if key == "shown_average_rating":
        key = "average_rating"
    if key.startswith("flags_"):
        return str(_FLAG_KIND)
    if key.startswith("outcome_"):
        return _OUTCOME % {"outcome": Inspection.Outcome(key.removeprefix("outcome_")).label}
    text = str(_DEFINITIONS[key])
    return text % values if "%(" in text else text


def drilldown(key: str, quarter: Period, department: int | None = None, *, ratings: bool = False) -> str:
    """The admin list of exactly the rows counted, where its filters can say so; else "". The
    ratings' list only for who may read individual ratings (``ratings``)."""
    first, after = _days(quarter)
    planned = {
        "planned_on__gte": first.isoformat(),
        "planned_on__lt": after.isoformat(),
        "status__in": ",".join(COUNTED_STATUSES),
    }
    if department is not None:
        planned["department__id__exact"] = str(department)
    raised = {"created_at__gte": quarter.start.isoformat(), "created_at__lt": quarter.end.isoformat()}
    if key == "inspections":
        return _url("inspection", planned)
    if key == "joint":
        return _url("inspection", {**planned, "joint": "yes"})
    if key in ("enterprises", *DISTRIBUTION_KEYS):
        return _url("inspectedenterprise", _enterprise_params(key, quarter, department))
    if key == "no_filing":
        return _url("inspection", {**planned, "emergency_reason__gt": ""})
    if key == "flagged":
        return _url("inspection", {**planned, "flagged": "any"})
    if key.startswith("outcome_"):
        return _url("inspection", {**planned, "outcome__exact": key.removeprefix("outcome_")})
    if key in ("flags",) or key.startswith("flags_"):
        params = dict(raised)
        if key.startswith("flags_"):
            params["kind__exact"] = key.removeprefix("flags_")
        if department is not None:
            params["inspection__department__id__exact"] = str(department)
        return _url("inspectionflag", params)
    if key == "rated" and department is None and ratings:
        return _url("inspectionrating", raised)
    return ""


def _enterprise_params(key: str, quarter: Period, department: int | None) -> dict:
    """The inspected-enterprise list's filters (inspections.admin.enterprises) for an
    enterprise figure: inspected in the quarter, or counted over the year to its end."""
    if key == "enterprises":
        params = {"period": quarter.label}
    elif key == "above_cap":
        params = {"period": f"{quarter.label}-ytd", "above_cap": "yes"}
    else:
        number = key.removeprefix("per_enterprise_")
        params = {"period": f"{quarter.label}-ytd", "inspections": "4+" if number == "4" else number}
    if department is not None:
        params["department"] = str(department)
    return params


def _url(model: str, params: dict) -> str:
    return f"{reverse(f'admin:inspections_{model}_changelist')}?{urlencode(params)}"
