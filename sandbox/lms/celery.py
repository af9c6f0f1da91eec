"""The sandbox LMS's Celery app (edx-platform's is ``lms.celery.APP``).

Like edx-platform (``_clear_request_cache``, a ``task_postrun`` receiver), the request cache is
cleared when a task ends in a worker (``CLEAR_REQUEST_CACHE_ON_TASK_COMPLETION``), never after
an eager task, which shares the caller's thread and cache.
"""

import os

from celery import Celery
from celery.signals import task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.lms.settings")

APP = Celery("sandbox_lms")
APP.config_from_object("django.conf:settings", namespace="CELERY")
APP.set_default()
APP.autodiscover_tasks()


@task_postrun.connect
def _clear_request_cache(task=None, **kwargs) -> None:
    """Clear the thread's request cache after a task run by a worker."""
    from django.conf import settings
    from edx_django_utils.cache import RequestCache

    eager = task is not None and task.request.is_eager
    if getattr(settings, "CLEAR_REQUEST_CACHE_ON_TASK_COMPLETION", True) and not eager:
        RequestCache.clear_all_namespaces()
