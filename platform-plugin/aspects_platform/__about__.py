"""Release version; always equal to the Tutor plugin's version (a test checks)."""

__version__ = "0.1.0"
