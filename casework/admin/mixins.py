"""What the casework admins share: records written through the services, and the workflow
buttons' page (a small form that calls one service)."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from casework import services
from casework.selectors import identity_visible_ids
from complaints.models import Attachment, Complaint
from complaints.selectors import complaint_text_for_viewer
from complaints.services import complaint_identity_confirmation_record
from core.errors import InvalidTransition, form_add_service_error


class ServiceSaveMixin:
    """Add, change and delete pages that write through the app's services, each in one
    transaction with its timeline event, instead of ModelAdmin's own saves: a record edited in
    the admin is held to the same rules, and leaves the same trace, as one written anywhere else.

    A subclass names its services in ``service_create``, ``service_update`` and
    ``service_delete``; relations (``service_relations``) are the services' to set, so the admin
    saves none of its own."""

    service_relations: tuple[str, ...] = ()

    def service_create(self, request, *, data: dict):
        raise NotImplementedError

    def service_update(self, request, obj, *, changes: dict, data: dict) -> None:
        raise NotImplementedError

    def service_delete(self, request, obj) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data if name not in self.service_relations}
            self.service_update(request, obj, changes=changes, data=data)
            return
        saved = self.service_create(request, data=data)
        # The admin goes on with `obj` (change message, redirect): make it the saved row.
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        return None

    def delete_model(self, request, obj):
        self.service_delete(request, obj)

    def delete_queryset(self, request, queryset):
        # The bulk "delete selected" action too: one service call, one trace, per row.
        for obj in queryset:
            self.service_delete(request, obj)


def run_action_view(
    model_admin,
    request,
    *,
    obj,
    actions: dict,
    key: str,
    extra_context: dict,
    change_url: str,
    prepare_form=None,
):
    """The shared body of every workflow button: show the form, call the service, report."""
    action = actions.get(key)
    if action is None:
        raise PermissionDenied
    if not request.user.has_perm(action.permission):
        raise PermissionDenied
    form = action.form(request.POST or None, initial=action.initial(obj))
    if prepare_form:
        prepare_form(form)
    if request.method == "POST" and form.is_valid():
        try:
            action.run(case=obj, data=form.cleaned_data, actor=request.user)
        except (InvalidTransition, ValidationError) as error:
            if isinstance(error, services.IdentityInText):
                complaint_identity_confirmation_record(complaint_ids=error.complaint_ids, actor=request.user)
            # A refused step re-renders the form with what was typed; an error the service keyed
            # by a field of this form (a text that still identifies a complainant) on that field.
            form_add_service_error(form, error)
        else:
            model_admin.message_user(
                request, _("Done: %(action)s.") % {"action": action.label}, messages.SUCCESS
            )
            return redirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "form": form,
        "title": action.label,
        "object": obj,
        "change_url": change_url,
        **extra_context,
    }
    return TemplateResponse(request, "admin/casework/action.html", context)


@dataclass(frozen=True)
class ComplaintForViewer:
    """A complaint as an action form shows it: its text as this viewer may read it (masked
    without the identity permission or an approved request) and its evidence files."""

    complaint: Complaint
    description: str
    desired_outcome: str
    occurred_place: str
    attachments: list[Attachment]


def complaints_for_viewer(complaints, *, viewer) -> list[ComplaintForViewer]:
    """``complaints`` (a queryset) read for ``viewer``: three queries whatever their number."""
    rows = list(
        complaints.select_related("identity", "department").prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("created_at", "id"))
        )
    )
    visible = identity_visible_ids(viewer, [c.pk for c in rows])
    return [
        ComplaintForViewer(
            complaint=complaint,
            **{
                field: complaint_text_for_viewer(complaint, field, can_see=complaint.pk in visible)
                for field in ("description", "desired_outcome", "occurred_place")
            },
            attachments=list(complaint.attachments.all()),
        )
        for complaint in rows
    ]


def case_complaints_for_viewer(case, *, viewer) -> list[ComplaintForViewer]:
    """The complaints gathered in ``case``, the first one first."""
    complaints = Complaint.objects.filter(case_link__case=case).order_by(
        "-case_link__is_primary", "received_at"
    )
    return complaints_for_viewer(complaints, viewer=viewer)
