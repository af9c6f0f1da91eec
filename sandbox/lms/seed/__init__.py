"""Bulk generators of sandbox data: learners, courses with outlines, enrollments."""
