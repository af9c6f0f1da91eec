"""The instructor assets (datasets, charts, dashboards)."""

from __future__ import annotations

from ..model import Chart, Dashboard, Dataset

DATASETS: tuple[Dataset, ...] = ()
CHARTS: tuple[Chart, ...] = ()
DASHBOARDS: tuple[Dashboard, ...] = ()
