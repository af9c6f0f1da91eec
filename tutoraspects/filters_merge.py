"""Adds our pipeline steps to ``OPEN_EDX_FILTERS_CONFIG`` inside the LMS/CMS settings.

``merge_filter_steps`` is plain Python with no imports: its source is written into the rendered
settings (``openedx_settings``), where it runs over whatever other plugins configured.

openedx-filters accepts three forms per filter type (``get_pipeline_configuration``): a dict
``{"pipeline": [...] or "step", "fail_silently": bool, **extra}``, a list of steps, or a single
step string. Every form is kept as close to what its author wrote as possible: their steps stay
first and in order, their ``fail_silently`` and extra keys stay untouched (unset means True),
ours is appended once (settings modules may be executed more than once).

A filter type nobody configured gets ``fail_silently: True``: the Reports tab is an addition to
the Instructor Dashboard, so an unexpected error in any step of that pipeline is logged by
openedx-filters and the dashboard still renders. (Our steps also guard themselves, for when
another plugin's entry says ``fail_silently: False``.)
"""


def merge_filter_steps(config, steps):
    """``config`` (OPEN_EDX_FILTERS_CONFIG or None) with each ``steps`` item added once."""
    merged = dict(config or {})
    for filter_type, step in steps.items():
        entry = merged.get(filter_type)
        if isinstance(entry, dict):
            entry = dict(entry)
            pipeline = entry.get("pipeline") or []
            if isinstance(pipeline, str):
                pipeline = [pipeline]
            entry["pipeline"] = list(pipeline)
            if step not in entry["pipeline"]:
                entry["pipeline"].append(step)
        elif isinstance(entry, (list, tuple)) and entry:
            entry = list(entry) if step in entry else [*entry, step]
        elif isinstance(entry, str) and entry:
            entry = [entry] if entry == step else [entry, step]
        else:
            entry = {"fail_silently": True, "pipeline": [step]}
        merged[filter_type] = entry
    return merged
