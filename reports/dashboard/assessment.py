"""The quarterly efficiency assessment of departments (机关效能考核评议), computed.

``assessment_compute(quarter)`` returns one ``AssessmentResult`` per department that had approval
records (accepted or decided, or signals raised on them) or cases accepted against it in the
period: the figures counted (``reports.dashboard.assessment_figures`` defines each and the list
behind it), each indicator's
score from 0 to 100, the weighted total and the grade, with the weights and grade boundaries of
the active ``AssessmentScheme``. The monthly bulletin (定期通报) calls it with a month.

The cost is fixed whatever the number of departments and records: one grouped aggregate each over
approval records, signals and referrals, the cases accepted and complaints rated (one grouped sum
of the dashboard's kept figures for a quarter; two aggregates over cases and complaints for a
month), one query for the departments' names, one over the appraisal's scores and one for the
scheme (seven statements for a quarter, eight for a month).

How an indicator becomes a score (0–100, documented on the pages' "How each figure is counted"):

* on-time rate: 100 × decided on time / decided;
* average time against the promised limit: r = mean over decided approvals of working days taken
  / promised days; 100 × (1.5 − r), within 0–100 (half the limit or less 100, the limit itself 50,
  one and a half times the limit or more 0);
* signals per 100 approvals: 100 − 5 × signals per 100 decided approvals, at least 0;
* accepted complaints per 1,000 approvals: 100 − 2 × cases accepted per 1,000 decided approvals,
  at least 0;
* referrals answered on time: 100 × answered on time / referrals due;
* complainants' satisfaction: 100 × (satisfied + basically satisfied) / rated;
* democratic appraisal (民主评议): m = mean of the scores (1–5) given to the department in the
  appraisal campaigns that closed in the period; 25 × (m − 1) (a mean of 5 scores 100, 3 scores
  50, 1 scores 0).

An indicator without its inputs (no approval decided, no referral due, no rating, no appraisal)
is "not assessed" and its weight is shared out over the assessed ones in proportion to their
weights. The total is the weighted mean of the assessed scores, rounded to two decimals; the grade
compares that rounded total with the boundaries (≥ excellent, ≥ good, ≥ pass, below).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from appraisal.campaigns.selectors import appraisal_score_totals
from approvals.models import ApprovalRecord, ApprovalSignal
from casework.models import Case, Referral
from complaints.models import Complaint
from core.periods import Period
from liaison.models import Department
from reports.dashboard.assessment_figures import (
    drilldown_link,
    record_accepted,
    record_decided,
    record_on_time,
    referral_answered_on_time,
    referral_due,
    signal_counted,
    signal_red,
)
from reports.dashboard.figures import FIGURES
from reports.live_sums import department_quarter_counts, live_available
from reports.models import AssessmentScheme, EfficiencyAssessment

Grade = EfficiencyAssessment.Grade
TWO_PLACES = Decimal("0.01")

ON_TIME, AVERAGE_TIME, SIGNALS, COMPLAINTS, REFERRALS, SATISFACTION, APPRAISAL = (
    "on_time",
    "average_time",
    "signals",
    "complaints",
    "referrals",
    "satisfaction",
    "appraisal",
)
INDICATORS = (ON_TIME, AVERAGE_TIME, SIGNALS, COMPLAINTS, REFERRALS, SATISFACTION, APPRAISAL)

# Each counted input: its label and what it counts (the pages' "How each figure is counted").
INPUTS: dict[str, tuple[Promise, Promise]] = {
    "decided": (
        pgettext_lazy("assessment", "Approvals decided"),
        pgettext_lazy(
            "assessment",
            "Approval records approved or refused with a decision day (Beijing time) in the period.",
        ),
    ),
    "on_time": (
        pgettext_lazy("assessment", "Decided on time"),
        pgettext_lazy(
            "assessment", "Of the approvals decided, those decided on or before their promised day."
        ),
    ),
    "average_days": (
        pgettext_lazy("assessment", "Approvals timed"),
        pgettext_lazy(
            "assessment",
            "Decided approvals whose working days taken are known; their working days taken divided by "
            "the item's promised days are averaged.",
        ),
    ),
    "signals": (
        pgettext_lazy("assessment", "Signals"),
        pgettext_lazy(
            "assessment",
            "Yellow and red signals raised on the department's approvals in the period, except the "
            "prompt one working day before the limit, which is a reminder and not a fault.",
        ),
    ),
    "signals_red": (
        pgettext_lazy("assessment", "Red signals"),
        pgettext_lazy("assessment", "Of the signals counted, the red ones."),
    ),
    "complaints": (
        pgettext_lazy("assessment", "Complaints accepted"),
        pgettext_lazy(
            "assessment",
            "Cases accepted against the department in the period (the dashboard's cases accepted).",
        ),
    ),
    "referrals_due": (
        pgettext_lazy("assessment", "Referrals due"),
        pgettext_lazy(
            "assessment",
            "Referrals to the department due in the period, withdrawn ones aside, whose due day has "
            "passed or that were answered.",
        ),
    ),
    "referrals_on_time": (
        pgettext_lazy("assessment", "Referrals answered on time"),
        pgettext_lazy(
            "assessment",
            "Of the referrals due, those with a handling report submitted on or before the due day.",
        ),
    ),
    "rated": (
        pgettext_lazy("assessment", "Complaints rated"),
        pgettext_lazy(
            "assessment", "Complaints against the department whose outcome was rated in the period."
        ),
    ),
    "rated_satisfied": (
        pgettext_lazy("assessment", "Satisfied"),
        pgettext_lazy("assessment", "Rated satisfied (the latest rating in the period counts)."),
    ),
    "rated_basically": (
        pgettext_lazy("assessment", "Basically satisfied"),
        pgettext_lazy("assessment", "Rated basically satisfied (the latest rating in the period counts)."),
    ),
    "appraisal_scores": (
        pgettext_lazy("assessment", "Appraisal scores"),
        pgettext_lazy(
            "assessment",
            "Scores from 1 to 5 given to the department in the democratic appraisal campaigns that closed "
            "in the period (every rated question of every answer).",
        ),
    ),
}

# Each indicator: its label, how its score is computed, and the inputs it reads.
INDICATOR_TEXTS: dict[str, tuple[Promise, Promise]] = {
    ON_TIME: (
        pgettext_lazy("assessment", "On-time rate"),
        pgettext_lazy("assessment", "Score: 100 × decided on time ÷ approvals decided."),
    ),
    AVERAGE_TIME: (
        pgettext_lazy("assessment", "Average time against the promised limit"),
        pgettext_lazy(
            "assessment",
            "r = mean of working days taken ÷ promised days over the approvals decided. Score: "
            "100 × (1.5 − r), between 0 and 100: half the promised time or less scores 100, the promised "
            "time itself 50, one and a half times it or more 0.",
        ),
    ),
    SIGNALS: (
        pgettext_lazy("assessment", "Signals per 100 approvals"),
        pgettext_lazy("assessment", "Score: 100 − 5 × signals per 100 approvals decided, at least 0."),
    ),
    COMPLAINTS: (
        pgettext_lazy("assessment", "Accepted complaints per 1,000 approvals"),
        pgettext_lazy(
            "assessment", "Score: 100 − 2 × complaints accepted per 1,000 approvals decided, at least 0."
        ),
    ),
    REFERRALS: (
        pgettext_lazy("assessment", "Referrals answered on time"),
        pgettext_lazy("assessment", "Score: 100 × referrals answered on time ÷ referrals due."),
    ),
    SATISFACTION: (
        pgettext_lazy("assessment", "Complainants' satisfaction"),
        pgettext_lazy(
            "assessment", "Score: 100 × (satisfied + basically satisfied) ÷ complaints rated in the period."
        ),
    ),
    APPRAISAL: (
        pgettext_lazy("assessment", "Democratic appraisal"),
        pgettext_lazy(
            "assessment",
            "m = mean of the appraisal scores (1 to 5). Score: 25 × (m − 1): a mean of 5 scores 100, "
            "3 scores 50, 1 scores 0.",
        ),
    ),
}
INDICATOR_INPUTS = {
    ON_TIME: ("on_time", "decided"),
    AVERAGE_TIME: ("average_days",),
    SIGNALS: ("signals", "signals_red", "decided"),
    COMPLAINTS: ("complaints", "decided"),
    REFERRALS: ("referrals_on_time", "referrals_due"),
    SATISFACTION: ("rated_satisfied", "rated_basically", "rated"),
    APPRAISAL: ("appraisal_scores",),
}

# The grades in descending order with the scheme's boundary field of each.
GRADE_BOUNDARIES = ((Grade.EXCELLENT, "excellent_from"), (Grade.GOOD, "good_from"), (Grade.PASS, "pass_from"))


# --- Scores -------------------------------------------------------------------------------------


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def indicator_value(key: str, inputs: dict) -> float | None:
    """The indicator's own figure (a rate, a ratio, a count per 100 or 1,000); None without inputs."""
    decided = inputs.get("decided", 0)
    if key == ON_TIME:
        return inputs["on_time"] / decided if decided else None
    if key == AVERAGE_TIME:
        timed = inputs.get("average_days", 0)
        return inputs["ratio_sum"] / timed if timed else None
    if key == SIGNALS:
        return 100 * inputs["signals"] / decided if decided else None
    if key == COMPLAINTS:
        return 1000 * inputs["complaints"] / decided if decided else None
    if key == REFERRALS:
        due = inputs.get("referrals_due", 0)
        return inputs["referrals_on_time"] / due if due else None
    if key == SATISFACTION:
        rated = inputs.get("rated", 0)
        return (inputs["rated_satisfied"] + inputs["rated_basically"]) / rated if rated else None
    if key == APPRAISAL:
        scored = inputs.get("appraisal_scores", 0)
        return inputs["appraisal_sum"] / scored if scored else None
    return None


