"""The Celery application; its configuration is read from Django's settings (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envopt.settings")

app = Celery("envopt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
