from django.urls import path

from complaints import portal_views as views

app_name = "liaison_portal"

urlpatterns = [
    path("", views.portal_home, name="home"),
    path("new/", views.portal_new, name="new"),
    path("complaints/<int:pk>/", views.portal_complaint, name="complaint"),
]
