"""URLs of the leaders' dashboard and of the public figures.

Mounted by the project as::

    path("dashboard/", include("reports.dashboard.urls")),                  # namespace "dashboard"
    path("figures/", include(reports.dashboard.urls.public_patterns)),     # namespace "figures"
"""

from django.urls import path

from reports.dashboard import assessment_views
from reports.dashboard import views as dashboard_views

app_name = "dashboard"

urlpatterns = [
    path("", dashboard_views.dashboard, name="index"),
    path("dashboard.xlsx", dashboard_views.dashboard_xlsx, name="xlsx"),
    path("league-table.xlsx", dashboard_views.league_xlsx, name="league_xlsx"),
    path("assessment/", assessment_views.assessment, name="assessment"),
    path("assessment/publish/", assessment_views.assessment_publish_view, name="assessment_publish"),
    path(
        "assessment/<int:pk>/recommendation/",
        assessment_views.assessment_recommendation_issue_view,
        name="assessment_recommendation",
    ),
    path("bulletin/", assessment_views.bulletin, name="bulletin"),
    path("bulletin.xlsx", assessment_views.bulletin_xlsx, name="bulletin_xlsx"),
]

public_patterns = (
    [path("", dashboard_views.public_figures, name="index")],
    "figures",
)
