"""The roles' groups in the staff workplace: shown by their translated label, and their stored
name (the key setup_roles finds them by) not editable."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from envopt.setup.roles import is_role_group, role_group_label

admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(GroupAdmin):
    list_display = ["label", "members"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("user", distinct=True))

    @admin.display(description=pgettext_lazy("user role", "Role or group"), ordering="name")
    def label(self, group: Group) -> str:
        return role_group_label(group)

    @admin.display(description=_("Members"), ordering="member_count")
    def members(self, group: Group) -> int:
        return group.member_count

    def get_fields(self, request, obj=None):
        if obj is not None and is_role_group(obj):
            return ["label", "role_note", "permissions"]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and is_role_group(obj):
            return ["label", "role_note"]
        return super().get_readonly_fields(request, obj)

    @admin.display(description=pgettext_lazy("user role", "About this role"))
    def role_note(self, group: Group) -> str:
        return _(
            "A role of the system: its name cannot be changed here, and its permissions are set back "
            "to the role's own each time the system is updated."
        )
