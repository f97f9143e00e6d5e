"""The `planact` command: every click command lives in this package, one module per group of commands.

``common`` (plan files, diagnostics, shared options), ``lang`` (lint, fmt, lsp, grammar, schema, graph,
diff), ``run`` (exec, plan, mcp, demo, report; ``running`` and ``planning`` are their drivers), ``setup``,
``bench``, ``synth`` (and record), ``train``.
"""

from __future__ import annotations

import click

from .common import read_plan_file


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="planact")
def main() -> None:
    """planact: web-agent plans as typed, checkable programs.

    A plan (.pa file) is a list of typed steps with natural-language intents,
    dependencies, conditions, loops and optional grounded browser actions.
    Run `planact COMMAND --help` for the details of a command.
    """


def _register() -> None:
    from . import bench, lang, run, setup, synth, train

    for command in (
        lang.lint, lang.fmt, lang.lsp_, lang.grammar_, lang.schema, lang.graph, lang.diff,
        run.exec_, run.plan_, run.mcp_, run.demo, run.report_,
        setup.setup_, setup.setup_browser,
    ):  # fmt: skip
        main.add_command(command)
    main.add_command(bench.bench)
    main.add_command(train.train)
    main.add_command(synth.record)
    main.add_command(synth.synth)


_register()

from .run import DEMO_SECRETS  # noqa: E402 (the demo's secrets, for tests and examples)

__all__ = ["DEMO_SECRETS", "main", "read_plan_file"]
