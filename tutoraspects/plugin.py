"""Tutor plugin `aspects`: hooks only (placeholder until the foundation lands)."""
