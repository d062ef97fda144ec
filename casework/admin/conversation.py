"""The case's conversation buttons: an internal note (staff only) and a message to the
complainant through the tracking code. Both are on the case's timeline; registered into the
case page's workflow buttons (CASE_ACTIONS)."""

from django.utils.translation import gettext_lazy

from casework import services
from casework.admin.cases import CASE_ACTIONS, CaseAction
from casework.conversation_forms import ComplainantMessageForm, InternalNoteForm


def _run_note(*, case, data, actor):
    return services.case_note_add(case=case, text=data["text"], actor=actor)


def _run_message(*, case, data, actor):
    return services.case_message_send(
        case=case, text=data["text"], complaint=data.get("complaint"), actor=actor
    )


CASE_ACTIONS.update(
    {
        "note": CaseAction(
            gettext_lazy("Add an internal note"),
            InternalNoteForm,
            lambda case: True,
            _run_note,
        ),
        "message": CaseAction(
            gettext_lazy("Message the complainant"),
            ComplainantMessageForm,
            # Closed cases too: a complainant may be asked about the outcome.
            lambda case: True,
            _run_message,
            lambda case: {"case": case},
        ),
    }
)
