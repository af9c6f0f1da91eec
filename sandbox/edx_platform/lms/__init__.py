"""Stand-in for edx-platform's ``lms`` package: only the apps the sandbox needs."""
