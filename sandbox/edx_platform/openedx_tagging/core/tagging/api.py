"""The tagging API functions the platform uses (sandbox only).

Mirrors openedx-learning ``openedx_tagging/core/tagging/api.py``: ``tag_object`` replaces an
object's tags of one taxonomy inside one transaction, deleting omitted ObjectTags one by one
(``post_delete`` each) before saving the new ones (``post_save`` each); ``get_object_tags``
leaves out disabled or deleted taxonomies and deleted tags.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.text import slugify

from .models import ObjectTag, Tag, Taxonomy


def create_taxonomy(
    name: str,
    description: str | None = None,
    enabled: bool = True,
    allow_multiple: bool = True,
    allow_free_text: bool = False,
    export_id: str | None = None,
) -> Taxonomy:
    """Create and save a taxonomy (export_id derived from the name when not given)."""
    if not export_id:
        export_id = f"{Taxonomy.objects.count() + 1}-{slugify(name, allow_unicode=True)}"
    taxonomy = Taxonomy(
        name=name,
        description=description or "",
        enabled=enabled,
        allow_multiple=allow_multiple,
        allow_free_text=allow_free_text,
        export_id=export_id,
    )
    taxonomy.full_clean()
    taxonomy.save()
    return taxonomy.cast()


def add_tag_to_taxonomy(
    taxonomy: Taxonomy,
    tag: str,
    parent_tag_value: str | None = None,
    external_id: str | None = None,
) -> Tag:
    """Add a tag to a closed taxonomy."""
    return taxonomy.cast().add_tag(tag, parent_tag_value, external_id)


def get_object_tags(
    object_id: str, taxonomy_id: int | None = None, include_deleted: bool = False
) -> QuerySet:
    """The object's tags, without disabled taxonomies (nor deleted ones unless asked)."""
    filters = {"taxonomy_id": taxonomy_id} if taxonomy_id else {}
    tags = ObjectTag.objects.filter(object_id=object_id, **filters).exclude(taxonomy__enabled=False)
    if not include_deleted:
        tags = tags.exclude(taxonomy=None).exclude(tag=None, taxonomy__allow_free_text=False)
    return tags.select_related("taxonomy", "tag", "tag__parent", "tag__parent__parent")


def delete_object_tags(object_id: str) -> None:
    """Delete every ObjectTag of the object."""
    ObjectTag.objects.filter(object_id=object_id).delete()


def tag_object(object_id: str, taxonomy: Taxonomy, tags: list[str]) -> None:
    """Replace the object's tags of ``taxonomy`` with ``tags`` (values of that taxonomy).

    Raises Tag.DoesNotExist for a value the (closed) taxonomy does not have.
    """
    if not isinstance(tags, list):
        raise ValueError(f"Tags must be a list, not {type(tags).__name__}.")
    taxonomy = taxonomy.cast()
    current = list(ObjectTag.objects.filter(object_id=object_id, taxonomy=taxonomy))
    new_tags: list[ObjectTag] = []
    for value in dict.fromkeys(tags):
        if taxonomy.allow_free_text:
            existing = next((t for t in current if t.value == value), None)
            if existing is None:
                new_tags.append(ObjectTag(taxonomy=taxonomy, object_id=object_id, _value=value))
            else:
                current.remove(existing)
            continue
        tag = taxonomy.tag_for_value(value.strip())
        existing = next((t for t in current if t.tag_id == tag.id), None)
        if existing is None:
            new_tags.append(ObjectTag(taxonomy=taxonomy, object_id=object_id, tag=tag))
        else:
            current.remove(existing)
            if existing._value != tag.value:
                existing._value = tag.value
                new_tags.append(existing)
    with transaction.atomic():
        for old in current:  # omitted tags go first (fewer UNIQUE edge cases)
            old.delete()
        for object_tag in new_tags:
            object_tag.full_clean()
            object_tag.save()
