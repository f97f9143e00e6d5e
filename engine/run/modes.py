"""When a run revises its plan: the replanning modes, in a module of their own, so that the command line
offers them without importing the runtime (``replanning`` imports the browser and the planner)."""

REVISING = ("every-step", "after-reads")  # modes that revise after steps that went well, not only failed ones
MODES = ("on-failure", *REVISING)  # the modes a replanner runs in
REPLAN_MODES = ("never", *MODES)  # what `--replan` takes
