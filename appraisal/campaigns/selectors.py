"""Shared reads of the democratic appraisal: results per department (the admin, the department
page, the API, the dashboard and the efficiency assessment all start here).

Results are aggregates: per question the number of scores, their mean with a 95 % confidence
interval (Student's t, the sample's standard deviation) and the distribution 1–5. Free text
reaches a department only where at least FREE_TEXT_MIN_ANSWERS answers exist for it in the
campaign, and only redacted and identity-checked (core.masking), never in the order given."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db.models import Count, Q, QuerySet, Sum

from appraisal.models import Answer, AnswerItem, Campaign, Invitation, Question
from core.masking import identity_findings, redact_text

FREE_TEXT_MIN_ANSWERS = 5
SCORES = (1, 2, 3, 4, 5)

# Two-sided 95 % quantiles of Student's t by degrees of freedom; beyond 30, the normal's 1.96.
_T95 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
    10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110,
    18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060,
    26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
}  # fmt: skip


@dataclass
class QuestionResult:
    question: Question
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SCORES, 0))

    @property
    def count(self) -> int:
        return sum(self.distribution.values())

    @property
    def mean(self) -> float | None:
        if not self.count:
            return None
        return sum(score * n for score, n in self.distribution.items()) / self.count

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 95 % confidence interval of the mean; None below two scores."""
        n = self.count
        if n < 2:
            return None
        mean = self.mean
        variance = sum(n_s * (s - mean) ** 2 for s, n_s in self.distribution.items()) / (n - 1)
        half = _T95.get(n - 1, 1.96) * math.sqrt(variance / n)
        return (max(1.0, mean - half), min(5.0, mean + half))

    @property
    def bars(self) -> list[tuple[int, int, int]]:
        """(score, count, percent) for the distribution's bars."""
        total = self.count or 1
        return [(score, n, round(100 * n / total)) for score, n in self.distribution.items()]


@dataclass
class DepartmentResult:
    department_id: int
    department_name: str
    answers: int = 0
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def mean(self) -> float | None:
        """The mean of all scores given to the department (every rating question)."""
        scored = [(q.mean, q.count) for q in self.questions if q.count]
        total = sum(count for _, count in scored)
        return sum(mean * count for mean, count in scored) / total if total else None

    @property
    def free_text_allowed(self) -> bool:
        return self.answers >= FREE_TEXT_MIN_ANSWERS


