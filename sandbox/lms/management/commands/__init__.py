"""Management commands of the sandbox LMS."""
