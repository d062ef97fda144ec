from django.urls import path

from reports.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("<int:pk>/", views.report_detail, name="report"),
]
