"""PA102: unknown target kind."""

from ..rule import Rule


class UnknownTargetKind(Rule):
    """What: a target starts with a word that is not a target kind.

    Why: targets are resolved by ARIA role + accessible name (button, link, textbox, ...),
    by label, placeholder, text or test id, by CSS as a fallback, or by `ref` for an
    element of a model observation; any other word cannot be resolved.

    Example: `click buton "Add to cart"`

    Use instead: `click button "Add to cart"`.
    """

    code = "PA102"
    name = "unknown-target-kind"
    origin = "parser"
