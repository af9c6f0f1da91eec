"""``external_id``: the user's anonymous ids towards external systems (xAPI actor ids)."""

from aspects_platform.sinks.base import Column, ModelSink


class ExternalIdSink(ModelSink):
    """ExternalId rows with their type name and the user's username."""

    object_name = "external_id"
    table = "external_id"
    user_field = "user"
    columns = (
        Column("external_user_id"),
        Column("external_id_type", "external_id_type__name"),
        Column("username", "user__username"),
        Column("user_id"),
    )
