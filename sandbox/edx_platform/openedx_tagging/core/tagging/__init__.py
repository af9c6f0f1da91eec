"""The tagging app of openedx-learning (openedx_tagging/core/tagging), sandbox stand-in."""
