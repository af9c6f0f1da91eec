"""Inherited fields, as edx-platform's xmodule/modulestore/inheritance.py ``InheritanceMixin``.

A block that does not set an inheritable field itself takes its parent's value (the course
block's parent is nobody: it takes the default). Only the fields analytics reads are modelled.
"""

#: Inheritable field -> default when no ancestor sets it.
INHERITABLE_FIELDS: dict[str, object] = {"graded": False}
