"""The tagging models at openedx-learning's import path (openedx_tagging.core.tagging.models)."""

from .base import ObjectTag, Tag, Taxonomy

__all__ = ["ObjectTag", "Tag", "Taxonomy"]
