"""URLs of the app, included by the LMS/CMS under ``^aspects/`` (see ``apps.py``).

The course id is anything up to the trailing slash (which is optional): a bad one gets the
view's clear 404 rather than Django's.
"""

from django.urls import re_path

from aspects_platform import views

app_name = views.URL_NAMESPACE
urlpatterns = []
for name, view in (
    (views.GUEST_TOKEN_URL_NAME, views.SupersetGuestTokenView.as_view()),
    (views.INSTRUCTOR_DASHBOARD_URL_NAME, views.SupersetInstructorDashboardView.as_view()),
):
    urlpatterns += [
        re_path(rf"^{name}/(?P<course_id>.+)/$", view, name=name),
        re_path(rf"^{name}/(?P<course_id>.*[^/])$", view),
    ]
