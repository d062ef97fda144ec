"""Scan-to-enter (/e/…: the QR code on the wall), the enterprise's own page (/e/own/…: its
private link), and the department's rating aggregates. Mounted at the site root by one include
in envopt/urls.py. The fixed paths come before the secrets' patterns, which would match them."""

from django.urls import path

from inspections import entry_views

app_name = "inspection_entry"

urlpatterns = [
    path("e/", entry_views.entry_home, name="home"),
    path("e/own/", entry_views.enterprise_home, name="enterprise"),
    path("e/own/disturbed/", entry_views.inspection_disturbed, name="disturbed"),
    path("e/own/<str:secret>/", entry_views.enterprise_open, name="enterprise_open"),
    path("e/<str:secret>/", entry_views.entry_open, name="scan_open"),
    path("dept/inspections/ratings/", entry_views.department_ratings, name="department_ratings"),
]
