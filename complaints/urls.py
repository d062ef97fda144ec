from django.urls import path

from complaints import views

app_name = "complaints"

urlpatterns = [
    path("new/", views.complaint_new, name="new"),
    path("submitted/", views.complaint_submitted, name="submitted"),
    path("track/", views.complaint_track, name="track"),
    path("track/status/", views.complaint_status, name="status"),
    path("track/status/reply/", views.complaint_message_reply_view, name="reply"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