def campaign_results(*, campaign: Campaign, department_ids=None) -> list[DepartmentResult]:
    """Per department appraised (or those of ``department_ids``): answers and each rating
    question's distribution. Three queries whatever the number of answers."""
    departments = campaign.departments.order_by("name")
    if department_ids is not None:
        departments = departments.filter(pk__in=department_ids)
    questions = [q for q in campaign.questions.all() if q.kind == Question.Kind.RATING]
    results = {
        pk: DepartmentResult(pk, name, questions=[QuestionResult(q) for q in questions])
        for pk, name in departments.values_list("pk", "name")
    }
    counts = (
        Answer.objects.filter(campaign=campaign, department_id__in=list(results))
        .values("department_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in counts:
        results[row["department_id"]].answers = row["n"]
    by_question = {(dept, q.question.pk): q for dept, result in results.items() for q in result.questions}
    scores = (
        AnswerItem.objects.filter(
            answer__campaign=campaign, answer__department_id__in=list(results), score__isnull=False
        )
        .values("answer__department_id", "question_id", "score")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in scores:
        target = by_question.get((row["answer__department_id"], row["question_id"]))
        if target is not None:
            target.distribution[row["score"]] = row["n"]
    return list(results.values())


def respondent_identities(campaign: Campaign) -> list[SimpleNamespace]:
    """Who was invited, in the shape core.masking reads: their names and e-mails are looked for
    in the free text (an enterprise's or a person's name written into an answer)."""
    identities = []
    for kind, name, email in Invitation.objects.filter(campaign=campaign).values_list(
        "kind", "name", "email"
    ):
        is_enterprise = kind in (Invitation.Kind.ENTERPRISE, Invitation.Kind.LIAISON_POINT)
        identities.append(
            SimpleNamespace(
                contact_name="" if is_enterprise else name,
                enterprise_name=name if is_enterprise else "",
                email=email,
                phone="",
                credit_code="",
            )
        )
    return identities


@dataclass
class FreeText:
    question: Question
    texts: list[str]
    withheld: int = 0


def department_free_texts(*, campaign: Campaign, department_id: int, answers: int) -> list[FreeText] | None:
    """The free texts a department may read: None below FREE_TEXT_MIN_ANSWERS answers;
    otherwise each redacted, and withheld if the identity check still finds something."""
    if answers < FREE_TEXT_MIN_ANSWERS:
        return None
    identities = respondent_identities(campaign)
    by_question: dict[int, FreeText] = {}
    for question in campaign.questions.filter(kind=Question.Kind.TEXT):
        by_question[question.pk] = FreeText(question, [])
    items = (
        AnswerItem.objects.filter(answer__campaign=campaign, answer__department_id=department_id)
        .exclude(text="")
        .order_by("id")  # random (UUID): not the order given
        .values_list("question_id", "text")
    )
    for question_id, text in items:
        target = by_question.get(question_id)
        if target is None:
            continue
        redacted = redact_text(text, identities)
        if identity_findings(redacted, identities):
            target.withheld += 1
        else:
            target.texts.append(redacted)
    return list(by_question.values())


def staff_free_texts(*, campaign: Campaign, department_id: int) -> list[tuple[Question, list[str]]]:
    """Staff (the admin) read every free text as written, whatever the number of answers."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for question_id, text in (
        AnswerItem.objects.filter(answer__campaign=campaign, answer__department_id=department_id)
        .exclude(text="")
        .order_by("id")
        .values_list("question_id", "text")
    ):
        grouped[question_id].append(text)
    return [(q, grouped.get(q.pk, [])) for q in campaign.questions.filter(kind=Question.Kind.TEXT)]


def campaigns_for_departments(*, department_ids) -> QuerySet[Campaign]:
    """Closed campaigns that appraised any of these departments: results show once closed, so
    that nobody can watch answers arrive one by one beside the invitations used."""
    return (
        Campaign.objects.filter(status=Campaign.Status.CLOSED, departments__in=department_ids)
        .distinct()
        .order_by("-closes_on", "-id")
    )


def campaign_participation(*, campaign: Campaign) -> dict[str, int]:
    """Invited and answered (as counts only: which invitee answered is shown to nobody)."""
    return Invitation.objects.filter(campaign=campaign).aggregate(
        invited=Count("id"), answered=Count("id", filter=Q(used=True))
    )


def appraisal_score_totals(*, first_day, last_day) -> dict[int, tuple[int, int]]:
    """(sum of scores, number of scores) per department over the closed campaigns whose closing
    day is within ``first_day``..``last_day``: one grouped query (the efficiency assessment)."""
    rows = (
        AnswerItem.objects.filter(
            answer__campaign__status=Campaign.Status.CLOSED,
            answer__campaign__closes_on__gte=first_day,
            answer__campaign__closes_on__lte=last_day,
            score__isnull=False,
        )
        .values("answer__department_id")
        .annotate(total=Sum("score"), n=Count("id"))
        .order_by()
    )
    return {row["answer__department_id"]: (row["total"], row["n"]) for row in rows}


@dataclass
class ClosedCampaignRow:
    """One department in one campaign closed in a period: aggregates only."""

    campaign_id: int
    campaign_title: str
    department_id: int
    department_name: str
    answers: int
    scores: int
    mean: float | None


def closed_campaign_figures(*, first_day, last_day) -> list[ClosedCampaignRow]:
    """Per campaign closed with its closing day within ``first_day``..``last_day`` and per
    department it appraised: answers, scores given and their mean. Four queries whatever the
    number of answers or campaigns (the dispatch pack's sheet, the dashboard, the public figures)."""
    closed = Campaign.objects.filter(
        status=Campaign.Status.CLOSED, closes_on__gte=first_day, closes_on__lte=last_day
    ).order_by("closes_on", "id")
    campaigns = list(closed)
    # Subqueries, not the list: the same statements whether or not a campaign closed.
    closed = closed.values("pk")
    pairs = (
        Campaign.departments.through.objects.filter(campaign__in=closed)
        .values_list("campaign_id", "department_id", "department__name")
        .order_by("department__name")
    )
    answers = {
        (row["campaign_id"], row["department_id"]): row["n"]
        for row in Answer.objects.filter(campaign__in=closed)
        .values("campaign_id", "department_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    scores = {
        (row["answer__campaign_id"], row["answer__department_id"]): (row["total"], row["n"])
        for row in AnswerItem.objects.filter(answer__campaign__in=closed, score__isnull=False)
        .values("answer__campaign_id", "answer__department_id")
        .annotate(total=Sum("score"), n=Count("id"))
        .order_by()
    }
    titles = {campaign.pk: campaign.title for campaign in campaigns}
    rows = []
    for campaign_id, department_id, name in pairs:
        total, n = scores.get((campaign_id, department_id), (0, 0))
        rows.append(
            ClosedCampaignRow(
                campaign_id=campaign_id,
                campaign_title=titles[campaign_id],
                department_id=department_id,
                department_name=name,
                answers=answers.get((campaign_id, department_id), 0),
                scores=n,
                mean=total / n if n else None,
            )
        )
    rows.sort(key=lambda row: (list(titles).index(row.campaign_id), row.department_name))
    return rows


def department_appraisal_means(*, department_ids, start, end) -> dict[int, tuple[float, int]]:
    """Mean score and number of scores per department over the closed campaigns that closed
    between ``start`` and ``end`` (the efficiency assessment's APPRAISAL indicator)."""
    rows = (
        AnswerItem.objects.filter(
            answer__department_id__in=department_ids,
            answer__campaign__status=Campaign.Status.CLOSED,
            answer__campaign__closes_on__gte=start,
            answer__campaign__closes_on__lte=end,
            score__isnull=False,
        )
        .values("answer__department_id", "score")
        .annotate(n=Count("id"))
        .order_by()
    )
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        total = totals[row["answer__department_id"]]
        total[0] += row["score"] * row["n"]
        total[1] += row["n"]
    return {pk: (s / n, n) for pk, (s, n) in totals.items() if n}
