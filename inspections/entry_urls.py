"""Scan-to-enter and the enterprise's own page (/e/…), and the department's rating aggregates.
Mounted at the site root by one include in envopt/urls.py."""

from django.urls import path

from inspections import entry_views

app_name = "inspection_entry"

urlpatterns = [
    path("e/", entry_views.entry_home, name="home"),
    path("e/disturbed/", entry_views.inspection_disturbed, name="disturbed"),
    path("e/<str:secret>/", entry_views.entry_open, name="open"),
    path("dept/inspections/ratings/", entry_views.department_ratings, name="department_ratings"),
]
