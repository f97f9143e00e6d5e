"""The README's commands are the ones CI and users run."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    setup = text.split("## Set up", 1)[1].split("## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", setup, re.S)


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    install, test = readme_commands()
    assert "pip install" in install and "pytest" in test
    ci = (ROOT / ".ci/run").read_text().splitlines()
    assert ci[-1] == test


def test_readme_main_command_runs():
    install, _ = readme_commands()
    command = (
        install.split("&&", 1)[1] + " --runs " + str(ROOT / "runs" / "test-readme")
    )  # the package is installed already
    result = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "answer: Acme Wireless Mouse" in result.stdout


def test_readme_example_plan_lints_clean():
    from planact.check import lint_text

    text = (ROOT / "README.md").read_text()
    plan_text = re.search(r"```\n(plan .*?)```", text, re.S).group(1)
    plan, diagnostics = lint_text(plan_text)
    assert plan is not None and diagnostics == []
