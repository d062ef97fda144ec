from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from core.views import (
    PortalLoginView,
    healthz,
    landing,
    metrics,
    two_factor_backup_codes,
    two_factor_setup,
    two_factor_verify,
)
from reports.dashboard.urls import public_patterns as figures_patterns

# An unexpected error under /api/ answers JSON, as every other API error does.
handler500 = "core.errors.server_error"

admin.site.site_header = _("envopt staff workplace")
admin.site.site_title = _("envopt")
admin.site.index_title = _("Complaint centre")

accounts_patterns = (
    [
        path("login/", PortalLoginView.as_view(), name="login"),
        path("logout/", auth_views.LogoutView.as_view(), name="logout"),
        path("two-factor/", two_factor_verify, name="two_factor_verify"),
        path("two-factor/setup/", two_factor_setup, name="two_factor_setup"),
        path("two-factor/backup-codes/", two_factor_backup_codes, name="two_factor_backup_codes"),
        path("", landing, name="landing"),
    ],
    "accounts",
)

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include(accounts_patterns)),
    path("complaints/", include("complaints.urls")),
    path("liaison/", include("complaints.portal_urls")),
    path("dashboard/", include("reports.dashboard.urls")),
    path("figures/", include(figures_patterns)),
    path("", include("inspections.entry_urls")),
    path("approvals/", include("approvals.public_urls")),
    path("activities/", include("inspections.activities.public_urls")),  # trainings and awards (issue 16)
    path("dept/approvals/signals/", include("approvals.dept_urls")),
    path("openness/", include("appraisal.openness.public_urls")),
    path("dept/openness/", include("appraisal.openness.dept_urls")),
    # Democratic appraisal (民主评议): the respondents' pages and the departments' results.
    path("appraisal/", include("appraisal.campaigns.urls")),
    path("dept/appraisal/", include("appraisal.campaigns.dept_urls")),
    path("dept/notifications/", include("reports.notifications.urls")),
    path("dept/inspections/plans/", include("inspections.plan_urls")),
    path("dept/inspections/", include("inspections.filing_urls")),
    path("dept/activities/", include("inspections.activities.dept_urls")),
    path("dept/", include("casework.department_urls")),
    path("api/v1/approvals/assessments/", include("reports.dashboard.assessment_api_urls")),
    path("api/v1/activities/", include("inspections.activities.api_urls")),  # trainings and awards
    path("api/v1/", include("inspections.api_urls")),
    path("api/v1/", include("casework.api_associations_urls")),  # associations (issue 16)
    path("api/v1/approvals/", include("approvals.api_urls")),
    path("api/v1/openness/", include("appraisal.openness.api_urls")),
    path("api/v1/appraisal/", include("appraisal.campaigns.api_urls")),
    path("api/", include("casework.api_urls")),
    path("admin/", admin.site.urls),
]
