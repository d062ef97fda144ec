"""Forms of the ledger, the notification reports, the login and the directory admin: a required
field left empty, a date mistyped or a choice out of the list is named in plain Chinese, never in
Django's developer wording ("这个字段是必填项", "输入一个有效的日期")."""

import pytest
from django.forms import modelform_factory
from django.utils import translation

from appraisal.openness import forms as openness_forms
from appraisal.openness.dept_views import RectificationForm
from core.accounts_forms import CodeForm, LoginForm
from core.forms import plain_error_messages
from liaison.admin import DirectoryForm, DirectoryImportForm, LiaisonVisitForm
from liaison.models import Department, LiaisonPoint, Supervisor
from reports.ledger import forms as ledger_forms
from reports.models import LedgerTask
from reports.notifications.forms import PeriodForm, ReplyForm

pytestmark = pytest.mark.django_db

DJANGO_WORDING = (
    "这个字段是必填项",
    "输入一个有效的",
    "确保该",
    "选择一个有效的选项",
    "This field is required",
)


def directory_form(model):
    return modelform_factory(model, form=DirectoryForm, fields="__all__")


def task() -> LedgerTask:
    return LedgerTask.objects.create(title="测试任务", due_date="2026-12-31")


FORMS = {
    "period": lambda data: PeriodForm(data),
    "reply": lambda data: ReplyForm(data),
    "ledger task": lambda data: ledger_forms.LedgerTaskForm(data),
    "ledger status": lambda data: ledger_forms.LedgerStatusForm(data, task=task()),
    "ledger progress": lambda data: ledger_forms.LedgerProgressForm(data),
    "dispatch meeting": lambda data: ledger_forms.DispatchMeetingForm(data),
    "reschedule": lambda data: ledger_forms.RescheduleForm(data),
    "minutes": lambda data: ledger_forms.MinutesForm(data),
    "action item": lambda data: ledger_forms.ActionItemForm(data),
    "code": lambda data: CodeForm(data),
    "login": lambda data: LoginForm(None, data),
    "directory import": lambda data: DirectoryImportForm(data),
    "liaison visit": lambda data: LiaisonVisitForm(data),
    "department": lambda data: directory_form(Department)(data),
    "liaison point": lambda data: directory_form(LiaisonPoint)(data),
    "supervisor": lambda data: directory_form(Supervisor)(data),
    # Issue 16: the openness checks' forms (staff and the unit's rectification).
    "openness finding": lambda data: openness_forms.FindingRecordForm(data),
    "openness return": lambda data: openness_forms.ReturnForm(data),
    "demonstration site": lambda data: openness_forms.DemonstrationSiteForm(data),
    "openness rectification": lambda data: RectificationForm(data),
}
# Wrong values of the kinds a person types: a date, a number, a choice.
BAD = {
    "due_date": "31/12",
    "held_on": "明天",
    "visited_on": "x",
    "noted_on": "x",
    "appointed_on": "x",
    "status": "nope",
    "kind": "nope",
    "system": "nope",
    "owner": "999999",
    "office": "999999",
}


@pytest.mark.parametrize("name", FORMS)
def test_every_error_names_its_field_in_plain_chinese(name):
    with translation.override("zh-hans"):
        for data in ({}, BAD):
            form = FORMS[name](data)
            assert not form.is_valid()
            for field, errors in form.errors.as_data().items():
                if field == "__all__":
                    continue
                label = str(form.fields[field].label)
                plain_codes = plain_error_messages(form.fields[field], label)
                for error in errors:
                    text = " ".join(error.messages)
                    assert not any(words in text for words in DJANGO_WORDING), (name, field, text)
                    if error.code in plain_codes:  # the form's own messages say it their way
                        assert f"“{label}”" in text, (name, field, label, text)
                    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), (name, field, text)
