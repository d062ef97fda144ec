"""Supervision codes in the staff workplace: issue an enterprise's code, print the QR code for
its wall and the letter with its private link, rotate either one apart from the other. A secret
is shown once, on the page that answers the issue or the rotation (like a complaint's
tracking-code receipt), and never stored in the clear: afterwards only a new rotation shows it
again.

The enterprise's page in the directory links here through liaison's link registry (liaison may
not import inspections): the provider is registered below, when the admin loads this module."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import PlainErrorsMixin
from inspections.models import SupervisionCode
from inspections.services.codes import (
    PRIVATE,
    SCAN,
    code_issue,
    code_private_rotate,
    code_scan_rotate,
    private_link,
    qr_svg_data_uri,
    scan_link,
)
from liaison.admin_links import enterprise_admin_link_register
from liaison.models import Enterprise

PERMISSION = "inspections.change_supervisioncode"
RECEIPT_SECONDS = 600


def _receipt_key(request, enterprise) -> str:
    return f"inspections:code-receipt:{request.user.pk}:{request.session.session_key}:{enterprise.pk}"


class CodeIssueForm(PlainErrorsMixin, forms.Form):
    credit_code = forms.CharField(
        label=gettext_lazy("Unified social credit code of the enterprise"), max_length=18
    )

    def clean_credit_code(self):
        value = self.cleaned_data["credit_code"].strip().upper()
        enterprise = Enterprise.objects.filter(credit_code=value).first()
        if enterprise is None:
            raise forms.ValidationError(gettext_lazy("No enterprise in the registry has this credit code."))
        self.enterprise = enterprise
        return value


class PrivateLinkFilter(admin.SimpleListFilter):
    """Codes made before the private link existed have none: staff find them here to issue it."""

    title = gettext_lazy("private link")
    parameter_name = "private_link"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Issued")), ("no", gettext_lazy("Not issued yet"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(private_hash__isnull=self.value() == "no")
        return queryset


@admin.register(SupervisionCode)
class SupervisionCodeAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "credit_code", "scan_issued_at", "private_issued_at")
    list_select_related = ("enterprise",)
    list_filter = (PrivateLinkFilter,)
    search_fields = ("enterprise__name", "=enterprise__credit_code")
    ordering = ("-scan_issued_at",)
    show_full_result_count = False  # 200,000 enterprises

    @admin.display(description=gettext_lazy("unified social credit code"), ordering="enterprise__credit_code")
    def credit_code(self, obj):
        return obj.enterprise.credit_code

    def has_add_permission(self, request):
        return request.user.has_perm(PERMISSION)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "enterprise/<int:enterprise_id>/",
                self.admin_site.admin_view(self.enterprise_code_view),
                name="{}_{}_enterprise".format(*info),
            ),
            *super().get_urls(),
        ]

    def _page(self, request, enterprise, *, secrets: dict | None = None):
        secrets = secrets or {}
        code = SupervisionCode.objects.filter(enterprise=enterprise).first()
        scan = scan_link(secrets[SCAN]) if secrets.get(SCAN) else ""
        private = private_link(secrets[PRIVATE]) if secrets.get(PRIVATE) else ""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Supervision code of %(enterprise)s") % {"enterprise": enterprise.name},
            "enterprise": enterprise,
            "code": code,
            "scan_link": scan,
            "scan_qr": qr_svg_data_uri(scan) if scan else "",
            "private_link": private,
            "private_qr": qr_svg_data_uri(private) if private else "",
            "can_change": request.user.has_perm(PERMISSION),
        }
        response = TemplateResponse(request, "admin/inspections/supervisioncode/code.html", context)
        response["Cache-Control"] = "no-store"  # a secret may be on this page, once
        return response

    def _issue_or_rotate(self, request, enterprise) -> dict | None:
        """The secrets made by this POST, or None when it asked for nothing known."""
        code = SupervisionCode.objects.filter(enterprise=enterprise).first()
        which = request.POST.get("which")
        if code is None:
            made = code_issue(enterprise=enterprise, actor=request.user)
            self.log_addition(request, enterprise.supervision_code, _("Supervision code issued."))
            return {SCAN: made.scan, PRIVATE: made.private}
        if which == SCAN:
            secret = code_scan_rotate(enterprise=enterprise, actor=request.user)
            self.log_change(request, code, _("New QR code made (scan secret rotated)."))
            messages.warning(request, _("A new QR code was made: the one on the wall no longer works."))
            return {SCAN: secret}
        if which == PRIVATE:
            first = code.private_hash is None
            secret = code_private_rotate(enterprise=enterprise, actor=request.user)
            if first:
                self.log_change(request, code, _("Private link issued."))
            else:
                self.log_change(request, code, _("New private link made (private secret rotated)."))
                messages.warning(
                    request, _("A new private link was made: the enterprise's old link no longer works.")
                )
            return {PRIVATE: secret}
        return None

    def enterprise_code_view(self, request, enterprise_id: int):
        enterprise = get_object_or_404(Enterprise, pk=enterprise_id)
        if not request.user.has_perm("inspections.view_supervisioncode"):
            raise PermissionDenied
        if request.method == "POST":
            if not request.user.has_perm(PERMISSION):
                raise PermissionDenied
            made = self._issue_or_rotate(request, enterprise)
            if made is None:
                return HttpResponseBadRequest()
            # Post/redirect/get, so that reloading the page cannot rotate the code again; the
            # secrets wait in the cache (never the database) for this user, for the next page only.
            cache.set(_receipt_key(request, enterprise), made, timeout=RECEIPT_SECONDS)
            return redirect(request.path)
        made = cache.get(_receipt_key(request, enterprise))
        if made is not None:
            cache.delete(_receipt_key(request, enterprise))
        return self._page(request, enterprise, secrets=made if isinstance(made, dict) else None)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CodeIssueForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            return redirect(
                reverse("admin:inspections_supervisioncode_enterprise", args=[form.enterprise.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Supervision code for an enterprise"),
            "form": form,
        }
        return TemplateResponse(request, "admin/inspections/supervisioncode/choose.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect(reverse("admin:inspections_supervisioncode_enterprise", args=[object_id]))


def supervision_code_link(request, enterprise):
    """The enterprise's page in the directory links to its supervision code (liaison's registry)."""
    if not request.user.has_perm("inspections.view_supervisioncode"):
        return None
    return (
        gettext_lazy("Supervision code (QR code and private link)"),
        reverse("admin:inspections_supervisioncode_enterprise", args=[enterprise.pk]),
    )


enterprise_admin_link_register(supervision_code_link)
