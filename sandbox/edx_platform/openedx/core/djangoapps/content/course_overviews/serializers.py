"""CourseOverview serializers, as ``course_overviews/serializers.py`` in edx-platform (sandbox).

Needs Django REST framework, which edx-platform always has; in the sandbox it comes with
edx-event-routing-backends (the only caller of ``api.get_course_overviews``).
"""

from rest_framework import serializers

from openedx.core.djangoapps.content.course_overviews.models import CourseOverview


class CourseOverviewBaseSerializer(serializers.ModelSerializer):
    """Every model field plus the computed ones edx-platform adds."""

    class Meta:
        model = CourseOverview
        fields = "__all__"

    def to_representation(self, instance: CourseOverview) -> dict:
        representation = super().to_representation(instance)
        representation["display_name_with_default"] = instance.display_name_with_default
        representation["has_started"] = instance.has_started()
        representation["has_ended"] = instance.has_ended()
        representation["pacing"] = instance.pacing
        return representation
