"""Tutor plugin for Open edX analytics (Aspects)."""
