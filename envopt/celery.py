"""The Celery application; its configuration is read from Django's settings (CELERY_*).

Workers and beat log through Django's LOGGING (JSON or plain, with the task's id and the request
id that queued it, redacted as the web process's lines are) instead of Celery's own format:
a receiver of ``setup_logging`` makes Celery leave the root logger alone.
"""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "envopt.settings")

app = Celery("envopt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def logging_from_django_settings(**kwargs) -> None:
    logging.config.dictConfig(settings.LOGGING)
