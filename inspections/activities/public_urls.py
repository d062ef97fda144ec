from django.urls import path

from inspections.activities import public_views as views

app_name = "activities_public"

urlpatterns = [
    path("", views.activity_public, name="list"),
    path(
        "complain/filing/<int:pk>/",
        views.activity_complaint,
        {"subject": views.FILING},
        name="complain_filing",
    ),
    path(
        "complain/cancelled/<int:pk>/",
        views.activity_complaint,
        {"subject": views.CANCELLED},
        name="complain_cancelled",
    ),
    path("complain/", views.activity_complaint, {"subject": views.OTHER}, name="complain_other"),
]
