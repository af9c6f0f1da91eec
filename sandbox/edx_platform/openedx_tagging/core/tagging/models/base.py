"""Taxonomy, Tag and ObjectTag with openedx-learning's fields (sandbox only).

Mirrors openedx-learning ``openedx_tagging/core/tagging/models/base.py``: the same fields,
foreign keys and ``on_delete`` rules (deleting a Taxonomy deletes its Tags; an ObjectTag keeps
its cached ``_export_id``/``_value`` and gets NULL ``taxonomy``/``tag`` when they are
deleted), ``Tag.get_lineage`` (root value first) and ``ObjectTag.__init__`` filling
``_export_id``/``_value`` on creation. openedx-learning's case-(in)sensitive collation fields
are plain CharFields here; system-defined taxonomy subclasses (``_taxonomy_class``) are not
modelled (``cast()`` returns the taxonomy itself).
"""

from __future__ import annotations

from django.db import models

#: Maximum depth of a hierarchical taxonomy's tree of tags (openedx-learning's value).
TAXONOMY_MAX_DEPTH = 3

#: Tag.value of a tag and its ancestors, root first.
Lineage = list[str]


class Tag(models.Model):
    """One value of a taxonomy, optionally under a parent tag (at most 3 levels deep)."""

    id = models.BigAutoField(primary_key=True)
    taxonomy = models.ForeignKey("Taxonomy", null=True, default=None, on_delete=models.CASCADE)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        default=None,
        on_delete=models.CASCADE,
        related_name="children",
    )
    value = models.CharField(max_length=500)
    external_id = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        app_label = "oel_tagging"
        indexes = [
            models.Index(fields=["taxonomy", "value"]),
            models.Index(fields=["taxonomy", "external_id"]),
        ]
        unique_together = [["taxonomy", "external_id"], ["taxonomy", "value"]]

    def __str__(self) -> str:
        return f"<{self.__class__.__name__}> ({self.id}) {self.value}"

    def get_lineage(self) -> Lineage:
        """Values of the tag's ancestors and the tag, root first."""
        lineage: Lineage = [self.value]
        ancestor = self.get_next_ancestor()
        while ancestor:
            lineage.insert(0, ancestor.value)
            ancestor = ancestor.get_next_ancestor()
        return lineage

    def get_next_ancestor(self) -> Tag | None:
        """The parent tag (loaded with its own ancestors in one query), or None."""
        if self.parent_id is None:
            return None
        if not Tag.parent.is_cached(self):
            self.parent = Tag.objects.select_related("parent", "parent__parent").get(
                pk=self.parent_id
            )
        return self.parent


class Taxonomy(models.Model):
    """A namespace and rules for a group of tags."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=255, db_index=True)
    description = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    allow_multiple = models.BooleanField(default=True)
    allow_free_text = models.BooleanField(default=False)
    visible_to_authors = models.BooleanField(default=True, editable=False)
    export_id = models.CharField(max_length=255, unique=True)
    _taxonomy_class = models.CharField(null=True, max_length=255, blank=True)

    class Meta:
        app_label = "oel_tagging"
        verbose_name_plural = "Taxonomies"

    def __str__(self) -> str:
        return f"<{self.__class__.__name__}> ({self.id}) {self.name}"

    @property
    def system_defined(self) -> bool:
        """Always False here (system-defined subclasses are not modelled)."""
        return False

    def cast(self) -> Taxonomy:
        """The taxonomy as its configured subclass: itself here."""
        return self

    def check_casted(self) -> None:
        """openedx-learning checks the subclass here; nothing to check in the sandbox."""

    def add_tag(
        self, tag_value: str, parent_tag_value: str | None = None, external_id: str | None = None
    ) -> Tag:
        """Create a tag (under ``parent_tag_value``); ValueError if the value exists."""
        if self.allow_free_text:
            raise ValueError(
                "add_tag() doesn't work for free text taxonomies. They don't use Tag instances."
            )
        if self.tag_set.filter(value__iexact=tag_value).exists():
            raise ValueError(f"Tag with value '{tag_value}' already exists for taxonomy.")
        parent = self.tag_set.get(value__iexact=parent_tag_value) if parent_tag_value else None
        tag = Tag.objects.create(
            taxonomy=self, value=tag_value, parent=parent, external_id=external_id
        )
        tag.full_clean()
        return tag

    def update_tag(self, tag: str, new_value: str) -> Tag:
        """Change a tag's value (saved)."""
        tag_to_update = self.tag_set.get(value__iexact=tag)
        tag_to_update.value = new_value
        tag_to_update.save()
        return tag_to_update

    def delete_tags(self, tags: list[str], with_subtags: bool = False) -> None:
        """Delete these tags (and, only with ``with_subtags``, tags under them)."""
        to_delete = self.tag_set.filter(value__in=tags)
        if to_delete.count() != len(tags):
            raise ValueError("Tag(s) not found in taxonomy")
        if not with_subtags and to_delete.filter(children__isnull=False).exists():
            raise ValueError("Tag(s) have children; pass with_subtags=True to delete them too")
        to_delete.delete()

    def tag_for_value(self, value: str) -> Tag:
        """The tag with this value (case-insensitive); Tag.DoesNotExist otherwise."""
        if self.allow_free_text:
            raise ValueError("tag_for_value() doesn't work for free text taxonomies.")
        return self.tag_set.get(value__iexact=value)


class ObjectTag(models.Model):
    """A tag applied to an object (a course, a block, a library...) by its id string."""

    id = models.BigAutoField(primary_key=True)
    object_id = models.CharField(max_length=255, db_index=True, editable=False)
    taxonomy = models.ForeignKey(
        Taxonomy, null=True, blank=True, default=None, on_delete=models.SET_NULL
    )
    tag = models.ForeignKey(Tag, null=True, blank=True, default=None, on_delete=models.SET_NULL)
    is_copied = models.BooleanField(default=False)
    _export_id = models.CharField(max_length=255)
    _value = models.CharField(max_length=500)

    class Meta:
        app_label = "oel_tagging"
        indexes = [
            models.Index(fields=["taxonomy", "object_id"]),
            models.Index(fields=["taxonomy", "_value"]),
        ]
        unique_together = [
            ("object_id", "taxonomy", "tag_id"),
            ("object_id", "taxonomy", "_value"),
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.pk:  # a new instance caches the taxonomy's export_id and the tag's value
            if not self._export_id and self.taxonomy:
                self._export_id = self.taxonomy.export_id
            if not self._value and self.tag:
                self._value = self.tag.value

    def __str__(self) -> str:
        name = self.taxonomy.name if self.taxonomy else self.export_id
        return f"<{self.__class__.__name__}> {self.object_id}: {name}={self.value}"

    @property
    def export_id(self) -> str:
        """The taxonomy's export_id, or the cached one once the taxonomy is gone."""
        return self.taxonomy.export_id if self.taxonomy else self._export_id

    @property
    def value(self) -> str:
        """The tag's value, or the cached one (free text, or the tag is gone)."""
        return self.tag.value if self.tag else self._value

    def get_lineage(self) -> Lineage:
        """The tag's lineage, or just the cached value when there is no tag."""
        return self.tag.get_lineage() if self.tag else [self._value]
