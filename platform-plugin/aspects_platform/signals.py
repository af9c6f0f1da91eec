"""Signal receivers: after the transaction commits, enqueue the task that writes ClickHouse.

Enablement is checked here (nothing is enqueued for a disabled sink) and again in the task.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import post_delete, post_save, pre_save
from edx_django_utils.plugins.constants import PluginSignals

from aspects_platform import retirement, tasks
from aspects_platform.apps import PLATFORM_RECEIVERS
from aspects_platform.sinks import (
    CourseEnrollmentSink,
    CourseOverviewSink,
    ExternalIdSink,
    ObjectTagSink,
    TagSink,
    TaxonomySink,
    UserProfileSink,
    UserRetirementSink,
    get_model,
)

log = logging.getLogger(__name__)


def _enqueue_after_commit(task, *args: Any, using: str | None = None) -> None:
    """Send ``task`` once the current transaction commits (at once outside a transaction)."""

    def send() -> None:
        try:
            task.delay(*args)
        except Exception:
            # Never break the LMS request that saved the object; the dump command can backfill.
            log.exception("Could not enqueue %s%r", task.name, args)

    transaction.on_commit(send, using=using or DEFAULT_DB_ALIAS)


#: Set on a UserProfile by pre_save when the save changes nothing the sink exports.
_EXPORT_UNCHANGED = "_aspects_export_unchanged"


def on_user_profile_pre_save(
    sender, instance, raw: bool = False, using: str | None = None, update_fields=None, **kwargs
) -> None:
    """pre_save of UserProfile: note whether the save changes anything the sink exports.

    edx-platform saves the profile on every login and logout to keep the session key in
    ``meta`` (``enforce_single_login``); the sink strips that key, so such saves write
    nothing. The instance is compared with the row it overwrites: inside a transaction that
    row is read with the lock the UPDATE takes next, so a concurrent change cannot hide.
    """
    instance.__dict__.pop(_EXPORT_UNCHANGED, None)
    if raw or instance.pk is None or not UserProfileSink.is_enabled():
        return
    fields = UserProfileSink.profile_fields()
    if update_fields is not None and not set(update_fields) & set(fields):
        instance.__dict__[_EXPORT_UNCHANGED] = True
        return
    using = using or DEFAULT_DB_ALIAS
    lock = connections[using].in_atomic_block
    before = UserProfileSink.stored_state(sender, instance.pk, using, lock)
    if before is not None:
        now = UserProfileSink.exported_state(lambda field: getattr(instance, field))
        instance.__dict__[_EXPORT_UNCHANGED] = before == now


def on_user_profile_saved(
    sender, instance, created: bool = False, using: str | None = None, **kwargs
) -> None:
    """post_save of UserProfile: write it, unless nothing the sink exports changed."""
    unchanged = instance.__dict__.pop(_EXPORT_UNCHANGED, False)
    if UserProfileSink.is_enabled() and (created or not unchanged):
        _enqueue_after_commit(
            tasks.dump_object_to_clickhouse, "user_profile", instance.pk, using=using
        )


def on_external_id_saved(sender, instance, using: str | None = None, **kwargs) -> None:
    """post_save of ExternalId."""
    if ExternalIdSink.is_enabled():
        _enqueue_after_commit(
            tasks.dump_object_to_clickhouse, "external_id", instance.pk, using=using
        )


def _enqueue_dump_if_enabled(sink, pk: Any, using: str | None) -> None:
    """Once committed, write the object ``pk`` of ``sink`` (nothing while the sink is off)."""
    if sink.is_enabled():
        _enqueue_after_commit(tasks.dump_object_to_clickhouse, sink.object_name, pk, using=using)


def _enqueue_tombstone_if_enabled(sink, pk: Any, using: str | None) -> None:
    """Once committed, mark the object ``pk`` of ``sink`` deleted in ClickHouse."""
    if sink.is_enabled():
        _enqueue_after_commit(
            tasks.delete_object_from_clickhouse, sink.object_name, pk, using=using
        )


def on_taxonomy_saved(sender, instance, using: str | None = None, **kwargs) -> None:
    """post_save of Taxonomy."""
    _enqueue_dump_if_enabled(TaxonomySink, instance.pk, using)


def on_taxonomy_deleted(sender, instance, using: str | None = None, **kwargs) -> None:
    """post_delete of Taxonomy (its tags are deleted with it, each with its own post_delete)."""
    _enqueue_tombstone_if_enabled(TaxonomySink, instance.pk, using)


def on_tag_saved(sender, instance, using: str | None = None, **kwargs) -> None:
    """post_save of Tag."""
    _enqueue_dump_if_enabled(TagSink, instance.pk, using)


def on_tag_deleted(sender, instance, using: str | None = None, **kwargs) -> None:
    """post_delete of Tag."""
    _enqueue_tombstone_if_enabled(TagSink, instance.pk, using)


def tagged_course_key(object_id: str):
    """The course an ObjectTag's ``object_id`` belongs to (a course or one of its blocks).

    None for anything else (libraries, collections, unparsable ids).
    """
    from opaque_keys import InvalidKeyError
    from opaque_keys.edx.keys import CourseKey, UsageKey
    from opaque_keys.edx.locator import CourseLocator

    for parse in (CourseKey.from_string, lambda text: UsageKey.from_string(text).context_key):
        try:
            key = parse(object_id)
        except (InvalidKeyError, AttributeError):
            continue
        return key if isinstance(key, CourseLocator) else None
    return None


def on_object_tag_saved(sender, instance, using: str | None = None, **kwargs) -> None:
    """post_save of ObjectTag: write it, and dump the tagged course again (its ``tags`` keys)."""
    _enqueue_dump_if_enabled(ObjectTagSink, instance.pk, using)
    _schedule_course_dump(tagged_course_key(instance.object_id), using)


def on_object_tag_deleted(sender, instance, using: str | None = None, **kwargs) -> None:
    """post_delete of ObjectTag: mark it deleted, and dump the tagged course again."""
    _enqueue_tombstone_if_enabled(ObjectTagSink, instance.pk, using)
    _schedule_course_dump(tagged_course_key(instance.object_id), using)


def on_course_enrollment_changed(sender=None, enrollment=None, **kwargs) -> None:
    """COURSE_ENROLLMENT_CHANGED (openedx-events): write the enrollment once committed.

    edx-platform sends it from ``update_enrollment`` on every saved change: enrollment,
    reactivation, mode change, unenrollment. ENROLL_STATUS_CHANGE and
    COURSE_ENROLLMENT_CREATED add nothing to it (and come even when nothing changed), so one
    change is one write. Events replayed from the event bus are the sending service's to write.
    """
    if enrollment is None or kwargs.get("from_event_bus"):
        return
    if not CourseEnrollmentSink.is_enabled():
        return
    user_id, course_key = enrollment.user.id, enrollment.course.course_key

    def send() -> None:
        # Runs after the commit, in the request that saved the change: never raise into it.
        try:
            model = get_model(CourseEnrollmentSink.object_name)
            pk = (
                model._default_manager.filter(user_id=user_id, course_id=course_key)
                .values_list("pk", flat=True)
                .first()
            )
        except Exception:
            log.exception(
                "Could not look up the enrollment of user %s in %s to dump it", user_id, course_key
            )
            return
        if pk is None:
            log.warning("No enrollment of user %s in %s to dump", user_id, course_key)
            return
        try:
            tasks.dump_object_to_clickhouse.delay(CourseEnrollmentSink.object_name, pk)
        except Exception:
            log.exception("Could not enqueue the dump of enrollment %s", pk)

    transaction.on_commit(send)


def on_course_published(sender, course_key=None, **kwargs) -> None:
    """COURSE_PUBLISHED: once committed, schedule one (debounced) dump of the course."""
    _schedule_course_dump(course_key)


def _schedule_course_dump(course_key, using: str | None = None) -> None:
    """Once committed, schedule one (debounced) dump of the course (None: nothing)."""
    if course_key is None or not CourseOverviewSink.is_enabled():
        return
    key = str(course_key)

    def send() -> None:
        try:
            tasks.enqueue_course_dump(key)
        except Exception:
            # Never break the publish; the dump command can backfill.
            log.exception("Could not enqueue the dump of course %s", key)

    transaction.on_commit(send, using=using or DEFAULT_DB_ALIAS)


def on_user_retirement(sender, user=None, **kwargs) -> None:
    """USER_RETIRE_LMS_MISC: record the retirement in the LMS database, then run it.

    The record is written even while the retirement sink is off, so that turning it on (and
    ``retire_users_from_clickhouse --redrive``) still retires this user. A failure here is
    logged, never raised into the platform's retirement step.
    """
    if user is None:
        return
    try:
        retirement.record(user.pk)
    except Exception:
        log.exception("Could not record the ClickHouse retirement of user %s", user.pk)
    if UserRetirementSink.is_enabled():
        _enqueue_after_commit(tasks.retire_user_from_clickhouse, user.pk)


#: Model post_save receivers: (MODEL_CONFIG object name, receiver).
MODEL_RECEIVERS: tuple[tuple[str, Callable], ...] = (
    ("user_profile", on_user_profile_saved),
    ("external_id", on_external_id_saved),
    ("taxonomy", on_taxonomy_saved),
    ("tag", on_tag_saved),
    ("object_tag", on_object_tag_saved),
)
#: Model post_delete receivers, the same way.
MODEL_DELETE_RECEIVERS: tuple[tuple[str, Callable], ...] = (
    ("taxonomy", on_taxonomy_deleted),
    ("tag", on_tag_deleted),
    ("object_tag", on_object_tag_deleted),
)
#: Model pre_save receivers, the same way.
MODEL_PRE_SAVE_RECEIVERS: tuple[tuple[str, Callable], ...] = (
    ("user_profile", on_user_profile_pre_save),
)
_MODEL_SIGNALS = (
    ("post_save", post_save, MODEL_RECEIVERS),
    ("pre_save", pre_save, MODEL_PRE_SAVE_RECEIVERS),
    ("post_delete", post_delete, MODEL_DELETE_RECEIVERS),
)


def platform_signals() -> list[tuple[str, str, Callable]]:
    """(module, signal name, receiver) of each signal in ``apps.PLATFORM_RECEIVERS``."""
    found = []
    for receiver in PLATFORM_RECEIVERS:
        module, name = receiver[PluginSignals.SIGNAL_PATH].rsplit(".", 1)
        found.append((module, name, globals()[receiver[PluginSignals.RECEIVER_FUNC_NAME]]))
    return found


def dispatch_uid(receiver: Callable) -> str:
    """The uid edx-django-utils gives a plugin receiver, so connecting twice is harmless."""
    return f"{receiver.__module__}.{receiver.__name__}"


def connect_receivers() -> list[str]:
    """Connect every receiver whose sender can be imported; returns what was connected."""
    connected = []
    for signal_name, signal, receivers in _MODEL_SIGNALS:
        for object_name, receiver in receivers:
            try:
                model = get_model(object_name)
            except ImproperlyConfigured as exc:
                log.info("Not listening to %s saves: %s", object_name, exc)
                continue
            signal.connect(receiver, sender=model, dispatch_uid=dispatch_uid(receiver))
            connected.append(f"{model.__name__}.{signal_name}")
    for module, name, receiver in platform_signals():
        try:
            signal = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            log.info("Not listening to %s.%s: not importable here", module, name)
            continue
        signal.connect(receiver, dispatch_uid=dispatch_uid(receiver))
        connected.append(name)
    return connected
