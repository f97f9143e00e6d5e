"""Language models for the planner and the executor: one protocol, several backends.

The backends and ``load_model`` are imported on first use, so importing this
package loads neither httpx nor llama.cpp nor vLLM (the last two are imported
only when such a model is built).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .base import Completion, Message, Model, ModelError, ScriptedModel, Usage, estimate_tokens, estimate_usage

if TYPE_CHECKING:
    from .config import describe_model, load_model
    from .local import LocalLlama
    from .openai import OpenAICompatible
    from .vllm import VLLMInProcess

_LAZY = {
    "load_model": "config", "describe_model": "config", "OpenAICompatible": "openai", "LocalLlama": "local",
    "VLLMInProcess": "vllm",
}  # fmt: skip

__all__ = [
    "Completion", "Message", "Model", "ModelError", "ScriptedModel", "Usage", "estimate_tokens", "estimate_usage",
    "load_model", "describe_model", "OpenAICompatible", "LocalLlama", "VLLMInProcess",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value
