from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from liaison.models import Department, LiaisonPoint, Office, Supervisor


class HasEmailFilter(admin.SimpleListFilter):
    title = _("referral e-mail")
    parameter_name = "has_email"

    def lookups(self, request, model_admin):
        return [("yes", _("Has an e-mail address")), ("no", _("No e-mail address"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(email="")
        if self.value() == "no":
            return queryset.filter(email="")
        return queryset


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "system", "is_key", "email", "head_name", "is_active"]
    list_filter = ["system", "is_key", "is_active", HasEmailFilter]
    search_fields = ["name", "short_name", "email", "head_name"]
    filter_horizontal = ["members"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "system", "is_key", "is_active"]}),
        (
            _("Contacts"),
            {
                "fields": [
                    "email",
                    "phone",
                    "head_name",
                    "head_email",
                    "supervising_leader",
                    "supervising_leader_email",
                    "language",
                ]
            },
        ),
        (_("Portal"), {"fields": ["members"]}),
    ]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "head", "email"]
    search_fields = ["name"]
    autocomplete_fields = ["head"]
    filter_horizontal = ["members"]
    list_select_related = ["head"]


@admin.register(LiaisonPoint)
class LiaisonPointAdmin(admin.ModelAdmin):
    list_display = ["enterprise_name", "sector", "contact_name", "phone", "appointed_on", "status"]
    list_filter = ["status", "sector"]
    search_fields = ["enterprise_name", "contact_name", "phone", "address"]
    date_hierarchy = "appointed_on"
    autocomplete_fields = ["user"]


@admin.register(Supervisor)
class SupervisorAdmin(admin.ModelAdmin):
    list_display = ["name", "enterprise_name", "position", "phone", "appointed_on", "term_ends_on", "status"]
    list_filter = ["status"]
    search_fields = ["name", "enterprise_name", "phone"]
    date_hierarchy = "appointed_on"
    autocomplete_fields = ["user"]
