"""What an embedded dashboard asks Superset for, as its guest: the dashboard, its charts, data.

The Embedded SDK's page reads ``/api/v1/dashboard/<embedded uuid>`` and ``.../charts``, then
POSTs each chart's query context to ``/api/v1/chart/data`` with the dashboard named in the form
data (``dashboardId``, ``slice_id``): Superset 6.1 grants a guest a chart's dataset only
through a dashboard of its token that holds the chart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml

from tests.superset.api import Answer, SupersetClient


@dataclass(frozen=True)
class EmbeddedChart:
    """One chart of a dashboard as the guest sees it."""

    id: int
    name: str
    datasource_id: int


def dashboard_charts(guest: SupersetClient, uuid: str) -> tuple[int, list[EmbeddedChart]]:
    """The dashboard's id and charts, read as the guest (both must answer 200)."""
    dashboard = guest.get(f"/api/v1/dashboard/{uuid}")
    assert dashboard.status == 200, (uuid, dashboard.body)
    charts = guest.get(f"/api/v1/dashboard/{uuid}/charts")
    assert charts.status == 200, (uuid, charts.body)
    found = []
    for chart in charts.body["result"]:
        datasource_id, _, kind = chart["form_data"]["datasource"].partition("__")
        assert kind == "table", chart["form_data"]["datasource"]
        found.append(EmbeddedChart(chart["id"], chart["slice_name"], int(datasource_id)))
    return dashboard.body["result"]["id"], found


def shipped_query_context(bundle: dict[str, Any], chart_key: str) -> dict[str, Any]:
    """The query context our bundle ships for the chart."""
    document = yaml.safe_load(bundle["files"][f"charts/{chart_key}.yaml"])
    return json.loads(document["query_context"])


def chart_data(
    guest: SupersetClient, context: dict[str, Any], chart: EmbeddedChart, dashboard_id: int
) -> Answer:
    """POST the chart's query context as the embedded frontend does (dashboard in form data)."""
    form_data = {
        **context["form_data"],
        "slice_id": chart.id,
        "dashboardId": dashboard_id,
        "datasource": f"{chart.datasource_id}__table",
    }
    body = {
        **context,
        "datasource": {"id": chart.datasource_id, "type": "table"},
        "form_data": form_data,
    }
    params = {"form_data": json.dumps({"slice_id": chart.id}), "dashboard_id": dashboard_id}
    return guest.post("/api/v1/chart/data", params=params, json=body)


def rows(answer: Answer) -> list[dict[str, Any]]:
    """The rows of a chart-data answer's only query."""
    [result] = answer.body["result"]
    return result["data"]
