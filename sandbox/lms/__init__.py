"""The sandbox LMS Django project (settings, URLs, Celery app, sandbox commands)."""
