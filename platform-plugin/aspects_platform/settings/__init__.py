"""Plugin settings for the LMS and CMS (``common`` defaults, ``production`` overrides)."""
