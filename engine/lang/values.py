"""Text to values of the plan language's types: the one place where text becomes a number, a yes/no or a list.

Text becomes a value in two ways, with the same rules for what a number and a yes/no are:

- given (:func:`given_value`): what a user gives, an ``--input NAME=VALUE`` or a field that an
  input's ``matching`` pattern took from an instruction, is the value whole: ``1,250`` and
  ``$4.99`` are numbers, ``4 items`` is not;
- read (:func:`page_value`): text an ``extract`` read from a page holds its value among other
  words, so a number is the first one in it (``Total: $1,234.50`` is 1234.5), and an empty or
  ``off`` text reads as no.

A number is finite and less than 10^15, the language's own limit for a literal (PA106); a
number written without a decimal point is an integer.  :func:`bind_inputs` gives a plan's
inputs their values.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from ..syntax import ast
from .evaluate import EvaluationError, Secret, evaluate
from .patterns import field_types, pattern_regex, show_pattern

LIMIT = 1e15
YES, NO = ("true", "yes", "1"), ("false", "no", "0")
_NUMBER_IN = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")


def _number(token: str) -> int | float:
    """A number's value from its digits (thousands commas allowed); ValueError if it is none, or too big."""
    value = float(token.replace(",", ""))
    if not math.isfinite(value) or abs(value) >= LIMIT:
        raise ValueError(token)
    return int(value) if value.is_integer() and "." not in token else value


def given_value(text: str, t: object, where: str) -> Any:
    """The value of type ``t`` that ``text`` gives whole; ValueError names ``where`` and says why not."""
    if isinstance(t, ast.ListType):
        if text.lstrip().startswith("["):
            return _json(text, where)
        return [given_value(item.strip(), t.item, where) for item in text.split(",") if item.strip()]
    if not isinstance(t, ast.ScalarType):  # a record: JSON
        return _json(text, where)
    if t.name == "number":
        token = text.strip().removeprefix("$")
        try:
            return _number(token)
        except ValueError:
            try:
                float(token.replace(",", ""))
            except ValueError:
                raise ValueError(f"{where} is a number, not {text[:40]!r}") from None
            raise ValueError(f"{where} is a finite number below a million billion (10^15), not {text[:40]!r}") from None
    if t.name == "bool":
        lowered = text.strip().lower()
        if lowered not in YES + NO:
            raise ValueError(f"{where} is true or false, not {text[:40]!r}")
        return lowered in YES
    return text


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(f"{where} takes JSON (a list or an object), not {text[:40]!r}") from None


def page_value(text: str, t: object) -> Any:
    """Text read from a page, as a value of the type ``t`` (a type node; None: text); EvaluationError if not."""
    if t is None or isinstance(t, ast.ScalarType) and t.name in ("text", "url"):
        return text.strip()
    if isinstance(t, ast.ScalarType) and t.name == "number":
        for m in _NUMBER_IN.finditer(text.replace("\u2212", "-")):
            try:
                return _number(m.group(0))
            except ValueError:
                raise EvaluationError(f"the number in {text.strip()[:60]!r} is not below 10^15") from None
        raise EvaluationError(f"no number in {text.strip()[:60]!r}")
    if isinstance(t, ast.ScalarType) and t.name == "bool":
        lowered = text.strip().lower()
        if lowered in YES + ("on",):
            return True
        if lowered in NO + ("off", ""):
            return False
        raise EvaluationError(f"not a yes/no value: {text.strip()[:60]!r}")
    raise EvaluationError(f"cannot read a {t} from text")


def patterned_value(inp: ast.Input, text: str) -> Any:
    """The value of a patterned input given ``text``; ValueError says why it does not fit."""
    fields = field_types(inp)
    for pattern in inp.patterns:
        m = pattern_regex(pattern).fullmatch(text.strip())
        if m is None:
            continue
        if not fields:
            return text.strip()
        return {name: given_value(m.group(name).strip(), t, f"{inp.name.name}.{name}") for name, t in fields.items()}
    shown = " or ".join(show_pattern(p) for p in inp.patterns)
    raise ValueError(f"input {inp.name.name}: {text!r} does not match {shown}")


def bind_inputs(plan: ast.Plan, given: Mapping[str, str], secrets: Mapping[str, str]) -> dict[str, Any]:
    """Input values from their defaults and from ``NAME=VALUE`` strings (JSON for records)."""
    values: dict[str, Any] = {}
    missing = []
    for inp in plan.inputs:
        name, t = inp.name.name, inp.type
        if isinstance(t, ast.ScalarType) and t.name == "secret":
            if name in given and name not in secrets:
                raise ValueError(
                    f"input {name} is a secret: give it with --secret {name}=VALUE or the environment variable "
                    f"PLANACT_SECRET_{name.upper()}, not --input (inputs are logged, secrets never)"
                )
            if name in secrets:
                values[name] = Secret(secrets[name])
            elif inp.default is not None:
                values[name] = Secret(str(evaluate(inp.default, {})))
            else:
                missing.append(name)
            continue
        if name in given and inp.patterns:
            values[name] = patterned_value(inp, given[name])
        elif name in given:
            values[name] = given_value(given[name], t, f"input {name}")
        elif inp.default is not None:
            values[name] = evaluate(inp.default, {})
        else:
            missing.append(name)
    if missing:
        raise ValueError(
            "missing inputs: "
            + ", ".join(missing)
            + " (give them with --input NAME=VALUE, secrets with --secret NAME=VALUE or PLANACT_SECRET_NAME)"
        )
    unknown = set(given) - {i.name.name for i in plan.inputs}
    if unknown:
        raise ValueError("the plan has no input named " + ", ".join(sorted(unknown)))
    return values
