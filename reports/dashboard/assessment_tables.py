"""The efficiency assessment's results as the pages and the bulletin's workbook show them: one row
per department with each indicator's figure, score and weight, and each counted input with the
admin list behind it (staff pages) or without (the public ranking)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from core.periods import Period
from reports.dashboard.assessment import (
    INDICATOR_INPUTS,
    INDICATOR_TEXTS,
    INDICATORS,
    INPUTS,
    ON_TIME,
    REFERRALS,
    SATISFACTION,
    AssessmentResult,
    Indicator,
)
from reports.xlsx import Sheet, write_workbook

RATES = (ON_TIME, REFERRALS, SATISFACTION)
NOT_ASSESSED = "—"


def value_text(key: str, value: float | None) -> str:
    if value is None:
        return NOT_ASSESSED
    if key in RATES:
        return f"{100 * value:.1f}%"
    return f"{value:.2f}"


def score_text(score: float | Decimal | None) -> str:
    return NOT_ASSESSED if score is None else f"{score:.1f}"


def total_text(total: Decimal | None) -> str:
    """Two decimals, as graded: 59.99 is a fail and must not read 60.0."""
    return NOT_ASSESSED if total is None else f"{total:.2f}"


@dataclass
class Cell:
    """One counted input: its number and the list of exactly the rows it counts."""

    key: str
    label: str
    value: int
    url: str


@dataclass
class IndicatorCell:
    key: str
    label: str
    value: str
    score: str
    weight: int
    applied_weight: str
    assessed: bool
    inputs: list[Cell]


@dataclass
class ResultRow:
    result: AssessmentResult
    indicators: list[IndicatorCell]
    assessment: object = None  # the published EfficiencyAssessment, on the staff page

    @property
    def total(self) -> str:
        return total_text(self.result.total)


def _indicator_cell(result: AssessmentResult, item: Indicator, *, link: bool) -> IndicatorCell:
    inputs = [
        Cell(key, str(INPUTS[key][0]), result.inputs.get(key, 0), result.link(key) if link else "")
        for key in INDICATOR_INPUTS[item.key]
        # The average's own count only where it differs from the decided approvals it averages.
        if not (key == "average_days" and result.inputs.get(key) == result.inputs.get("decided"))
    ]
    return IndicatorCell(
        key=item.key,
        label=item.label,
        value=value_text(item.key, item.value),
        score=score_text(item.score),
        weight=item.weight,
        applied_weight=score_text(item.applied_weight),
        assessed=item.assessed,
        inputs=inputs,
    )


def result_rows(results: list[AssessmentResult], *, link: bool = True) -> list[ResultRow]:
    return [
        ResultRow(result, [_indicator_cell(result, item, link=link) for item in result.indicators])
        for result in results
    ]


def indicator_labels() -> list[tuple[str, str]]:
    return [(key, str(INDICATOR_TEXTS[key][0])) for key in INDICATORS]


def definitions() -> list[tuple[str, str]]:
    """The "How each figure is counted" entries of the assessment: inputs, then indicators."""
    return [(str(label), str(text)) for label, text in INPUTS.values()] + [
        (str(label), str(text)) for label, text in INDICATOR_TEXTS.values()
    ]


# --- The monthly bulletin's workbook (定期通报) -----------------------------------------------------

WORKBOOK_INPUTS = (
    "decided",
    "on_time",
    "signals",
    "signals_red",
    "complaints",
    "referrals_due",
    "referrals_on_time",
    "rated",
    "rated_satisfied",
    "rated_basically",
    "appraisal_scores",
)


class BulletinWorkbook:
    """The month's figures per department, as on the bulletin page: one row per department."""

    def __init__(self, period: Period, results: list[AssessmentResult]) -> None:
        self.period = period
        self.results = results

    @property
    def filename(self) -> str:
        return f"bulletin-{self.period.label}.xlsx"

    def header(self) -> list[str]:
        return [
            _("Rank"),
            _("Department"),
            *[str(INPUTS[key][0]) for key in WORKBOOK_INPUTS],
            *[str(INDICATOR_TEXTS[key][0]) for key in INDICATORS],
            _("Total score"),
            _("Grade"),
        ]

    def rows(self):
        for result in self.results:
            values = {item.key: item for item in result.indicators}
            yield [
                result.rank,
                result.department_name,
                *[result.inputs.get(key, 0) for key in WORKBOOK_INPUTS],
                *[value_text(key, values[key].value) for key in INDICATORS],
                total_text(result.total),
                result.grade_label,
            ]

    def generate(self) -> bytes:
        heading = [
            _("Efficiency of administrative approvals: monthly bulletin, %(period)s")
            % {"period": self.period.display},
            _(
                "Scores and grades are indicative for a month; the assessment grades departments each "
                "quarter. An indicator without figures for a department (the democratic appraisal outside "
                "the months its campaigns close) has its weight shared out over the other indicators."
            ),
        ]
        target = io.BytesIO()
        write_workbook(
            [
                Sheet(
                    title=_("Bulletin %(period)s") % {"period": self.period.label},
                    heading=heading,
                    header=self.header(),
                    rows=self.rows(),
                    widths=[6, 28],
                ),
                Sheet(
                    title=_("How each figure is counted"),
                    header=[_("Figure"), _("How it is counted")],
                    rows=[list(entry) for entry in definitions()],
                    widths=[36, 100],
                    wrap_columns=[1],
                ),
            ],
            target,
        )
        return target.getvalue()
