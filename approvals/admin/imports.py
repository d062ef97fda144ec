"""The import page both approval admins share: upload, check only or save, every error listed
(the directory's import template)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import PlainErrorsMixin
from liaison.admin import XLSX_CONTENT_TYPE


class ImportForm(PlainErrorsMixin, forms.Form):
    file = forms.FileField(label=gettext_lazy("Workbook (.xlsx)"))
    check_only = forms.BooleanField(
        label=gettext_lazy("Check only: show what would change and save nothing"), required=False
    )

    def __init__(self, *args, spec, accept: str, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.fields["file"].widget = forms.ClearableFileInput(attrs={"accept": accept})
        if label:
            self.fields["file"].label = label

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.spec.max_file_size:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": self.spec.max_file_size // 2**20}
            )
        return upload


class ImportMixin:
    """An "Import" button on the changelist, the upload page and the blank template."""

    change_list_template = "admin/liaison/change_list_import.html"
    import_spec = None
    import_service = None  # (content=, actor=, dry_run=, file_name=) -> ImportResult
    import_template = None  # () -> bytes
    import_template_name = "template.xlsx"
    import_accept = ".xlsx," + XLSX_CONTENT_TYPE
    import_file_label = None
    import_key_header = ""

    def _import_name(self, suffix: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{suffix}"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name=self._import_name("import")),
            path(
                "import/template/",
                self.admin_site.admin_view(self.import_template_view),
                name=self._import_name("import_template"),
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        raise NotImplementedError

    def changelist_view(self, request, extra_context=None):
        extra = {"has_import_permission": self.has_import_permission(request)}
        if extra["has_import_permission"]:
            extra["import_url"] = reverse(f"admin:{self._import_name('import')}")
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportForm(
            request.POST or None,
            request.FILES or None,
            spec=self.import_spec,
            accept=self.import_accept,
            label=self.import_file_label,
        )
        changelist_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = self.import_service(
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
        spec = self.import_spec
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import %(things)s from a file") % {"things": self.opts.verbose_name_plural},
            "form": form,
            "result": result,
            "file_errors": [e for e in result.errors if e.row is None] if result else [],
            "row_errors": [e for e in result.errors if e.row is not None] if result else [],
            "columns": spec.columns,
            "key_header": self.import_key_header or spec.key_column.header,
            "template_url": reverse(f"admin:{self._import_name('import_template')}"),
            "changelist_url": changelist_url,
            "max_rows": spec.max_rows,
            "max_size_mb": spec.max_file_size // 2**20,
        }
        return TemplateResponse(request, "admin/liaison/import.html", context)

    def import_template_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        response = HttpResponse(self.import_template(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{self.import_template_name}"'
        return response
