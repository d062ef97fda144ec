"""Intake forms. They validate everything on the server and hand clean data to services."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Channel, ComplainantType, Rating
from complaints.pow import pow_challenge_difficulty, pow_challenge_issue, pow_verify
from complaints.services import ComplaintData, IdentityData
from complaints.uploads import prepare_uploads
from core.forms import PlainErrorsMixin
from core.validators import normalize_credit_code, normalize_phone, validate_credit_code, validate_phone
from liaison.models import Association, Department, LiaisonPoint, Supervisor

DESCRIPTION_MIN = 20
DESCRIPTION_MAX = 5000


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        # The upload checks refuse an empty file by name ("… is empty"); Django's own check
        # would refuse it first without saying which of the files it was.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def attachments_help() -> str:
    return gettext(
        "Up to %(count)s files: PDF, pictures (JPEG, PNG, GIF, WebP) or Office documents "
        "(docx, xlsx, pptx); at most %(size)s MB each and %(total)s MB in all."
    ) % {
        "count": settings.INTAKE_MAX_FILES,
        "size": settings.INTAKE_MAX_FILE_SIZE // 2**20,
        "total": settings.INTAKE_MAX_TOTAL_SIZE // 2**20,
    }


class IdentityMode:
    REAL = "real"
    ANONYMOUS = "anonymous"
    CHOICES = [
        (
            REAL,
            _(
                "Real name: the complaint centre can contact you. Your name and contact details are "
                "seen only by the centre's authorised staff, never by the department you complain about."
            ),
        ),
        (
            ANONYMOUS,
            _(
                "Anonymous: we store nothing about who you are. We cannot contact you; follow "
                "your complaint with the tracking code only."
            ),
        ),
    ]


class BaseComplaintForm(PlainErrorsMixin, forms.Form):
    """The fields every channel shares."""

    complainant_type = forms.ChoiceField(
        label=_("You complain as"),
        choices=ComplainantType.choices,
        widget=forms.RadioSelect,
        initial=ComplainantType.ENTERPRISE,
    )
    identity_mode = forms.ChoiceField(
        label=_("Real name or anonymous"),
        choices=IdentityMode.CHOICES,
        widget=forms.RadioSelect,
        initial=IdentityMode.REAL,
    )
    enterprise_name = forms.CharField(label=_("Enterprise name"), max_length=200, required=False)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=24,
        required=False,
        help_text=_("18 characters, printed on the business licence. Optional."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("Mobile or landline, e.g. 13912345678 or 0571-87654321."),
    )
    email = forms.EmailField(
        label=_("E-mail"), required=False, help_text=_("If you give one, we e-mail you the tracking code.")
    )
    department = forms.ModelChoiceField(
        label=_("Unit complained about"),
        required=False,
        queryset=Department.objects.filter(is_active=True).order_by("name"),
        empty_label=_("— choose a unit —"),
    )
    department_unknown = forms.BooleanField(
        label=_("I don't know which unit it is, or it is not listed"), required=False
    )
    department_text = forms.CharField(
        label=_("Describe the unit"),
        max_length=200,
        required=False,
        help_text=_("For example: the tax office on Renmin Road."),
    )
    association = forms.ModelChoiceField(
        label=_("Trade association or intermediary"),
        required=False,
        queryset=Association.objects.filter(is_active=True).order_by("name"),
        empty_label=_("— none, or not listed —"),
        help_text=_(
            "Only for a complaint about a trade association or market intermediary: it goes to the "
            "department that supervises it, unless you choose another unit above."
        ),
    )
    category = forms.ChoiceField(
        label=_("What kind of problem"), choices=[("", _("— choose —")), *Category.choices]
    )
    occurred_on = forms.DateField(
        label=_("When it happened"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    occurred_place = forms.CharField(label=_("Where it happened"), max_length=200, required=False)
    description = forms.CharField(
        label=_("What happened"),
        min_length=DESCRIPTION_MIN,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    desired_outcome = forms.CharField(
        label=_("What outcome do you want"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachments = MultipleFileField(label=_("Evidence files"), required=False)

    IDENTITY_FIELDS = ("enterprise_name", "credit_code", "contact_name", "phone", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Texts with numbers are translated per request, not once at import.
        self.fields["description"].help_text = gettext(
            "Who did what, when, and how it affected your business (%(min)s to %(max)s characters)."
        ) % {"min": DESCRIPTION_MIN, "max": DESCRIPTION_MAX}
        self.fields["attachments"].help_text = attachments_help()

    def clean_credit_code(self):
        value = normalize_credit_code(self.cleaned_data.get("credit_code", ""))
        if value:
            validate_credit_code(value)
        return value

    def clean_phone(self):
        value = self.cleaned_data.get("phone", "").strip()
        if value:
            validate_phone(value)
            value = normalize_phone(value)
        return value

    def clean_occurred_on(self):
        value = self.cleaned_data.get("occurred_on")
        if value and value > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."), code="future")
        return value

    def clean(self):
        data = super().clean()
        if data.get("identity_mode") == IdentityMode.ANONYMOUS:
            # Anonymous means nothing about the complainant is kept, whatever was typed.
            for name in self.IDENTITY_FIELDS:
                data[name] = ""
                self.errors.pop(name, None)
        else:
            if not data.get("contact_name"):
                self.add_error("contact_name", _("Tell us whom to contact, or choose anonymous."))
            if (
                not data.get("phone")
                and not data.get("email")
                and "phone" not in self.errors
                and "email" not in self.errors
            ):
                self.add_error(
                    "phone", _("Give a phone number or an e-mail address so that we can reach you.")
                )
            if data.get("complainant_type") == ComplainantType.INDIVIDUAL:
                # An individual has no enterprise: what was typed before switching is not kept.
                data["enterprise_name"] = data["credit_code"] = ""
                self.errors.pop("credit_code", None)
            elif not data.get("enterprise_name"):
                self.add_error("enterprise_name", _("Give the enterprise's name, or choose anonymous."))
        association = data.get("association")
        if association is not None and data.get("category") != Category.ASSOCIATIONS:
            self.add_error(
                "association",
                _("An association or intermediary is named only for the category “%(category)s”.")
                % {"category": Category.ASSOCIATIONS.label},
            )
        if data.get("department_unknown"):
            data["department"] = None
            if not data.get("department_text", "").strip() and association is None:
                self.add_error("department_text", _("Describe the unit as well as you can."))
        elif not data.get("department") and association is None:
            self.add_error("department", _("Choose the unit, or tick “I don't know”."))
        return data

    def clean_uploads(self) -> None:
        """Check the files by content and strip their metadata; called once the rest is valid."""
        files = self.cleaned_data.get("attachments") or []
        try:
            self.cleaned_data["uploads"] = prepare_uploads(files) if files else []
        except ValidationError as error:
            self.add_error("attachments", error)

    def complaint_data(self) -> ComplaintData:
        d = self.cleaned_data
        return ComplaintData(
            complainant_type=d["complainant_type"],
            category=d["category"],
            description=d["description"],
            department=d.get("department"),
            department_text=d.get("department_text", "") or "",
            association=d.get("association"),
            occurred_on=d.get("occurred_on"),
            occurred_place=d.get("occurred_place", ""),
            desired_outcome=d.get("desired_outcome", ""),
            # Only a named complainant with an e-mail can be invited (民主评议).
            appraisal_consent=bool(
                d.get("appraisal_consent")
                and d.get("identity_mode") != IdentityMode.ANONYMOUS
                and d.get("email")
            ),
        )

    def identity_data(self) -> IdentityData | None:
        d = self.cleaned_data
        if d["identity_mode"] == IdentityMode.ANONYMOUS:
            return None
        return IdentityData(
            contact_name=d["contact_name"],
            phone=d["phone"],
            email=d["email"],
            enterprise_name=d["enterprise_name"],
            credit_code=d["credit_code"],
        )

    # Read per use, not at import, so that a changed setting is what the page says.
    @property
    def max_files(self) -> int:
        return settings.INTAKE_MAX_FILES

    @property
    def max_file_size(self) -> int:
        return settings.INTAKE_MAX_FILE_SIZE

    @property
    def max_total_size(self) -> int:
        return settings.INTAKE_MAX_TOTAL_SIZE

    @property
    def files_were_dropped(self) -> bool:
        """A re-rendered form cannot keep chosen files; the template says so."""
        return self.is_bound and bool(self.files.getlist("attachments")) and bool(self.errors)


class AppraisalConsentMixin(forms.Form):
    """The complainant may agree to be invited to the democratic appraisal (民主评议) once the
    case is closed; off unless ticked."""

    appraisal_consent = forms.BooleanField(
        label=_(
            "Once my complaint is closed, the complaint centre may e-mail me an invitation to "
            "appraise the departments anonymously (democratic appraisal)."
        ),
        required=False,
        initial=False,
    )


class PublicComplaintForm(AppraisalConsentMixin, BaseComplaintForm):
    consent = forms.BooleanField(
        label=_(
            "I have read the privacy notice and agree that the complaint centre processes this "
            "complaint as it describes."
        ),
        error_messages={"required": _("Please agree to the privacy notice to file your complaint.")},
    )
    pow_challenge = forms.CharField(widget=forms.HiddenInput, required=False)
    pow_nonce = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each rendering carries a fresh challenge; a used one cannot be replayed.
        self.challenge = pow_challenge_issue()
        self.pow_difficulty = pow_challenge_difficulty(self.challenge)

    def clean(self):
        data = super().clean()
        try:
            pow_verify(data.get("pow_challenge", ""), data.get("pow_nonce", ""))
        except ValidationError as error:
            self.add_error(None, error)
        if not self.errors:
            self.clean_uploads()
        return data


class StaffComplaintForm(BaseComplaintForm):
    """A complaint that reached the centre another way, recorded by staff."""

    channel = forms.ChoiceField(
        label=_("Channel"), choices=[c for c in Channel.choices if c[0] != Channel.WEB]
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        required=False,
        help_text=_(
            "Who passed it on: the letter's reference, the higher authority's "
            "document number, the media outlet."
        ),
    )
    received_at = forms.DateTimeField(
        label=_("Received at"),
        initial=timezone.now,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    liaison_point = forms.ModelChoiceField(
        label=_("Liaison point"), required=False, queryset=LiaisonPoint.objects.order_by("enterprise_name")
    )
    supervisor = forms.ModelChoiceField(
        label=_("Supervisor"), required=False, queryset=Supervisor.objects.order_by("name")
    )

    def clean(self):
        data = super().clean()
        if data.get("channel") == Channel.LIAISON_POINT and not data.get("liaison_point"):
            self.add_error("liaison_point", _("Choose the liaison point it came from."))
        if data.get("channel") == Channel.SUPERVISOR and not data.get("supervisor"):
            self.add_error("supervisor", _("Choose the supervisor it came from."))
        if data.get("received_at") and data["received_at"] > timezone.now():
            self.add_error("received_at", _("The date cannot be in the future."))
        if not self.errors:
            self.clean_uploads()
        return data


class LiaisonComplaintForm(AppraisalConsentMixin, BaseComplaintForm):
    """Filed by a liaison point or supervisor on an enterprise's behalf."""

    def clean(self):
        data = super().clean()
        if not self.errors:
            self.clean_uploads()
        return data


class TrackForm(PlainErrorsMixin, forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class SupplementForm(PlainErrorsMixin, forms.Form):
    text = forms.CharField(
        label=_("Additional information"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = MultipleFileField(label=_("More evidence files"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help()

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("attachments"):
            raise ValidationError(_("Write something or attach a file to add to your complaint."))
        files = data.get("attachments") or []
        try:
            data["uploads"] = prepare_uploads(files) if files else []
        except ValidationError as error:
            self.add_error("attachments", error)
        return data


class RatingForm(PlainErrorsMixin, forms.Form):
    level = forms.ChoiceField(
        label=_("How satisfied are you with the outcome?"),
        choices=Rating.Level.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class MessageReplyForm(PlainErrorsMixin, forms.Form):
    """The complainant's answer on the tracking page: text and evidence files, through the same
    upload checks as a supplement."""

    text = forms.CharField(
        label=_("Your answer"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = MultipleFileField(label=_("Files with your answer"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help()

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("attachments"):
            self.add_error("text", _("Write your answer or attach a file."))
            return data
        files = data.get("attachments") or []
        try:
            data["uploads"] = prepare_uploads(files) if files else []
        except ValidationError as error:
            self.add_error("attachments", error)
        return data
