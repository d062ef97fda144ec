"""Form errors name the field in plain words, in the request's language."""

from django import forms
from django.utils import translation

from core.forms import PlainErrorsMixin


class SampleForm(PlainErrorsMixin, forms.Form):
    description = forms.CharField(label="问题描述", min_length=20, max_length=40)
    category = forms.ChoiceField(label="投诉类别", choices=[("fines", "乱罚款")])
    occurred_on = forms.DateField(label="发生日期", required=False)
    email = forms.EmailField(label="电子邮箱", required=False)
    working_days = forms.IntegerField(label="办理期限", min_value=1, max_value=60, required=False)
    agree = forms.BooleanField(label="同意隐私说明")
    own = forms.CharField(label="自定义", error_messages={"required": "自己的提示"})


def errors(data, language="zh-hans"):
    with translation.override(language):
        form = SampleForm(data)
        form.is_valid()
        return {name: [str(e) for e in errs] for name, errs in form.errors.items()}


def test_errors_name_the_field_in_plain_chinese():
    found = errors(
        {
            "description": "太短了",
            "category": "bribes",
            "occurred_on": "昨天",
            "email": "zhang at example",
            "working_days": "0",
        }
    )
    assert found["description"] == ["“问题描述”至少要写 20 个字，现在只有 3 个。"]
    assert found["category"] == ["请从列表中选择“投诉类别”。"]
    assert found["occurred_on"] == ["“发生日期”请填写日期，例如 2026-12-06。"]
    assert found["email"] == ["“电子邮箱”不是有效的电子邮箱地址，请按 name@example.com 的格式填写。"]
    assert found["working_days"] == ["“办理期限”不能小于 1。"]
    assert found["agree"] == ["请勾选“同意隐私说明”。"]
    # Django's developer wording never reaches the person filling the form.
    flat = " ".join(" ".join(v) for v in found.values())
    assert "确保" not in flat and "该变量" not in flat


def test_too_long_and_too_large():
    found = errors({"description": "长" * 41, "working_days": "61", "category": "fines", "agree": "on"})
    assert found["description"] == ["“问题描述”最多 40 个字，现在有 41 个。"]
    assert found["working_days"] == ["“办理期限”不能大于 60。"]


def test_a_message_the_form_sets_itself_is_kept():
    assert errors({})["own"] == ["自己的提示"]
    assert errors({})["category"] == ["请选择“投诉类别”。"]


def test_english():
    found = errors({"description": "short"}, language="en")
    assert found["description"] == ["Write at least 20 characters in “问题描述” (it has 5)."]
    assert found["agree"] == ["Please tick “同意隐私说明”."]


class PercentForm(PlainErrorsMixin, forms.Form):
    rate = forms.CharField(label="满意率%", max_length=3)
    share = forms.ChoiceField(label="占比%", choices=[("a", "a")])


def test_a_percent_sign_in_the_label_is_shown_once():
    with translation.override("zh-hans"):
        form = PercentForm({"rate": "1234"})
        form.is_valid()
        assert form.errors["rate"] == ["“满意率%”最多 3 个字，现在有 4 个。"]
        assert form.errors["share"] == ["请选择“占比%”。"]