def indicator_score(key: str, value: float | None) -> float | None:
    """The documented rule from the indicator's figure to 0–100 (see the module's docstring)."""
    if value is None:
        return None
    if key in (ON_TIME, REFERRALS, SATISFACTION):
        return _clamp(100 * value)
    if key == AVERAGE_TIME:
        return _clamp(100 * (1.5 - value))
    if key == SIGNALS:
        return _clamp(100 - 5 * value)
    if key == COMPLAINTS:
        return _clamp(100 - 2 * value)
    if key == APPRAISAL:
        return _clamp(25 * (value - 1))
    return None


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def grade_of(total: Decimal | None, scheme: AssessmentScheme) -> str:
    if total is None:
        return Grade.NOT_ASSESSED
    for grade, boundary in GRADE_BOUNDARIES:
        if total >= Decimal(getattr(scheme, boundary)):
            return grade
    return Grade.FAIL


def effective_weights(scores: dict[str, float | None], weights: dict[str, int]) -> dict[str, Decimal]:
    """The weights applied: those of the assessed indicators, scaled to add up to 100."""
    assessed = {key: weights[key] for key in INDICATORS if scores.get(key) is not None and weights[key] > 0}
    whole = sum(assessed.values())
    if not whole:
        return {}
    return {key: Decimal(weight * 100) / Decimal(whole) for key, weight in assessed.items()}


