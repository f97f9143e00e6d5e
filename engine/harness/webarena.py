"""WebArena-format tasks: the config model, loading and validating task files, site placeholders.

A task file is WebArena's ``test.raw.json`` format: a JSON list of configs (or
one config), each with an ``intent``, a ``start_url``, the ``sites`` it uses
and an ``eval`` block that says how the episode is judged (see
:mod:`planact.harness.evaluators`).  URLs name sites by placeholder
(``__SHOPPING__/checkout``); :func:`load_tasks` fills them in from a mapping,
which :func:`load_placeholders` reads from a settings file.

Loading is strict where a wrong config would silently score zero later: an
unknown evaluator, an evaluator without the reference it needs, a malformed
``program_html`` entry.  Every other key of a config is kept as it is
(WebArena has many: ``geolocation``, ``intent_template``, ...).  Our own
optional key ``family`` names a task family, for held-out splits.
"""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

EVALUATORS = ("string_match", "url_match", "program_html")
URL_NOTES = ("GOLD in PRED", "EXACT")
OR = " |OR| "  # separates alternatives in a reference answer, a required content or a reference URL

# Site name (a key of the settings file's [sites] table) -> the placeholder it fills in.
SITE_PLACEHOLDERS = {
    "shopping": "__SHOPPING__",
    "shopping_admin": "__SHOPPING_ADMIN__",
    "reddit": "__REDDIT__",
    "gitlab": "__GITLAB__",
    "map": "__MAP__",
    "wikipedia": "__WIKIPEDIA__",
    "homepage": "__HOMEPAGE__",
    "demo": "__DEMO__",
}

# Built-in task sets: name -> (top-level package, file inside it, the pip package that ships it).
BUILTIN = {
    "demo": ("planact", "harness/tasks/demo.json", "planact"),
    "webarena": ("webarena", "test.raw.json", "libwebarena"),
    "webarena-lite": ("browsergym", "webarenalite/test_webarena_lite.raw.json", "browsergym-webarenalite"),
}


class TaskFileError(ValueError):
    """A task file cannot be read or one of its configs is invalid; the message names the file and the task."""


def _problem(message: str) -> PydanticCustomError:
    return PydanticCustomError("task", message)


