"""Supervision codes in the staff workplace: issue an enterprise's code, print or download its
QR code, rotate it. The secret is shown once, on the page that answers the issue or the rotation
(like a complaint's tracking-code receipt), and never stored in the clear: afterwards only a new
rotation shows a link again."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import PlainErrorsMixin
from inspections.models import SupervisionCode
from inspections.services.codes import code_issue, code_link, code_rotate, code_svg_data_uri
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


@admin.register(SupervisionCode)
class SupervisionCodeAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "credit_code", "issued_at")
    list_select_related = ("enterprise",)
    search_fields = ("enterprise__name", "=enterprise__credit_code")
    ordering = ("-issued_at",)
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

    def _page(self, request, enterprise, *, secret: str | None = None, form=None):
        code = SupervisionCode.objects.filter(enterprise=enterprise).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Supervision code of %(enterprise)s") % {"enterprise": enterprise.name},
            "enterprise": enterprise,
            "code": code,
            "secret_link": code_link(secret) if secret else "",
            "qr_svg": code_svg_data_uri(secret) if secret else "",
            "can_change": request.user.has_perm(PERMISSION),
            "form": form,
        }
        response = TemplateResponse(request, "admin/inspections/supervisioncode/code.html", context)
        response["Cache-Control"] = "no-store"  # the secret is on this page, once
        return response

    def enterprise_code_view(self, request, enterprise_id: int):
        enterprise = get_object_or_404(Enterprise, pk=enterprise_id)
        if not request.user.has_perm("inspections.view_supervisioncode"):
            raise PermissionDenied
        if request.method == "POST":
            if not request.user.has_perm(PERMISSION):
                raise PermissionDenied
            exists = SupervisionCode.objects.filter(enterprise=enterprise).exists()
            if exists:
                secret = code_rotate(enterprise=enterprise, actor=request.user)
                self.log_change(request, enterprise.supervision_code, _("Supervision code rotated."))
                messages.warning(request, _("A new code was made: the old printed code no longer works."))
            else:
                secret = code_issue(enterprise=enterprise, actor=request.user)
                self.log_addition(request, enterprise.supervision_code, _("Supervision code issued."))
            # Post/redirect/get, so that reloading the page cannot rotate the code again; the secret
            # waits in the cache (never the database) for this user, for the next page only.
            cache.set(_receipt_key(request, enterprise), secret, timeout=RECEIPT_SECONDS)
            return redirect(request.path)
        secret = cache.get(_receipt_key(request, enterprise))
        if secret is not None:
            cache.delete(_receipt_key(request, enterprise))
        return self._page(request, enterprise, secret=secret)

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
