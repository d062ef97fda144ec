"""The department's results pages, mounted at /dept/appraisal/ by envopt/urls.py."""

from django.urls import path

from appraisal.campaigns import views

app_name = "appraisal_dept"

urlpatterns = [
    path("", views.department_list, name="list"),
    path("<int:pk>/", views.department_results, name="results"),
]
