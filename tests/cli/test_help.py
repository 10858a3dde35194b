"""`hanji`, `hanji --help` and `hanji COMMAND --help`; unknown commands and bad options."""

from __future__ import annotations

import pytest

HANJI_COMMANDS = ["run", "web", "worker", "migrate", "createadmin", "demo", "publication", "post"]


def test_hanji_alone_lists_hanjis_own_commands_first_in_plain_words(hanji):
    outcome = hanji()
    assert outcome.code == 0
    lines = outcome.out.splitlines()
    assert lines[0].startswith("Hanji:")
    listed = [line.split()[0] for line in lines if line.startswith("  ")]
    assert listed[:3] == ["run", "web", "worker"]
    for command in ("migrate", "createadmin", "demo", "publication", "post"):
        assert command in listed
    assert "hanji help --commands" in outcome.out
    assert "Start the web server and a worker together" in outcome.out


@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
def test_hanji_help_is_the_same_overview(hanji, flag):
    assert hanji(flag).out == hanji().out


@pytest.mark.parametrize(
    "args",
    [[name, "--help"] for name in HANJI_COMMANDS]
    + [["publication", "create", "--help"], ["post", "publish", "--help"]],
    ids=lambda args: " ".join(args),
)
def test_every_command_explains_itself(hanji, args):
    outcome = hanji(*args)
    assert outcome.code == 0
    assert outcome.out.startswith("usage: hanji ")
    assert outcome.err == ""


def test_post_publish_help_shows_an_example_file(hanji):
    out = hanji("post", "publish", "--help").out
    assert "title:" in out and "visibility:" in out and "---" in out


def test_an_unknown_command_is_one_line_and_exit_status_2(hanji):
    outcome = hanji("pubilsh")
    assert outcome.code == 2
    assert outcome.err_lines == ["hanji: there is no command 'pubilsh' (see hanji --help)"]
    assert outcome.out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["web", "--port", "99999"], "a port is between 1 and 65535"),
        (["web", "--workers", "0"], "must be 1 or more"),
        (["run", "--port", "eighty"], "not a port number"),
        (["publication", "create", "x"], "the following arguments are required: --name"),
        (["publication", "create", "x", "--name", "X", "--language", "jp"], "invalid choice"),
        (["publication"], "the following arguments are required: ACTION"),
        (["post", "publish"], "the following arguments are required: FILE.md"),
    ],
)
def test_a_bad_option_is_one_line_and_exit_status_2(hanji, args, message):
    outcome = hanji(*args)
    assert outcome.code == 2
    assert len(outcome.err_lines) == 1, outcome.err
    assert message in outcome.err
    assert "--help" in outcome.err


def test_the_version_is_printed(hanji):
    from hanji import __version__

    assert hanji("--version").out.strip() == f"hanji {__version__}"


def test_a_database_that_is_down_is_one_line_not_a_traceback(tmp_path):
    from tests.cli.conftest import child_env, free_port, start_hanji

    env = child_env(
        HANJI_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/nothing-listens-here",
    )
    for command in ("migrate", "demo"):
        process = start_hanji(command, env=env)
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 1
        lines = output.strip().splitlines()
        assert len(lines) == 1, output
        assert lines[0].startswith("error: the database refused: ")
        assert "Traceback" not in output


@pytest.mark.django_db
def test_migrate_is_safe_to_run_again(hanji):
    outcome = hanji("migrate", "--no-input")
    assert outcome.code == 0, outcome.err
    assert "No migrations to apply." in outcome.out
