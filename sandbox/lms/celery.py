"""The sandbox LMS's Celery app (edx-platform's is ``lms.celery.APP``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.lms.settings")

APP = Celery("sandbox_lms")
APP.config_from_object("django.conf:settings", namespace="CELERY")
APP.set_default()
APP.autodiscover_tasks()
