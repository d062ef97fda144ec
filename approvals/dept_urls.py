from django.urls import path

from approvals import dept_views as views

app_name = "approvals_dept"

urlpatterns = [
    path("", views.signal_list, name="list"),
    path("<int:pk>/", views.signal_detail, name="detail"),
]
