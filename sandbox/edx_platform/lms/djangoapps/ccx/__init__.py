"""Custom Courses for edX (CCX), sandbox stand-in of edx-platform's lms/djangoapps/ccx."""
