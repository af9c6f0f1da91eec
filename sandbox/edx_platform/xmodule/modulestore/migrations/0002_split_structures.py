"""BlockRecord rows become split-style structures: one version per course, both branches."""

import json
import uuid

import django.utils.timezone
from django.db import migrations, models


def rows_to_structures(apps, schema_editor) -> None:
    """Each course's BlockRecord rows as one structure, at the head of both branches."""
    block_record = apps.get_model("modulestore", "BlockRecord")
    course_index = apps.get_model("modulestore", "CourseIndex")
    course_structure = apps.get_model("modulestore", "CourseStructure")
    courses: dict[str, list] = {}
    for row in block_record.objects.order_by("course_key", "parent", "position").iterator():
        courses.setdefault(row.course_key, []).append(row)
    for course_key, rows in courses.items():
        children: dict[str, list] = {}
        for row in rows:
            if row.parent:
                children.setdefault(row.parent, []).append([row.block_type, row.block_id])
        prefix = "block-v1:" + course_key.split(":", 1)[1]
        blocks = []
        for row in rows:
            fields = {"display_name": row.display_name} if row.display_name is not None else {}
            if row.graded:
                fields["graded"] = True
            if row.format:
                fields["format"] = row.format
            location = f"{prefix}+type@{row.block_type}+block@{row.block_id}"
            blocks.append(
                [
                    row.block_type,
                    row.block_id,
                    fields,
                    children.get(location, []),
                    row.edited_on.isoformat(),
                    -1,
                ]
            )
        version = uuid.uuid4().hex
        course_structure.objects.create(
            version=version,
            course_key=course_key,
            blocks=json.dumps({"root": ["course", "course"], "blocks": blocks}),
        )
        course_index.objects.create(
            course_key=course_key,
            org=course_key.split(":", 1)[1].split("+")[0],
            draft_version=version,
            published_version=version,
        )


class Migration(migrations.Migration):
    dependencies = [("modulestore", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="CourseIndex",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("course_key", models.CharField(max_length=255, unique=True)),
                ("org", models.CharField(max_length=255)),
                ("draft_version", models.CharField(max_length=32)),
                ("published_version", models.CharField(blank=True, default="", max_length=32)),
                ("edited_on", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name="CourseStructure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.CharField(max_length=32, unique=True)),
                ("course_key", models.CharField(max_length=255)),
                ("previous_version", models.CharField(blank=True, default="", max_length=32)),
                ("blocks", models.TextField()),
                ("edited_on", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "indexes": [models.Index(fields=["course_key"], name="structure_course")],
            },
        ),
        migrations.RunPython(rows_to_structures, migrations.RunPython.noop),
        migrations.DeleteModel(name="BlockRecord"),
    ]
