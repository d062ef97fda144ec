"""The enterprise registry (企业库) in the admin: a list fit for 200,000 rows, found by name or
by credit code, filtered by district, industry, risk class and the no-disturbance flag, and
imported from Excel like the rest of the directory (all or nothing, every error listed)."""

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.admin_lists import BigTableAdminMixin
from core.forms import PlainErrorsMixin
from core.outage import OUTAGE_ERRORS
from core.validators import normalize_credit_code, validate_credit_code
from liaison.admin import XLSX_CONTENT_TYPE, DirectoryImportMixin
from liaison.admin_links import enterprise_admin_links
from liaison.imports import ENTERPRISES, directory_columns, directory_import, directory_spec
from liaison.models import DirectoryImport, Enterprise

# The districts and industries in the filters: read from the registry at most this often.
CHOICES_CACHE_SECONDS = 300


class _RegistryValuesFilter(admin.SimpleListFilter):
    """The registry's districts (or industries) as a filter: ``DISTINCT`` over 200,000 rows is
    not for every page view, so the values are cached for a few minutes."""

    field_name = ""

    def lookups(self, request, model_admin):
        key = f"enterprise-admin-{self.field_name}-values"
        try:
            values = cache.get(key)
        except OUTAGE_ERRORS:  # the cache is down: read them now (core.outage)
            values, key = None, None
        if values is None:
            values = list(
                Enterprise.objects.exclude(**{self.field_name: ""})
                .order_by(self.field_name)
                .values_list(self.field_name, flat=True)
                .distinct()[:500]
            )
            if key is not None:
                cache.set(key, values, CHOICES_CACHE_SECONDS)
        return [(value, value) for value in values]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field_name: self.value()})
        return queryset


class DistrictFilter(_RegistryValuesFilter):
    title = gettext_lazy("district")
    parameter_name = "district"
    field_name = "district"


class IndustryFilter(_RegistryValuesFilter):
    title = gettext_lazy("industry")
    parameter_name = "industry"
    field_name = "industry"


class EnterpriseForm(PlainErrorsMixin, forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "credit_code",
            "name",
            "address",
            "district",
            "industry",
            "risk_class",
            "no_disturbance",
            "is_active",
        ]

    def clean_credit_code(self):
        # Stored as the complaint form stores it: no spaces, upper case, half-width.
        return normalize_credit_code(self.cleaned_data["credit_code"])


class EnterpriseImportForm(PlainErrorsMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_CONTENT_TYPE}),
    )
    check_only = forms.BooleanField(
        label=gettext_lazy("Check only: show what would change and save nothing"), required=False
    )

    def __init__(self, *args, max_size: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_size = max_size

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_size:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": self.max_size // 2**20}
            )
        return upload


def credit_code_searched(term: str) -> str | None:
    """The credit code a search term is, or None: such a search is one unique-index lookup."""
    code = normalize_credit_code(term)
    try:
        validate_credit_code(code)
    except ValidationError:
        return None
    return code


@admin.register(Enterprise)
class EnterpriseAdmin(BigTableAdminMixin, DirectoryImportMixin, admin.ModelAdmin):
    form = EnterpriseForm
    import_kind = ENTERPRISES
    list_display = [
        "enterprise",
        "credit_code",
        "district",
        "industry",
        "risk_class",
        "no_disturbance",
        "is_active",
    ]
    list_link_field = "enterprise"
    list_filter = [DistrictFilter, IndustryFilter, "risk_class", "no_disturbance", "is_active"]
    search_fields = ["name"]
    search_help_text = gettext_lazy(
        "A full unified social credit code finds that enterprise; other text searches the names."
    )
    ordering = ["name", "id"]
    list_per_page = 50
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["credit_code", "name", "address", "district", "industry"]}),
        (
            pgettext_lazy("enterprise admin", "Inspections"),
            {"fields": ["risk_class", "no_disturbance", "is_active"]},
        ),
        (gettext_lazy("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description=gettext_lazy("name"), ordering="name")
    def enterprise(self, obj):
        return obj.name

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Links to the enterprise's pages in the apps above the directory (its supervision code…),
        # which register them with liaison.admin_links: liaison imports none of them.
        context["enterprise_links"] = enterprise_admin_links(request, obj) if obj is not None else []
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_search_results(self, request, queryset, search_term):
        # A name is found through the trigram index on UPPER(name) (migration 0006), which serves
        # the admin's icontains; a credit code through its unique index.
        code = credit_code_searched(search_term)
        if code is not None:
            # The unique index on credit_code: one lookup, never a scan of 200,000 names.
            return queryset.filter(credit_code=code), False
        return super().get_search_results(request, queryset, search_term)

    def import_view(self, request):
        # The directory's upload page, with the registry's own limits (a registry file is far
        # larger than a list of departments).
        if not self.has_import_permission(request):
            raise PermissionDenied
        spec = directory_spec(self.import_kind)
        form = EnterpriseImportForm(request.POST or None, request.FILES or None, max_size=spec.max_file_size)
        changelist_url = reverse(f"admin:{self._url_name('changelist')}")
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = directory_import(
                kind=self.import_kind,
                content=upload.read(),
                actor=request.user,
                dry_run=form.cleaned_data["check_only"],
                file_name=upload.name,
                source=DirectoryImport.Source.WORKPLACE,
            )
            if result.ok and not result.dry_run:
                self.message_user(request, result.summary(), messages.SUCCESS)
                return redirect(changelist_url)
            if result.ok:
                self.message_user(request, result.summary(), messages.INFO)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import %(things)s from Excel") % {"things": self.opts.verbose_name_plural},
            "form": form,
            "result": result,
            "file_errors": [e for e in result.errors if e.row is None] if result else [],
            "row_errors": [e for e in result.errors if e.row is not None] if result else [],
            "columns": directory_columns(self.import_kind),
            "key_header": spec.key_column.header,
            "template_url": reverse(f"admin:{self._url_name('import_template')}"),
            "changelist_url": changelist_url,
            "max_rows": spec.max_rows,
            "max_size_mb": spec.max_file_size // 2**20,
        }
        return TemplateResponse(request, "admin/liaison/import.html", context)
