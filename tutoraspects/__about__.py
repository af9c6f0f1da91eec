"""Single source of the release version (the in-platform app ships at the same version)."""

__version__ = "0.1.0"
