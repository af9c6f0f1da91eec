"""App config of the sandbox project itself (holds the sandbox management commands)."""

from django.apps import AppConfig


class SandboxLmsConfig(AppConfig):
    """``sandbox.lms``: seed_sandbox and friends; loads the Celery app."""

    name = "sandbox.lms"
    label = "sandbox_lms"

    def ready(self) -> None:
        """Create the Celery app so ``shared_task``s bind to it."""
        from sandbox.lms import celery  # noqa: F401
