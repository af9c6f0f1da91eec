"""Create the external id types, as edx-platform's data migrations do.

edx-platform: ``external_user_ids/migrations/0002_mb_coaching_20200210_1754.py``,
``0004_add_lti_type.py`` and ``0005_add_caliper_and_xapi_lti_types.py`` (one migration here).
edx-event-routing-backends needs the ``xapi`` row: without it every transform fails.
"""

from django.db import migrations

TYPES = {
    "mb_coaching": "MicroBachelors Coaching",
    "lti": "LTI Xblock launches",
    "xapi": "xAPI Transformer",
    "caliper": "Caliper Transformer",
}


def create_types(apps, schema_editor):
    """Create each type once (re-running keeps existing rows)."""
    external_id_type = apps.get_model("external_user_ids", "ExternalIdType")
    for name, description in TYPES.items():
        external_id_type.objects.get_or_create(name=name, defaults={"description": description})


def delete_types(apps, schema_editor):
    apps.get_model("external_user_ids", "ExternalIdType").objects.filter(name__in=TYPES).delete()


class Migration(migrations.Migration):
    dependencies = [("external_user_ids", "0001_initial")]
    operations = [migrations.RunPython(create_types, delete_types)]
