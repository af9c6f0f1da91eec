"""The instructor assets: datasets over the reporting objects, charts, the three dashboards.

Every dataset has ``org`` and ``course_key`` (the guest token's RLS clause filters on them) and
no column an instructor of that course may not see: learners are pseudonyms (``learner``);
names and emails are filled only when PII is on (``learner_pii``, docs/clickhouse.md).
The dashboards' UUIDs and slugs are those of ``tutoraspects.config.INSTRUCTOR_DASHBOARDS``.
"""

from __future__ import annotations

from ...config import INSTRUCTOR_DASHBOARDS
from ..model import Chart, Column, Dashboard, Dataset, Metric

S, LS, DT = "String", "LowCardinality(String)", "DateTime64(6, 'UTC')"
ORG_COURSE = (Column("org", LS), Column("course_key", S))

#: Per learner and course, with the name/email columns PII fills.
LEARNER_STATUS_SQL = """
SELECT s.org AS org, s.course_key AS course_key, c.course_name AS course_name,
    s.learner AS learner, p.learner_name AS learner_name, p.email AS email,
    s.enrollment_mode AS enrollment_mode, s.is_active AS is_active,
    s.enrolled_at AS enrolled_at, s.last_visit AS last_visit, s.grade AS grade,
    concat(toString(least(intDiv(toUInt8(round(ifNull(s.grade, 0) * 100)), 10), 9) * 10), '%')
        AS grade_band,
    s.passed AS passed, s.answers AS answers, s.correct_answers AS correct_answers,
    s.at_risk AS at_risk
FROM {reporting}.learner_course_status AS s
LEFT JOIN (SELECT org, course_key, any(course_name) AS course_name
    FROM {reporting}.course_names GROUP BY org, course_key) AS c
    ON c.org = s.org AND c.course_key = s.course_key
LEFT JOIN (SELECT learner, argMax(name, time_last_dumped) AS learner_name,
    argMax(email, time_last_dumped) AS email
    FROM {reporting}.learner_pii GROUP BY learner) AS p ON p.learner = s.learner
"""

LEARNER_STATUS_COLUMNS = (
    *ORG_COURSE,
    Column("course_name", S),
    Column("learner", S),
    Column("learner_name", S),
    Column("email", S),
    Column("enrollment_mode", S),
    Column("is_active", "UInt8"),
    Column("enrolled_at", f"Nullable({DT})", is_dttm=True),
    Column("last_visit", DT, is_dttm=True),
    Column("grade", "Nullable(Float64)"),
    Column("grade_band", S),
    Column("passed", "UInt8"),
    Column("answers", "UInt64"),
    Column("correct_answers", "UInt64"),
    Column("at_risk", "UInt8"),
)

#: Engagement per learner and block (one block type per dataset).
ENGAGEMENT_SQL = """
SELECT org, course_key, learner, block_id, block_name, section_label, subsection_label,
    unit_label, visits, answers, correct, best_score, attempts, video_plays, video_completions,
    video_position, video_length, last_seen
FROM {{reporting}}.learner_content_engagement
WHERE block_type IN ({types})
"""

ENGAGEMENT_COLUMNS = (
    *ORG_COURSE,
    Column("learner", S),
    Column("block_id", S),
    Column("block_name", S),
    Column("section_label", S),
    Column("subsection_label", S),
    Column("unit_label", S),
    Column("visits", "UInt64"),
    Column("answers", "UInt64"),
    Column("correct", "Bool"),
    Column("best_score", "Float64"),
    Column("attempts", "Int64"),
    Column("video_plays", "UInt64"),
    Column("video_completions", "UInt64"),
    Column("video_position", "Float64"),
    Column("video_length", "Float64"),
    Column("last_seen", DT, is_dttm=True),
)


