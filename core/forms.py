"""Form errors in plain words that name the field.

Django's own messages are written for developers ("Ensure this value has at least 20
characters", in Chinese "确保该变量至少包含 20 字符"), and say nothing about which field they
belong to; someone reading an error summary, or a screen reader announcing it, cannot tell.
``PlainErrorsMixin`` rewrites, per field and in the language of the request, the messages of
the error codes a person can trigger; a field's own ``error_messages`` (set in the form) win.
Django has no setting for this and no maintained package does it, hence this small module.
"""

from django import forms
from django.utils.translation import gettext as _


def _messages_for(field: forms.Field) -> dict[str, str]:
    """The plain message of each error code this kind of field raises, with %(label)s."""
    found = {
        "required": _("Please fill in “%(label)s”."),
        "max_length": _("“%(label)s” can be at most %(limit_value)d characters (it has %(show_value)d)."),
        "min_length": _("Write at least %(limit_value)d characters in “%(label)s” (it has %(show_value)d)."),
    }
    if isinstance(field, forms.ModelMultipleChoiceField):
        found["invalid_choice"] = _("Choose from the list for “%(label)s”.")
        found["invalid_pk_value"] = _("Choose from the list for “%(label)s”.")
        found["invalid_list"] = _("Choose from the list for “%(label)s”.")
    elif isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        found["required"] = _("Please choose “%(label)s”.")
        found["invalid_choice"] = _("Choose from the list for “%(label)s”.")
        found["invalid_list"] = _("Choose from the list for “%(label)s”.")
    elif isinstance(field, forms.EmailField):
        found["invalid"] = _("“%(label)s” is not an e-mail address; write it like name@example.com.")
    elif isinstance(field, forms.DateTimeField):
        found["invalid"] = _("Write “%(label)s” as a date and time, for example 2026-12-06 14:30.")
    elif isinstance(field, forms.DateField):
        found["invalid"] = _("Write “%(label)s” as a date, for example 2026-12-06.")
    elif isinstance(field, forms.IntegerField):
        found["invalid"] = _("Write a whole number in “%(label)s”.")
        found["min_value"] = _("“%(label)s” must be at least %(limit_value)s.")
        found["max_value"] = _("“%(label)s” can be at most %(limit_value)s.")
    elif isinstance(field, forms.DecimalField | forms.FloatField):
        found["invalid"] = _("Write a number in “%(label)s”.")
        found["min_value"] = _("“%(label)s” must be at least %(limit_value)s.")
        found["max_value"] = _("“%(label)s” can be at most %(limit_value)s.")
    elif isinstance(field, forms.BooleanField):
        found["required"] = _("Please tick “%(label)s”.")
    elif isinstance(field, forms.FileField):
        found["required"] = _("Please attach a file for “%(label)s”.")
        found.pop("min_length")
    return found


# The codes whose message Django %-formats with params (a limit, the value chosen): a "%" in the
# label must be doubled there, and only there, or the other messages would show "%%".
INTERPOLATED_CODES = frozenset(
    {"max_length", "min_length", "min_value", "max_value", "invalid_choice", "invalid_pk_value"}
)


def plain_error_messages(field: forms.Field, label: str) -> dict[str, str]:
    """The field's error messages with the label written in (Django fills in the rest)."""
    label = str(label)
    return {
        code: text.replace("%(label)s", label.replace("%", "%%") if code in INTERPOLATED_CODES else label)
        for code, text in _messages_for(field).items()
    }


class PlainErrorsMixin:
    """Mix into a Form or ModelForm before forms.Form: every field's errors name it plainly."""

    plain_error_codes_kept: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            own = self._declared_error_messages(name)
            label = field.label or name.replace("_", " ").capitalize()
            for code, text in plain_error_messages(field, label).items():
                if code not in own:
                    field.error_messages[code] = text

    def _declared_error_messages(self, name: str) -> dict:
        """Messages the form's author set on this field (kept as written)."""
        declared = getattr(type(self), "base_fields", {}).get(name)
        if declared is None:
            return {}
        defaults = {}
        for klass in reversed(type(declared).__mro__):
            defaults.update(getattr(klass, "default_error_messages", {}))
        return {
            code: text for code, text in declared.error_messages.items() if defaults.get(code) is not text
        }
