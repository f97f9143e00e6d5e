"""PA410: completed step changed."""

from ..rule import Rule


class CompletedStepChanged(Rule):
    """What: a revision of a running plan changes or removes a step that has already run
    (or is running, or failed).

    Why: the past cannot be replanned: a run record must stay true to what happened, and
    ids of executed steps are stable.  Only pending steps may change.

    Example: replanning after `search` ran with a revision whose `search` step has a new
    intent.

    Use instead: add a new step (new id) that does the corrected work.
    """

    code = "PA410"
    name = "completed-step-changed"
    origin = "patch"
