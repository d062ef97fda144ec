"""The liaison portal's filing form: the public form's fields, worded for someone who files on
an enterprise's behalf (a liaison point or supervisor is not the complainant)."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.forms import DESCRIPTION_MAX, DESCRIPTION_MIN, IdentityMode, LiaisonComplaintForm
from core.forms import plain_error_messages


class OnBehalfComplaintForm(LiaisonComplaintForm):
    """LiaisonComplaintForm with labels and help that speak of the enterprise, not of "you"."""

    LABELS = {
        "complainant_type": _("Filed on behalf of"),
        "identity_mode": _("Does the enterprise give its name?"),
        "phone": _("Contact phone"),
        "email": _("The enterprise's e-mail"),
        "desired_outcome": _("What outcome the enterprise wants"),
        "appraisal_consent": _(
            "The enterprise agrees to be e-mailed an invitation to the anonymous democratic "
            "appraisal once the complaint is closed."
        ),
    }
    IDENTITY_CHOICES = [
        (
            IdentityMode.REAL,
            _(
                "Real name: the centre may contact the enterprise. Its name and contact details are "
                "seen only by the centre's authorised staff, never by the unit complained about."
            ),
        ),
        (
            IdentityMode.ANONYMOUS,
            _(
                "Anonymous: nothing about the enterprise is stored and the centre cannot contact it; "
                "it follows the complaint with the tracking code only."
            ),
        ),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in self.LABELS.items():
            field = self.fields[name]
            field.label = label
            # The plain errors were written with the old label: they name the field as shown.
            field.error_messages.update(plain_error_messages(field, label))
        self.fields["identity_mode"].choices = self.IDENTITY_CHOICES
        self.fields["email"].help_text = _(
            "Optional. If you give one, the tracking code and the centre's notices go to this address."
        )
        self.fields["description"].help_text = gettext(
            "Who did what, when, and how it affected the enterprise (%(min)s to %(max)s characters)."
        ) % {"min": DESCRIPTION_MIN, "max": DESCRIPTION_MAX}
