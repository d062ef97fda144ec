from django.urls import path

from approvals import public_views as views

app_name = "approvals_public"

urlpatterns = [
    path("complain/", views.applicant_lookup, name="lookup"),
    path("complain/form/", views.applicant_complaint, name="complain"),
]
