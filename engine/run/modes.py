"""When a run revises its plan: the replanning modes, in a module of their own, so that the command line
offers them without importing the runtime (``replanning`` imports the browser and the planner)."""

REVISING = ("every-step", "after-reads")  # modes that revise after steps that went well, not only failed ones
MODES = ("on-failure", *REVISING)  # the modes a replanner runs in
REPLAN_MODES = ("never", *MODES)  # what `--replan` takes
BENCH_DEFAULT = "every-step"  # the dynamic agent's mode in `planact bench` (the paper's)


def agent_label(agent: str, replan: str | None = None) -> str:
    """A benchmark agent as results, resumption and reports tell it apart: the dynamic agent with its mode
    when that is not the default (``dynamic/after-reads``), so that a run with another ``--replan`` into the
    same folder runs its own episodes, and a report gives each mode a row of its own."""
    return f"{agent}/{replan}" if agent == "dynamic" and replan and replan != BENCH_DEFAULT else agent
