"""The respondent's pages, mounted at /appraisal/ by envopt/urls.py."""

from django.urls import path

from appraisal.campaigns import views

app_name = "appraisal"

urlpatterns = [
    path("answer/", views.answer, name="answer"),
    path("thanks/", views.thanks, name="thanks"),
    path("p/<str:key>/", views.public_answer, name="public_answer"),
    path("i/<str:token>/", views.invitation_open, name="invitation_open"),
]
