"""The roles' groups in the staff workplace: shown by their translated label, and their stored
name (the key setup_roles finds them by) not editable."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.db.models import Case, Count, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from envopt.setup.roles import ROLES, is_role_group, role_group_label

admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(GroupAdmin):
    list_display = ["label", "members"]
    # The roles in the order of the role table (from the administrator to the liaison points),
    # then the groups staff made, by name: the stored keys' alphabet means nothing to a reader.

    def get_ordering(self, request):
        # Other admins order their group pickers with this too, on the plain Group queryset.
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "auth_group_changelist":
            return ["role_order", "name"]
        return ["name"]

    def get_queryset(self, request):
        role_order = Case(
            *(When(name=role["group"], then=Value(index)) for index, role in enumerate(ROLES.values())),
            default=Value(len(ROLES)),
            output_field=IntegerField(),
        )
        # Not super(): it orders by ``ordering`` before the annotation exists.
        members = Count("user", distinct=True)
        return self.model._default_manager.annotate(member_count=members, role_order=role_order).order_by(
            "role_order", "name"
        )

    @admin.display(description=pgettext_lazy("user role", "Role or group"), ordering="role_order")
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
