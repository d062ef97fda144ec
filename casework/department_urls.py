from django.urls import path

from casework import department_views as views

app_name = "department_portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral"),
    path("recommendations/<int:pk>/", views.recommendation_detail, name="recommendation"),
]