def engagement(key: str, title: str, types: str) -> Dataset:
    return Dataset(
        key=key,
        title=title,
        sql=ENGAGEMENT_SQL.format(types=types),
        columns=ENGAGEMENT_COLUMNS,
        main_dttm_col="last_seen",
        description=f"Per learner and block ({types}): visits, answers, video plays.",
    )


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        key="learner_status",
        title="Learner status",
        sql=LEARNER_STATUS_SQL,
        columns=LEARNER_STATUS_COLUMNS,
        main_dttm_col="last_visit",
        description="Enrollment, last visit, grade, passing and at-risk per learner and course.",
    ),
    Dataset(
        key="at_risk_learners",
        title="At-risk learners",
        sql=f"SELECT * FROM ({LEARNER_STATUS_SQL}) WHERE at_risk",  # noqa: S608 constant
        columns=LEARNER_STATUS_COLUMNS,
        main_dttm_col="last_visit",
        description="Active, not passed, and idle for 14 days or under half of 3+ answers right.",
    ),
    Dataset(
        key="enrollment_events",
        title="Enrollment events",
        sql=(
            "SELECT org, course_key, emission_time, learner, verb, enrollment_mode "
            "FROM {reporting}.xapi_events WHERE verb IN ('registered', 'unregistered')"
        ),
        columns=(
            *ORG_COURSE,
            Column("emission_time", DT, is_dttm=True),
            Column("learner", S),
            Column("verb", LS),
            Column("enrollment_mode", LS),
        ),
        main_dttm_col="emission_time",
        description="Each enrollment and unenrollment (xAPI registered/unregistered).",
    ),
    engagement("problem_engagement", "Problem engagement", "'problem'"),
    engagement("video_engagement", "Video engagement", "'video'"),
    engagement("page_engagement", "Page engagement", "'sequential', 'vertical'"),
    Dataset(
        key="problem_results",
        title="Problem results vs course average",
        sql="""
SELECT p.org AS org, p.course_key AS course_key, p.block_id AS block_id,
    p.block_name AS problem_name, p.section_label AS section_label, p.learners AS learners,
    p.correct_share AS correct_share, c.course_correct_share AS course_correct_share
FROM (
    SELECT org, course_key, block_id, any(block_name) AS block_name,
        any(section_label) AS section_label, count() AS learners,
        avg(toFloat64(correct)) AS correct_share
    FROM {reporting}.learner_content_engagement
    WHERE block_type = 'problem' AND answers > 0
    GROUP BY org, course_key, block_id
) AS p
INNER JOIN (
    SELECT org, course_key, avg(toFloat64(correct)) AS course_correct_share
    FROM {reporting}.learner_content_engagement
    WHERE block_type = 'problem' AND answers > 0
    GROUP BY org, course_key
) AS c ON c.org = p.org AND c.course_key = p.course_key
""",
        columns=(
            *ORG_COURSE,
            Column("block_id", S),
            Column("problem_name", S),
            Column("section_label", S),
            Column("learners", "UInt64"),
            Column("correct_share", "Float64"),
            Column("course_correct_share", "Float64"),
        ),
        description="Share of learners whose last answer is correct, per problem and course.",
    ),
    Dataset(
        key="learner_section_progress",
        title="Learner progress per section",
        sql="""
SELECT org, course_key, learner, section_label,
    countIf(block_type IN ('sequential', 'vertical') AND visits > 0) AS pages_visited,
    countIf(block_type = 'problem' AND answers > 0) AS problems_attempted,
    countIf(block_type = 'problem' AND correct) AS problems_correct,
    countIf(block_type = 'video' AND video_plays > 0) AS videos_watched
FROM {reporting}.learner_content_engagement
GROUP BY org, course_key, learner, section_label
""",
        columns=(
            *ORG_COURSE,
            Column("learner", S),
            Column("section_label", S),
            Column("pages_visited", "UInt64"),
            Column("problems_attempted", "UInt64"),
            Column("problems_correct", "UInt64"),
            Column("videos_watched", "UInt64"),
        ),
        description="Pages, problems and videos per learner and section.",
    ),
)

COUNT = Metric("Learners", "count()")
ACTIVE = Metric("Active learners", "countIf(is_active)")


#: Superset's number format for a share (0.5 shows as 50.0%).
PERCENT = {"y_axis_format": ".1%"}


def big(key: str, title: str, dataset: str, metric: Metric, **extra) -> Chart:
    return Chart(key, title, dataset, "big_number_total", metrics=(metric,), **extra)


def bar(key: str, title: str, dataset: str, x_axis: str, *metrics: Metric, **extra) -> Chart:
    return Chart(
        key, title, dataset, "echarts_timeseries_bar", metrics=metrics, x_axis=x_axis, **extra
    )


def grouped(
    key: str, title: str, dataset: str, viz: str, groupby: tuple[str, ...], *metrics: Metric
) -> Chart:
    return Chart(key, title, dataset, viz, metrics=metrics, groupby=groupby)


def table(key: str, title: str, dataset: str, columns: tuple[str, ...]) -> Chart:
    return Chart(key, title, dataset, "table", columns=columns)


MODE = ("enrollment_mode",)
LEARNER_TABLE = ("learner", "learner_name", "email", "enrollment_mode", "last_visit", "grade")

