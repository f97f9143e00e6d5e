"""vLLM in-process (the optional extra ``planact[vllm]``, needs a GPU), constrained by the EBNF form of the plan grammar.

``vllm`` is imported only when a model is built.  The grammar goes in
``SamplingParams(structured_outputs=StructuredOutputsParams(grammar=...))``
(vLLM >= 0.12), or ``guided_decoding=GuidedDecodingParams(grammar=...)`` on
older releases.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .base import Completion, Message, ModelError, Usage

if TYPE_CHECKING:
    from ..syntax.decoding import DecodingGrammar

INSTALL_HINT = "pip install 'planact[vllm]'"


class VLLMInProcess:
    """A Hugging Face model served by a ``vllm.LLM`` engine inside this process.

    ``engine_args`` go to ``vllm.LLM`` unchanged (``gpu_memory_utilization``,
    ``max_model_len``, ``dtype``, ...).  The engine starts when this is built.
    """

    def __init__(self, model: str, **engine_args: Any) -> None:
        self._vllm = _import_vllm()
        self.name = model
        self.engine_args = engine_args
        try:
            self._llm = self._vllm.LLM(model=model, **engine_args)
        except Exception as exc:  # vLLM raises many kinds (OSError, ValueError, RuntimeError, CUDA errors)
            raise ModelError(f"vLLM could not start {model}: {type(exc).__name__}: {exc}") from None

    def describe(self) -> str:
        return f"vllm:{self.name} (in-process)"

    def complete(
        self,
        messages: Sequence[Message],
        *,
        grammar: DecodingGrammar | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Completion:
        """Generate one chat reply with the engine; usage counts the request's token ids."""
        params = self._sampling_params(grammar, max_tokens, temperature, stop)
        started = time.perf_counter()
        try:
            outputs = self._llm.chat([dict(m) for m in messages], params, use_tqdm=False)
        except Exception as exc:  # a bad grammar or an over-long prompt comes back as ValueError or RuntimeError
            raise ModelError(f"vLLM failed on {self.name}: {type(exc).__name__}: {exc}") from None
        latency_ms = (time.perf_counter() - started) * 1000
        request = outputs[0]
        generated = request.outputs[0]
        return Completion(
            text=generated.text,
            usage=Usage(len(request.prompt_token_ids or []), len(generated.token_ids)),
            model=self.name,
            latency_ms=latency_ms,
            finish_reason=generated.finish_reason,
        )

    def _sampling_params(
        self, grammar: DecodingGrammar | None, max_tokens: int, temperature: float, stop: Sequence[str] | None
    ) -> Any:
        sampling = self._vllm.sampling_params
        options: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature, "stop": list(stop or [])}
        if grammar is not None:
            if hasattr(sampling, "StructuredOutputsParams"):
                options["structured_outputs"] = sampling.StructuredOutputsParams(grammar=grammar.ebnf)
            else:
                options["guided_decoding"] = sampling.GuidedDecodingParams(grammar=grammar.ebnf)
        return sampling.SamplingParams(**options)


def _import_vllm() -> Any:
    try:
        import vllm
        import vllm.sampling_params
    except ImportError:
        raise ModelError(f"vLLM is not installed: {INSTALL_HINT} (it needs a CUDA GPU)") from None
    return vllm
