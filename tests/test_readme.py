"""The README's commands are the ones CI and users run."""

import re
import shlex
import subprocess
import warnings
from pathlib import Path

import click

ROOT = Path(__file__).parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    setup = text.split("## Set up", 1)[1].split("## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", setup, re.S)


def ci_commands() -> list[str]:
    """The commands .ci/run runs: its lines that are not comments, blank, `set` or the `cd` to the root."""
    lines = (ROOT / ".ci/run").read_text().splitlines()
    return [line for line in lines if line.strip() and not line.startswith(("#", "set ", "cd "))]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_exactly_them():
    install, test = readme_commands()
    assert install.startswith("pip install") and "planact setup &&" in install and "pytest" in test
    assert ci_commands() == [install, test]


def test_readme_main_command_runs():
    install, _ = readme_commands()
    command = install.rsplit("&&", 1)[1] + " --runs " + str(ROOT / "runs" / "test-readme")  # installed already
    assert command.strip().startswith("planact demo")
    result = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "answer: Acme Wireless Mouse" in result.stdout


def test_readme_example_plan_lints_clean():
    from planact.check import lint_text

    text = (ROOT / "README.md").read_text()
    plan_text = re.search(r"```\n(plan .*?)```", text, re.S).group(1)
    plan, diagnostics = lint_text(plan_text)
    assert plan is not None and diagnostics == []


def readme_command_lines() -> list[str]:
    """Every command line of the README's ```sh blocks: continuations joined, comments and prompts dropped,
    `a && b` split in two."""
    text = (ROOT / "README.md").read_text()
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                found.extend(part.strip() for part in line.split("&&"))
    return found


def parse_command(args: list[str]) -> click.Context:
    """Parse a planact command line with the real command tree (options, choices, types), without running it."""
    from planact.cli import main

    ctx = main.make_context("planact", list(args))
    command: click.Command = main
    while isinstance(command, click.Group):
        with warnings.catch_warnings():  # click 8.2 deprecates protected_args; 9 will keep them in args
            warnings.simplefilter("ignore", DeprecationWarning)
            rest = [*ctx.protected_args, *ctx.args]
        if not rest:
            break
        name, command, rest = command.resolve_command(ctx, rest)
        ctx = command.make_context(name, rest, parent=ctx)
    return ctx


def test_every_readme_command_is_a_valid_command_line():
    """Each `planact ...` line parses (file arguments may be placeholders); the others are known commands."""
    lines = readme_command_lines()
    assert len(lines) > 30
    for line in lines:
        args = shlex.split(line.split(" < ")[0])
        if args[0] == "pip" or args[:3] == ["python3", "-m", "pytest"]:
            continue  # the set-up and test commands are run by CI (.ci/run)
        assert args[0] == "planact", line
        try:
            parse_command(args[1:])
        except click.BadParameter as err:  # a placeholder file (plan.pa, runs/<run>) is fine; nothing else is
            assert "does not exist" in err.format_message(), f"{line}: {err.format_message()}"
        except click.UsageError as err:
            raise AssertionError(f"{line}: {err.format_message()}") from None


def test_readme_headline_plan_runs_against_the_demo_shop(tmp_path):
    """The README's first plan, as printed, runs in Chromium against the bundled shop (its one ungrounded
    step is grounded by a scripted executor model: the plan around it must work as written)."""
    from agent_helpers import executor_script, run_text

    from planact.demo.server import serve_demo
    from planact.run.executor import Agent

    text = (ROOT / "README.md").read_text()
    plan_text = re.search(r"```\n(plan .*?)```", text, re.S).group(1)
    executor = executor_script(
        {"sort": [lambda r: f'select ref "{r[("combobox", "Sort by")]}" with "Price: low to high"\ndone']}
    )
    with serve_demo() as shop:
        result, _, _ = run_text(
            plan_text.replace("http://127.0.0.1:8765", shop.url), tmp_path, Agent(executor=executor)
        )
    assert result.status == "succeeded", result.error
    assert result.answer.startswith("Added wireless mouse for ") and result.steps["add"] == "done"