CHARTS: tuple[Chart, ...] = (
    # Course Dashboard
    big("enrolled_learners", "Enrolled learners", "learner_status", ACTIVE),
    grouped("enrollment_by_mode", "Enrollment by mode", "learner_status", "pie", MODE, ACTIVE),
    Chart(
        "enrollments_over_time",
        "Enrollments over time",
        "enrollment_events",
        "echarts_timeseries_line",
        metrics=(
            Metric("Enrollments", "countIf(verb = 'registered')"),
            Metric("Unenrollments", "countIf(verb = 'unregistered')"),
        ),
        x_axis="emission_time",
        time_grain="P1D",
    ),
    bar("grade_distribution", "Grade distribution", "learner_status", "grade_band", COUNT),
    big(
        "passing_share",
        "Share of learners passing",
        "learner_status",
        Metric("Passing", "avg(toFloat64(passed))"),
        params=PERCENT,
    ),
    big(
        "average_grade",
        "Average grade",
        "learner_status",
        Metric("Average grade", "avg(grade)"),
        params=PERCENT,
    ),
    bar(
        "pages_by_section",
        "Page visits per section",
        "page_engagement",
        "section_label",
        Metric("Visits", "sum(visits)"),
        Metric("Learners", "uniqExact(learner)"),
    ),
    bar(
        "problems_by_section",
        "Problem answers per section",
        "problem_engagement",
        "section_label",
        Metric("Answers", "sum(answers)"),
        Metric("Correct", "countIf(correct)"),
    ),
    bar(
        "videos_by_section",
        "Video plays per section",
        "video_engagement",
        "section_label",
        Metric("Plays", "sum(video_plays)"),
        Metric("Viewers", "uniqExact(learner)"),
    ),
    grouped(
        "video_views_per_video",
        "Video views per video",
        "video_engagement",
        "table",
        ("section_label", "block_name"),
        Metric("Viewers", "uniqExact(learner)"),
        Metric("Plays", "sum(video_plays)"),
        Metric("Completions", "sum(video_completions)"),
    ),
    table(
        "problem_results_vs_average",
        "Problem results vs course average",
        "problem_results",
        ("section_label", "problem_name", "learners", "correct_share", "course_correct_share"),
    ),
    bar(
        "last_visits",
        "Learners by last visit",
        "learner_status",
        "last_visit",
        COUNT,
        time_grain="P1W",
    ),
    # At-Risk Learners
    big("at_risk_count", "Learners at risk", "at_risk_learners", COUNT),
    big(
        "at_risk_share",
        "Share of active learners at risk",
        "learner_status",
        Metric("At risk", "countIf(at_risk) / greatest(countIf(is_active), 1)"),
    ),
    table(
        "at_risk_table",
        "At-risk learners",
        "at_risk_learners",
        (*LEARNER_TABLE, "answers", "correct_answers"),
    ),
    grouped("at_risk_by_mode", "At-risk learners by mode", "at_risk_learners", "pie", MODE, COUNT),
    bar(
        "at_risk_last_visit",
        "At-risk learners by last visit",
        "at_risk_learners",
        "last_visit",
        COUNT,
        time_grain="P1W",
    ),
    # Individual Learner
    table(
        "learner_summary",
        "Learner summary",
        "learner_status",
        (*LEARNER_TABLE, "enrolled_at", "passed", "answers", "correct_answers", "at_risk"),
    ),
    grouped(
        "learner_section_progress",
        "Progress per section",
        "learner_section_progress",
        "table",
        ("learner", "section_label"),
        Metric("Pages visited", "sum(pages_visited)"),
        Metric("Problems attempted", "sum(problems_attempted)"),
        Metric("Problems correct", "sum(problems_correct)"),
        Metric("Videos watched", "sum(videos_watched)"),
    ),
    table(
        "learner_problem_results",
        "Problem results",
        "problem_engagement",
        ("learner", "section_label", "block_name", "answers", "correct", "best_score", "attempts"),
    ),
    table(
        "learner_video_progress",
        "Video progress",
        "video_engagement",
        ("learner", "section_label", "block_name", "video_plays", "video_position", "video_length"),
    ),
    bar(
        "learner_pages_by_section",
        "Pages visited per section",
        "page_engagement",
        "section_label",
        Metric("Pages visited", "countIf(visits > 0)"),
    ),
)

CONFIGURED = {board["slug"]: board for board in INSTRUCTOR_DASHBOARDS}


def dashboard(slug: str, rows: tuple[tuple[str, ...], ...], description: str) -> Dashboard:
    """An embedded, translated dashboard at the configured UUID and title of ``slug``."""
    board = CONFIGURED[slug]
    return Dashboard(
        key=slug.replace("-", "_"),
        title=board["name"],
        slug=slug,
        rows=rows,
        fixed_uuid=board["uuid"],
        allow_translations=board["allow_translations"],
        embedded=True,
        description=description,
    )


DASHBOARDS: tuple[Dashboard, ...] = (
    dashboard(
        "course-dashboard",
        (
            ("enrolled_learners", "passing_share", "average_grade"),
            ("enrollment_by_mode", "enrollments_over_time"),
            ("grade_distribution", "last_visits"),
            ("pages_by_section", "problems_by_section", "videos_by_section"),
            ("video_views_per_video", "problem_results_vs_average"),
        ),
        "Enrollment, grades and engagement with the course's content.",
    ),
    dashboard(
        "individual-learner",
        (
            ("learner_summary",),
            ("learner_section_progress", "learner_pages_by_section"),
            ("learner_problem_results", "learner_video_progress"),
        ),
        "One learner's status, progress per section, problems and videos.",
    ),
    dashboard(
        "learner-groups",
        (
            ("at_risk_count", "at_risk_share"),
            ("at_risk_table",),
            ("at_risk_by_mode", "at_risk_last_visit"),
        ),
        "Learners at risk (docs/clickhouse.md: the rule) and when they last came.",
    ),
)
