"""The admin's app config, with a default site that requires the second factor.

Kept apart from core.twofactor because INSTALLED_APPS imports this module before any
model is loaded; the site class itself is imported by name once the apps are ready.
"""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "core.twofactor_admin.StaffAdminSite"
