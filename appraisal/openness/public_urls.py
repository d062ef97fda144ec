from django.urls import path

from appraisal.openness import public_views as views

app_name = "openness_public"

urlpatterns = [
    path("demonstration-sites/", views.demonstration_site_list, name="sites"),
]
