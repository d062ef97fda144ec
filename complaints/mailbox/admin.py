"""The complaint mailbox's record in the staff workplace: every message read, what became of it,
the files refused and why; staff mark what they dealt with. Sender and subject are identity and
the complainant's words: masked for staff without the identity permission (each unmasked look at
a filed complaint's sender is recorded, as on the complaint)."""

from contextvars import ContextVar

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.mailbox.services import mailbox_message_mark_handled
from complaints.models import MailboxMessage
from complaints.selectors import identity_permitted, text_for_viewer
from complaints.services import IdentityData, complaint_identity_view_record
from complaints.uploads import MESSAGES
from core.masking import mask

# Whether the viewer of the page being rendered may see identity: the ModelAdmin is shared by
# every request, so the display methods read it from here (set around the rendering).
_viewer_sees_identity: ContextVar[bool] = ContextVar("mailbox_viewer_sees_identity", default=False)


class HandledFilter(admin.SimpleListFilter):
    title = gettext_lazy("dealt with")
    parameter_name = "handled"

    def lookups(self, request, model_admin):
        return [("no", _("not yet")), ("yes", _("yes"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(handled_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(handled_at__isnull=False)
        return queryset


@admin.register(MailboxMessage)
class MailboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "read_at",
        "outcome",
        "sender",
        "subject_for_viewer",
        "complaint_link",
        "reply",
        "folder_moved",
        "handled_at",
    ]
    list_filter = ["outcome", "reply", HandledFilter, "read_at"]
    list_select_related = ["complaint"]
    date_hierarchy = "read_at"
    actions = ["mark_handled"]
    fields = [
        "read_at",
        "outcome",
        "reason",
        "complaint_link",
        "duplicate_of",
        "sender",
        "subject_for_viewer",
        "sent_at",
        "size",
        "message_id_for_viewer",
        "reply",
        "refused_files",
        "folder_moved",
        "handled_at",
        "handled_by",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing is edited here; the change permission allows "dealt with".
        return False

    def _identity(self, obj) -> IdentityData:
        return IdentityData(contact_name=obj.sender_name, email=obj.sender_email)

    def _rendered(self, request, view):
        token = _viewer_sees_identity.set(identity_permitted(request.user))
        try:
            response = view()
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response
        finally:
            _viewer_sees_identity.reset(token)

    def changelist_view(self, request, extra_context=None):
        return self._rendered(
            request, lambda: super(MailboxMessageAdmin, self).changelist_view(request, extra_context)
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.complaint_id and obj.sender_email and identity_permitted(request.user):
            # Every look at who complained is on the record (the privacy notice promises it).
            complaint_identity_view_record(complaint=obj.complaint, viewer=request.user)
        return self._rendered(
            request,
            lambda: super(MailboxMessageAdmin, self).change_view(request, object_id, form_url, extra_context),
        )

    @admin.display(description=gettext_lazy("sender"))
    def sender(self, obj):
        if _viewer_sees_identity.get():
            return f"{obj.sender_name} <{obj.sender_email}>" if obj.sender_name else obj.sender_email or "—"
        return mask(obj.sender_email) or "—"

    @admin.display(description=gettext_lazy("subject"))
    def subject_for_viewer(self, obj):
        return text_for_viewer(obj.subject, identity=self._identity(obj), can_see=_viewer_sees_identity.get())

    @admin.display(description=gettext_lazy("Message-ID"))
    def message_id_for_viewer(self, obj):
        # Its domain is often the sender's own (a small company's mail server).
        return obj.message_id if _viewer_sees_identity.get() else mask(obj.message_id)

    @admin.display(description=gettext_lazy("complaint"))
    def complaint_link(self, obj):
        if obj.complaint_id is None:
            return "—"
        url = reverse("admin:complaints_complaint_change", args=[obj.complaint_id])
        return format_html('<a href="{}">{}</a>', url, obj.complaint.reference)

    @admin.display(description=gettext_lazy("moved to folder"))
    def folder_moved(self, obj):
        return obj.folder if obj.moved_at else _("%(folder)s (not moved yet)") % {"folder": obj.folder}

    @admin.display(description=gettext_lazy("refused attachments"))
    def refused_files(self, obj):
        if not obj.refused_attachments:
            return "—"
        identity = self._identity(obj)
        can_see = _viewer_sees_identity.get()
        rows = []
        for item in obj.refused_attachments:
            name = text_for_viewer(str(item.get("name", "")), identity=identity, can_see=can_see)
            template = MESSAGES.get(item.get("code"))
            params = {**(item.get("params") or {}), "name": name}
            try:
                reason = str(template) % params if template is not None else str(item.get("code"))
            except (KeyError, TypeError, ValueError):
                reason = str(item.get("code"))
            rows.append((reason,))
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", rows))

    @admin.action(description=gettext_lazy("Mark the selected messages as dealt with"))
    def mark_handled(self, request, queryset):
        if not request.user.has_perm("complaints.change_mailboxmessage"):
            self.message_user(request, _("You may not mark mailbox messages."), messages.ERROR)
            return
        for record in queryset:
            mailbox_message_mark_handled(record=record, actor=request.user)
        self.message_user(request, _("Marked as dealt with."), messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("complaints.change_mailboxmessage"):
            actions.pop("mark_handled", None)
        return actions
