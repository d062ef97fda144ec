from django.contrib import admin

from approvals.admin.signals import ApprovalSignalAdmin
from approvals.models import ApprovalSignal

admin.site.register(ApprovalSignal, ApprovalSignalAdmin)
