"""`tutor images build` and `tutor local launch` with the plugin, through a recording docker."""

from __future__ import annotations

from tests.tutor.rendered import Rendered


def built_tags(calls: list[list[str]]) -> list[str]:
    return [
        arg.removeprefix("--tag=")
        for call in calls
        if call[:2] == ["buildx", "build"]
        for arg in call
        if arg.startswith("--tag=")
    ]


def test_superset_image_adds_the_clickhouse_driver(rendered: Rendered) -> None:
    config = rendered.config()
    dockerfile = rendered.text("plugins/aspects/build/aspects-superset/Dockerfile")
    assert f"FROM {config['ASPECTS_SUPERSET_BASE_IMAGE']}\n" in dockerfile
    assert "uv pip install --no-cache 'clickhouse-connect>=0.8'" in dockerfile
    assert dockerfile.rstrip().splitlines()[-1] == "USER superset"


def test_images_build_builds_the_superset_image(rendered: Rendered) -> None:
    run = rendered.box.tutor("images", "build", "aspects-superset")
    assert run.returncode == 0, run.output
    assert built_tags(run.docker_calls) == [rendered.config()["ASPECTS_DOCKER_IMAGE_SUPERSET"]]
    context = run.docker_calls[0][-1]
    assert context.endswith("/env/plugins/aspects/build/aspects-superset")


def test_local_launch_builds_starts_and_initialises(rendered: Rendered) -> None:
    run = rendered.box.tutor("local", "launch", "--non-interactive")
    assert run.returncode == 0, run.output
    config = rendered.config()
    # The openedx image must be rebuilt: it is what carries the in-platform app.
    assert built_tags(run.docker_calls) == [
        config["ASPECTS_DOCKER_IMAGE_SUPERSET"],
        config["DOCKER_IMAGE_OPENEDX"],
    ]
    services = run.job_services
    # Ours run after Tutor's own init tasks (the LMS database exists before its user is made).
    assert services[-3:] == ["aspects-job", "superset-job", "lms-job"]
    assert services.index("lms-job") < services.index("aspects-job")
    assert f"http://{config['ASPECTS_SUPERSET_HOST']}" in run.output
    scripts = "\n".join(call[-1] for call in run.docker_calls)
    leaked = [
        key for key, value in rendered.secrets().items() if value in run.output or value in scripts
    ]
    assert not leaked, leaked
