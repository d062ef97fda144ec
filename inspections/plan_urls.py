from django.urls import path

from inspections import plan_views as views

app_name = "inspection_plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<int:pk>/", views.plan_detail, name="detail"),
]
