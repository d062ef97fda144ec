"""Who may inspect and for what: the departments' inspecting units (执法主体清单) and inspection
item lists (检查事项清单), maintained by staff; the item lists also imported from Excel."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_lists import ChoicesOfSmallTableFilter
from core.forms import PlainErrorsMixin
from inspections.lists_import import ITEMS_SPEC, inspection_items_import, items_template, parse_industries
from inspections.models import InspectingUnit, InspectionItem
from liaison.admin import XLSX_CONTENT_TYPE


class DepartmentFilter(ChoicesOfSmallTableFilter):
    """The department, from the small table of departments."""


class InspectingUnitForm(PlainErrorsMixin, forms.ModelForm):
    class Meta:
        model = InspectingUnit
        fields = ["department", "name", "legal_basis", "is_active"]


class InspectionItemForm(PlainErrorsMixin, forms.ModelForm):
    industries_text = forms.CharField(
        label=gettext_lazy("applicable industries"),
        required=False,
        help_text=gettext_lazy("Separated by commas, as the registry writes them. Empty: every industry."),
    )

    class Meta:
        model = InspectionItem
        fields = ["department", "code", "name", "legal_basis", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industries_text"].initial = ", ".join(self.instance.industries or [])

    def save(self, commit=True):
        self.instance.industries = parse_industries(self.cleaned_data.get("industries_text") or "")
        return super().save(commit)


class ItemsImportForm(PlainErrorsMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_CONTENT_TYPE}),
    )
    check_only = forms.BooleanField(
        label=gettext_lazy("Check only: show what would change and save nothing"), required=False
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > ITEMS_SPEC.max_file_size:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": ITEMS_SPEC.max_file_size // 2**20}
            )
        return upload


@admin.register(InspectingUnit)
class InspectingUnitAdmin(admin.ModelAdmin):
    form = InspectingUnitForm
    list_display = ["name", "department", "is_active"]
    list_filter = [("department", DepartmentFilter), "is_active"]
    search_fields = ["name", "department__name"]
    search_help_text = gettext_lazy("Search by unit or department name.")
    list_select_related = ["department"]
    autocomplete_fields = ["department"]
    list_per_page = 50


@admin.register(InspectionItem)
class InspectionItemAdmin(admin.ModelAdmin):
    form = InspectionItemForm
    change_list_template = "admin/liaison/change_list_import.html"
    list_display = ["code", "name", "department", "industry_list", "is_active"]
    list_display_links = ["code", "name"]
    list_filter = [("department", DepartmentFilter), "is_active"]
    search_fields = ["=code", "name"]
    search_help_text = gettext_lazy("Search by item code (exactly) or name.")
    list_select_related = ["department"]
    autocomplete_fields = ["department"]
    list_per_page = 50
    fields = ["department", "code", "name", "legal_basis", "industries_text", "is_active"]

    @admin.display(description=gettext_lazy("applicable industries"))
    def industry_list(self, obj):
        return "、".join(obj.industries) if obj.industries else _("every industry")

    # --- Import from Excel -----------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="inspections_inspectionitem_import",
            ),
            path(
                "import/template/",
                self.admin_site.admin_view(self.import_template_view),
                name="inspections_inspectionitem_import_template",
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra = {"has_import_permission": self.has_import_permission(request)}
        if extra["has_import_permission"]:
            extra["import_url"] = reverse("admin:inspections_inspectionitem_import")
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ItemsImportForm(request.POST or None, request.FILES or None)
        changelist_url = reverse("admin:inspections_inspectionitem_changelist")
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = inspection_items_import(
                content=upload.read(),
                actor=request.user,
                dry_run=form.cleaned_data["check_only"],
                file_name=upload.name,
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
            "columns": ITEMS_SPEC.columns,
            "key_header": f"{ITEMS_SPEC.columns[0].header} + {ITEMS_SPEC.key_column.header}",
            "template_url": reverse("admin:inspections_inspectionitem_import_template"),
            "changelist_url": changelist_url,
            "max_rows": ITEMS_SPEC.max_rows,
            "max_size_mb": ITEMS_SPEC.max_file_size // 2**20,
        }
        return TemplateResponse(request, "admin/liaison/import.html", context)

    def import_template_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        response = HttpResponse(items_template(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="inspection-items-template.xlsx"'
        return response