def total_of(scores: dict[str, float | None], weights: dict[str, int]) -> Decimal | None:
    applied = effective_weights(scores, weights)
    if not applied:
        return None
    weighted = sum(_decimal(scores[key]) * weight for key, weight in applied.items())
    return (weighted / 100).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


# --- Results ------------------------------------------------------------------------------------


@dataclass
class Indicator:
    key: str
    value: float | None
    score: float | None
    weight: int
    applied_weight: Decimal | None

    @property
    def label(self) -> str:
        return str(INDICATOR_TEXTS[self.key][0])

    @property
    def assessed(self) -> bool:
        return self.score is not None


@dataclass
class AssessmentResult:
    """One department's assessment for one period."""

    period: Period
    department_id: int
    department_name: str
    inputs: dict
    indicators: list[Indicator]
    total: Decimal | None
    grade: str
    rank: int | None = None
    pass_mark: Decimal = Decimal(60)
    links: dict[str, str] = field(default_factory=dict)

    @property
    def grade_label(self) -> str:
        return str(Grade(self.grade).label)

    @property
    def scores(self) -> dict[str, float | None]:
        return {item.key: item.score for item in self.indicators}

    @property
    def weak(self) -> list[Indicator]:
        return [item for item in self.indicators if item.assessed and item.score < self.pass_mark]

    def link(self, key: str) -> str:
        """The admin list of exactly the rows behind input ``key`` ("" while it is not installed)."""
        if key not in self.links:
            self.links[key] = drilldown_link(key, self.period, self.department_id)
        return self.links[key]


