"""Language models for the planner and the executor: one protocol, several backends."""

from .base import Completion, Message, Model, ModelError, ScriptedModel, Usage, estimate_tokens, estimate_usage

__all__ = [
    "Completion", "Message", "Model", "ModelError", "ScriptedModel", "Usage", "estimate_tokens", "estimate_usage",
]  # fmt: skip
