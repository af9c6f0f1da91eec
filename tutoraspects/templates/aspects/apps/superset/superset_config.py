"""Superset configuration rendered by tutor-aspects (holds secrets: never print this file)."""

{{ aspects_superset_config() }}
{{ patch("aspects-superset-config") }}