def assessment_scheme_active() -> AssessmentScheme:
    """The scheme in use; the defaults (unsaved) when staff have not set one."""
    return AssessmentScheme.objects.filter(is_active=True).first() or AssessmentScheme()


def _blank_inputs() -> dict:
    return dict.fromkeys(INPUTS, 0) | {"ratio_sum": 0.0, "accepted": 0, "appraisal_sum": 0}


RATED = ("rated", "rated_satisfied", "rated_basically")


def _count_complaints(inputs: dict[int, dict], period: Period, now: dt.datetime) -> None:
    """Cases accepted and complaints rated per department, counted from the tables (two grouped
    aggregates): for a month, on SQLite, and as the reference the live sums are tested against."""
    cases = (
        Case.objects.filter(FIGURES["accepted"].condition(period, now), department__isnull=False)
        .order_by()
        .values("department_id")
        .annotate(complaints=Count("pk"))
    )
    for row in cases:
        inputs[row.pop("department_id")].update(row)
    rated = (
        Complaint.objects.filter(FIGURES["rated"].condition(period, now), department__isnull=False)
        .order_by()
        .values("department_id")
        .annotate(
            rated=Count("pk"),
            rated_satisfied=Count("pk", filter=FIGURES["rated_satisfied"].condition(period, now)),
            rated_basically=Count("pk", filter=FIGURES["rated_basically"].condition(period, now)),
        )
    )
    for row in rated:
        inputs[row.pop("department_id")].update(row)


def _count(period: Period, now: dt.datetime, *, live: bool) -> dict[int, dict]:
    inputs: dict[int, dict] = defaultdict(_blank_inputs)
    decided, accepted = record_decided(period), record_accepted(period)
    timed = decided & Q(working_days_taken__isnull=False)
    records = (
        ApprovalRecord.objects.filter(decided | accepted)
        .order_by()
        .values("department_id")
        .annotate(
            decided=Count("pk", filter=decided),
            on_time=Count("pk", filter=record_on_time(period)),
            average_days=Count("pk", filter=timed),
            ratio_sum=Sum(
                Cast("working_days_taken", FloatField()) / Cast(F("item__promised_days"), FloatField()),
                filter=timed,
            ),
            accepted=Count("pk", filter=accepted),
        )
    )
    for row in records:
        row["ratio_sum"] = row["ratio_sum"] or 0.0
        inputs[row.pop("department_id")].update(row)
    signals = (
        ApprovalSignal.objects.filter(signal_counted(period))
        .order_by()
        .values("department_id")
        .annotate(signals=Count("pk"), signals_red=Count("pk", filter=signal_red(period)))
    )
    for row in signals:
        inputs[row.pop("department_id")].update(row)
    if live:
        kept = department_quarter_counts(period, ("accepted", *RATED))
        for department_id, row in kept.items():
            row["complaints"] = row.pop("accepted")
            inputs[department_id].update(row)
    else:
        _count_complaints(inputs, period, now)
    referrals = (
        Referral.objects.filter(referral_due(period, now))
        .order_by()
        .values("department_id")
        .annotate(
            referrals_due=Count("pk"),
            referrals_on_time=Count("pk", filter=referral_answered_on_time(period, now)),
        )
    )
    for row in referrals:
        inputs[row.pop("department_id")].update(row)
    for department_id, (total, scores) in appraisal_score_totals(
        first_day=period.first_day, last_day=period.last_day
    ).items():
        inputs[department_id].update(appraisal_sum=total, appraisal_scores=scores)
    return inputs


def _assessed(inputs: dict) -> bool:
    """In the assessment: approvals accepted or decided, signals raised on its approvals (an
    application of an earlier period still pending past its limit), cases accepted, or appraisal
    scores, in the period."""
    return bool(
        inputs["accepted"]
        or inputs["decided"]
        or inputs["signals"]
        or inputs["complaints"]
        or inputs["appraisal_scores"]
    )


