"""The questionnaire as a form: one field per department appraised and question, all optional
(a respondent appraises the departments they know), at least one department answered."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisal.campaigns.services import TEXT_MAX
from appraisal.models import Campaign, Question
from core.forms import PlainErrorsMixin

SCORE_CHOICES = [
    (5, gettext_lazy("5 very good")),
    (4, gettext_lazy("4 good")),
    (3, gettext_lazy("3 fair")),
    (2, gettext_lazy("2 poor")),
    (1, gettext_lazy("1 very poor")),
]


class AnswerForm(PlainErrorsMixin, forms.Form):
    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.departments = list(campaign.departments.order_by("name"))
        self.questions = list(campaign.questions.all())
        for department in self.departments:
            for question in self.questions:
                name = self.field_name(department.pk, question.pk)
                if question.kind == Question.Kind.RATING:
                    self.fields[name] = forms.TypedChoiceField(
                        label=question.text,
                        choices=SCORE_CHOICES,
                        coerce=int,
                        required=False,
                        widget=forms.RadioSelect,
                    )
                else:
                    self.fields[name] = forms.CharField(
                        label=question.text,
                        required=False,
                        max_length=TEXT_MAX,
                        widget=forms.Textarea(attrs={"rows": 3}),
                        help_text=_("Do not write your name or contact details: answers are anonymous."),
                    )

    @staticmethod
    def field_name(department_id: int, question_id: int) -> str:
        return f"d{department_id}-q{question_id}"

    def sections(self):
        """(department, [bound fields]) for the template, one section per department."""
        return [
            (department, [self[self.field_name(department.pk, q.pk)] for q in self.questions])
            for department in self.departments
        ]

    def answers(self) -> dict[int, dict[int, object]]:
        data = self.cleaned_data
        found = {}
        for department in self.departments:
            values = {}
            for question in self.questions:
                value = data.get(self.field_name(department.pk, question.pk))
                if value not in (None, ""):
                    values[question.pk] = value
            if values:
                found[department.pk] = values
        return found

    def clean(self):
        data = super().clean()
        if not self.errors and not self.answers():
            raise forms.ValidationError(_("Appraise at least one department."), code="empty")
        return data
