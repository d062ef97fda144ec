from django.urls import path

from appraisal.openness import dept_views as views

app_name = "openness_dept"

urlpatterns = [
    path("", views.finding_list, name="list"),
    path("<int:pk>/", views.finding_detail, name="detail"),
]