def _as_list(value: Any) -> Any:
    """A single string where WebArena usually writes a list of them (it does both)."""
    return [value] if isinstance(value, str) else value


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ReferenceAnswers(_Open):
    """What ``string_match`` compares the agent's answer with; ``fuzzy_match = "N/A"``: the task is unachievable."""

    exact_match: str | None = None
    must_include: list[str] | None = None
    fuzzy_match: list[str] | Literal["N/A"] | None = None

    @field_validator("must_include", mode="before")
    @classmethod
    def _include_list(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("fuzzy_match", mode="before")
    @classmethod
    def _fuzzy_list(cls, value: Any) -> Any:
        return value if value == "N/A" else _as_list(value)

    @property
    def approaches(self) -> list[str]:
        return [a for a in ("exact_match", "must_include", "fuzzy_match") if getattr(self, a) is not None]


class RequiredContents(_Open):
    """What a ``program_html`` locator's text must hold (WebArena uses the first one given of these)."""

    exact_match: str | None = None
    must_include: list[str] | None = None
    fuzzy_match: list[str] | None = None

    @field_validator("must_include", "fuzzy_match", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _as_list(value)

    @model_validator(mode="after")
    def _one_given(self) -> RequiredContents:
        if self.exact_match is None and self.must_include is None and self.fuzzy_match is None:
            raise _problem("give exact_match, must_include or fuzzy_match")
        return self


class HtmlCheck(_Open):
    """One ``program_html`` entry: open ``url`` ("last": the page the agent ended on), read ``locator``, check it."""

    url: str
    locator: str = ""  # a JS expression; empty: the page's whole text
    required_contents: RequiredContents
    prep_actions: list[str] = Field(default_factory=list)  # JS statements run before the locator


class EvalSpec(_Open):
    """How an episode is judged: the evaluators to run (their scores multiply) and their references."""

    eval_types: list[str]
    reference_answers: ReferenceAnswers | None = None
    reference_url: str | None = None
    url_note: str | None = None  # "GOLD in PRED" (default) or "EXACT"
    program_html: list[HtmlCheck] = Field(default_factory=list)
    string_note: str | None = None  # why an "N/A" task is unachievable

    @field_validator("eval_types")
    @classmethod
    def _known_evaluators(cls, value: list[str]) -> list[str]:
        if not value:
            raise _problem("no evaluator given (" + ", ".join(EVALUATORS) + ")")
        for name in value:
            if name not in EVALUATORS:
                raise _problem(f"{name!r} is not an evaluator ({', '.join(EVALUATORS)})")
        return value

    @field_validator("url_note")
    @classmethod
    def _known_note(cls, value: str | None) -> str | None:
        if value is not None and value not in URL_NOTES:
            raise _problem(f"{value!r} is not a URL matching rule ({', '.join(URL_NOTES)})")
        return value

    @model_validator(mode="after")
    def _references_given(self) -> EvalSpec:
        if "string_match" in self.eval_types and (
            self.reference_answers is None or not self.reference_answers.approaches
        ):
            raise _problem("string_match needs reference_answers (exact_match, must_include or fuzzy_match)")
        if "url_match" in self.eval_types and not (self.reference_url or "").strip():
            raise _problem("url_match needs a reference_url")
        if "program_html" in self.eval_types and not self.program_html:
            raise _problem("program_html needs program_html entries (url, locator, required_contents)")
        return self

    @property
    def url_rule(self) -> str:
        return self.url_note or "GOLD in PRED"


class WebTask(_Open):
    """One WebArena-format task config."""

    task_id: str
    intent: str
    start_url: str
    sites: list[str] = Field(default_factory=list)
    require_login: bool = False
    storage_state: str | None = None
    eval: EvalSpec
    family: str | None = None  # ours: a task family, for held-out splits
    source: str = ""  # the file the config came from

    @field_validator("task_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# ------------------------------------------------------------ loading


def load_tasks(path: str | Path, placeholders: Mapping[str, str] | None = None) -> list[WebTask]:
    """The task configs of a JSON file (a list of configs, or one), placeholders filled in, validated.

    ``placeholders`` maps ``__SHOPPING__`` (or the site name, ``shopping``) to a base URL;
    placeholders it does not name stay as they are.  Raises :class:`TaskFileError`.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TaskFileError(f"{name}: cannot read the task file: {err}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise TaskFileError(f"{name}:{err.lineno}:{err.colno}: invalid JSON: {err.msg}") from None
    configs = [document] if isinstance(document, dict) else document
    if not isinstance(configs, list):
        raise TaskFileError(f"{name}: expected a list of task configs (or one config), found {type(document).__name__}")
    fill = _filler(placeholders or {})
    tasks: list[WebTask] = []
    seen: set[str] = set()
    for index, config in enumerate(configs):
        task = _load_one(fill(config), name, index)
        if task.task_id in seen:
            raise TaskFileError(f"{name}: task {task.task_id}: task_id appears twice in the file")
        seen.add(task.task_id)
        tasks.append(task)
    return tasks


def _load_one(config: Any, name: str, index: int) -> WebTask:
    label = f"task at index {index}"
    if not isinstance(config, dict):
        raise TaskFileError(f"{name}: {label}: expected a JSON object, found {type(config).__name__}")
    if isinstance(config.get("task_id"), (str, int)) and not isinstance(config.get("task_id"), bool):
        label = f"task {config['task_id']}"
    try:
        return WebTask.model_validate({**config, "source": name})
    except ValidationError as err:
        first = err.errors()[0]
        where = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}"
            for part in first["loc"]
            if not str(part).startswith("function-")
        ).removeprefix(".")
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "missing":
            message = "missing (required)"
        raise TaskFileError(
            f"{name}: {label}: {where}: {message}" if where else f"{name}: {label}: {message}"
        ) from None


def _filler(placeholders: Mapping[str, str]) -> Callable[[Any], Any]:
    """A function that fills the placeholders into every string of a config."""
    table = {_placeholder_key(k): v.rstrip("/") for k, v in placeholders.items()}
    if not table:
        return lambda value: value
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(lambda m: table[m.group(0)], value)
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    return fill


def _placeholder_key(key: str) -> str:
    if key.startswith("__") and key.endswith("__"):
        return key
    if key in SITE_PLACEHOLDERS:
        return SITE_PLACEHOLDERS[key]
    raise TaskFileError(f"{key!r} is not a placeholder: use one of {', '.join(SITE_PLACEHOLDERS.values())}")


def load_placeholders(path: str | Path) -> dict[str, str]:
    """Site URLs from a TOML settings file's ``[sites]`` table, as placeholders for :func:`load_tasks`.

    Keys (each optional) and the placeholder each fills in::

        [sites]
        shopping = "http://host:7770"        # __SHOPPING__
        shopping_admin = "http://host:7780"  # __SHOPPING_ADMIN__
        reddit = "http://host:9999"          # __REDDIT__
        gitlab = "http://host:8023"          # __GITLAB__
        map = "http://host:3000"             # __MAP__
        wikipedia = "http://host:8888"       # __WIKIPEDIA__
        homepage = "http://host:4399"        # __HOMEPAGE__
        demo = "http://127.0.0.1:8765"       # __DEMO__ (planact's bundled demo shop)
    """
    name = str(path)
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except OSError as err:
        raise TaskFileError(f"{name}: cannot read the settings file: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise TaskFileError(f"{name}: invalid TOML: {err}") from None
    sites = document.get("sites")
    if not isinstance(sites, dict):
        raise TaskFileError(f'{name}: no [sites] table (e.g. [sites] shopping = "http://host:7770")')
    found: dict[str, str] = {}
    for site, url in sites.items():
        if site not in SITE_PLACEHOLDERS:
            raise TaskFileError(f"{name}: [sites] {site}: not a site; the sites are {', '.join(SITE_PLACEHOLDERS)}")
        if not isinstance(url, str) or not re.match(r"https?://", url):
            raise TaskFileError(f"{name}: [sites] {site}: expected an http(s) URL, found {url!r}")
        found[SITE_PLACEHOLDERS[site]] = url.rstrip("/")
    return found


def builtin_tasks(name: str, placeholders: Mapping[str, str] | None = None) -> list[WebTask]:
    """A bundled task set: ``demo`` (planact's demo shop), ``webarena`` (812 tasks) or ``webarena-lite`` (165)."""
    return load_tasks(builtin_task_file(name), placeholders)


def builtin_task_file(name: str) -> Path:
    """Where a bundled task set's file lies: found through its package's import spec, never importing it."""
    if name not in BUILTIN:
        raise TaskFileError(f"{name!r} is not a built-in task set ({', '.join(BUILTIN)}); or give a task file")
    package, relative, dist = BUILTIN[name]
    spec = importlib.util.find_spec(package)
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(folder) / relative
        if candidate.is_file():
            return candidate
    raise TaskFileError(f"the {name} tasks come with the {dist} package: `pip install --no-deps {dist}`")


# ------------------------------------------------------------ the demo shop's login


async def demo_login(context: Any, base_url: str, user: str = "alice", password: str = "wonderland") -> None:
    """Sign a browser context in to the demo shop through its login form's endpoint (``POST /login``).

    Uses ``context.request``, whose cookies are the context's own, so the
    context's pages are signed in afterwards.  Raises ``RuntimeError`` when the shop refuses.
    """
    response = await context.request.post(
        base_url.rstrip("/") + "/login", form={"username": user, "password": password, "next": "/"}
    )
    if not response.ok or f"Signed in as {user}" not in await response.text():
        raise RuntimeError(f"the demo shop at {base_url} did not sign in {user!r} (HTTP {response.status})")