def assessment_compute(
    quarter: Period,
    *,
    scheme: AssessmentScheme | None = None,
    now: dt.datetime | None = None,
    live: bool = True,
) -> list[AssessmentResult]:
    """One result per department assessed in ``quarter`` (a quarter, or a month for the bulletin),
    ranked by total (the best first; departments not assessed last, by name).

    A quarter that has begun reads its cases accepted and complaints rated from the dashboard's
    kept sums (``reports.live_sums``, PostgreSQL); a month, and ``live=False``, counts them
    from the tables."""
    now = now or timezone.now()
    scheme = scheme or assessment_scheme_active()
    weights = scheme.weights
    live = live and live_available(quarter, now)
    counted = {pk: values for pk, values in _count(quarter, now, live=live).items() if _assessed(values)}
    # [0] when nothing is counted: Django skips an empty IN, and the cost must not vary.
    names = dict(Department.objects.filter(pk__in=list(counted) or [0]).values_list("pk", "name"))
    results = []
    for pk, inputs in counted.items():
        indicators = []
        values = {key: indicator_value(key, inputs) for key in INDICATORS}
        scores = {key: indicator_score(key, values[key]) for key in INDICATORS}
        applied = effective_weights(scores, weights)
        for key in INDICATORS:
            indicators.append(Indicator(key, values[key], scores[key], weights[key], applied.get(key)))
        total = total_of(scores, weights)
        results.append(
            AssessmentResult(
                period=quarter,
                department_id=pk,
                department_name=names.get(pk, str(pk)),
                inputs=inputs,
                indicators=indicators,
                total=total,
                grade=grade_of(total, scheme),
                pass_mark=Decimal(scheme.pass_from),
            )
        )
    results.sort(key=lambda result: (result.total is None, -(result.total or 0), result.department_name))
    rank = 0
    for position, result in enumerate(results, start=1):
        if result.total is None:
            break
        # Equal totals share a rank (1, 2, 2, 4).
        if position == 1 or result.total != results[position - 2].total:
            rank = position
        result.rank = rank
    return results


# --- The draft supervision recommendation (监察建议) -------------------------------------------------

ADVICE = {
    ON_TIME: pgettext_lazy(
        "assessment",
        "Decide every application within its promised limit: find why decisions came late and remove "
        "the causes.",
    ),
    AVERAGE_TIME: pgettext_lazy(
        "assessment", "Shorten the time taken: review each step's handling against its own limit."
    ),
    SIGNALS: pgettext_lazy(
        "assessment",
        "Correct the irregularities behind the signals (steps over their limits, refusals without "
        "reasons, fees outside the schedule, handling outside the hall) and prevent their return.",
    ),
    COMPLAINTS: pgettext_lazy(
        "assessment", "Examine the complaints accepted against the unit and remedy their causes."
    ),
    REFERRALS: pgettext_lazy(
        "assessment", "Answer every referred case with a handling report by its due date."
    ),
    SATISFACTION: pgettext_lazy(
        "assessment",
        "Improve the handling of complaints so that complainants are satisfied with the outcome.",
    ),
    APPRAISAL: pgettext_lazy(
        "assessment",
        "Examine what enterprises and the public said of the unit in the democratic appraisal and improve "
        "its conduct and service accordingly.",
    ),
}


def _shown(key: str, value: float) -> str:
    if key in (ON_TIME, REFERRALS, SATISFACTION):
        return f"{100 * value:.1f}%"
    return f"{value:.2f}"


def recommendation_draft(result: AssessmentResult) -> str:
    """The draft of the supervision recommendation to a unit graded 不合格, from its indicators
    below the pass mark, in the commission's language. Figures only: it names nobody."""
    if result.grade != Grade.FAIL:
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        weak = (
            result.weak
            or sorted((item for item in result.indicators if item.assessed), key=lambda item: item.score)[:1]
        )
        lines = [
            _(
                "Supervision recommendation to %(department)s. In the efficiency assessment of "
                "%(quarter)s the unit scored %(total)s and was graded %(grade)s."
            )
            % {
                "department": result.department_name,
                "quarter": result.period.display,
                "total": result.total,
                "grade": Grade(result.grade).label,
            },
            _("Indicators below the pass mark:"),
        ]
        for item in weak:
            lines.append(
                _("%(indicator)s: %(value)s, score %(score)s.")
                % {
                    "indicator": item.label,
                    "value": _shown(item.key, item.value),
                    "score": f"{item.score:.1f}",
                }
            )
        lines.append(_("The commission recommends:"))
        lines.extend(f"{number}. {ADVICE[item.key]}" for number, item in enumerate(weak, start=1))
        lines.append(_("Report the rectification measures and their results in writing by the date set."))
        return "\n".join(lines)
