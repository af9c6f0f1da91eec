"""All assets we ship: the instructor side (course-scoped, embedded) and the operator side."""

from __future__ import annotations

from ..model import Chart, Dashboard, Dataset
from . import instructor, operator

DATASETS: tuple[Dataset, ...] = (*instructor.DATASETS, *operator.DATASETS)
CHARTS: tuple[Chart, ...] = (*instructor.CHARTS, *operator.CHARTS)
DASHBOARDS: tuple[Dashboard, ...] = (*instructor.DASHBOARDS, *operator.DASHBOARDS)
