"""The project's URLs, plus the notification pages where the project does not include them yet."""

from django.urls import include, path

from envopt.urls import urlpatterns as project_urlpatterns

_wired = any(getattr(pattern, "namespace", None) == "notifications" for pattern in project_urlpatterns)

urlpatterns = list(project_urlpatterns)
if not _wired:
    urlpatterns.insert(0, path("dept/notifications/", include("reports.notifications.urls")))
