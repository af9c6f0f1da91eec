"""``dump_data_to_clickhouse --help`` says what each flag really does."""

from aspects_platform.management.commands.dump_data_to_clickhouse import Command


def flag_help(flag: str) -> str:
    """The help text of ``flag``, on one line."""
    parser = Command().create_parser("manage.py", "dump_data_to_clickhouse")
    [action] = [a for a in parser._actions if flag in a.option_strings]
    return " ".join(action.help.split())


def test_force_help_says_it_only_skips_the_course_overviews_staleness_check():
    text = flag_help("--force")
    assert text.startswith("course_overviews only:"), text
    assert "modified" in text and "newer than" in text, "names the check it skips"
    assert "no effect on other objects" in text, text
