from django.urls import path

from inspections import filing_views as views

app_name = "inspection_filing"

urlpatterns = [
    path("", views.inspection_list, name="list"),
    path("new/", views.inspection_new, name="new"),
    path("<int:pk>/", views.inspection_detail, name="detail"),
]
