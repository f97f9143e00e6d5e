"""A client for any OpenAI-compatible chat completions server (vLLM, SGLang, llama.cpp server, Ollama, hosted APIs).

The plan grammar travels as a structured-output constraint in the request body;
servers spell that differently, so ``grammar_format`` picks the spelling:

- ``structured_outputs``: ``{"structured_outputs": {"grammar": EBNF}}`` (vLLM >= 0.12, the default)
- ``guided_grammar``: ``{"guided_grammar": EBNF}`` (vLLM before 0.12)
- ``gbnf``: ``{"grammar": GBNF}`` (llama.cpp's server, llama-cpp-python's server)
- ``none``: no constraint (hosted APIs)

Rate limits (429), server errors (5xx), timeouts and refused connections are
retried with exponential backoff and jitter, honouring ``Retry-After``; any
other 4xx fails at once.  Every failure is a :class:`ModelError` that names the
URL and says what to check, never a traceback.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, get_args

import httpx

from .base import Completion, Message, ModelError, Usage, estimate_usage

if TYPE_CHECKING:
    from ..syntax.decoding import DecodingGrammar

GrammarFormat = Literal["structured_outputs", "guided_grammar", "gbnf", "none"]
GRAMMAR_FORMATS: tuple[str, ...] = get_args(GrammarFormat)
API_KEY_ENV = ("PLANACT_API_KEY", "OPENAI_API_KEY")

_STATUS_HINTS = {
    400: "the server rejected the request; if it mentions the grammar, try another grammar_format "
    f"({', '.join(GRAMMAR_FORMATS)})",
    401: f"check the API key ({' or '.join(API_KEY_ENV)}, or api_key_env in planact.toml)",
    403: "the API key is not allowed to use this model",
    404: "check the base URL (it usually ends in /v1) and the model name",
    422: "the server could not read the request; if it mentions the grammar, try another grammar_format",
}


class OpenAICompatible:
    """A model behind an OpenAI-compatible ``POST {base_url}/chat/completions`` endpoint.

    ``api_key`` defaults to ``$PLANACT_API_KEY``, then ``$OPENAI_API_KEY``; local
    servers need none.  ``max_retries`` counts the retries after the first try;
    the wait before retry *n* is ``backoff_s * 2**n`` (at most ``max_backoff_s``)
    with jitter, or the server's ``Retry-After`` (also at most ``max_backoff_s``).
    """

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 60,
        max_retries: int = 4,
        grammar_format: GrammarFormat = "structured_outputs",
        *,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        if grammar_format not in GRAMMAR_FORMATS:
            raise ModelError(f"unknown grammar_format {grammar_format!r}: use one of {', '.join(GRAMMAR_FORMATS)}")
        if not base_url.startswith(("http://", "https://")):
            raise ModelError(
                f"base URL {base_url!r} must start with http:// or https:// (e.g. http://127.0.0.1:8000/v1)"
            )
        if max_retries < 0:
            raise ModelError(f"max_retries must be 0 or more, not {max_retries}")
        self.name = model
        self.base_url = base_url.rstrip("/")
        self.url = f"{self.base_url}/chat/completions"
        self.api_key = api_key if api_key is not None else _api_key_from_env()
        self.timeout = timeout
        self.max_retries = max_retries
        self.grammar_format: GrammarFormat = grammar_format
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._client: httpx.Client | None = None

    def describe(self) -> str:
        return f"openai:{self.name}@{self.base_url} (grammar as {self.grammar_format})"

    def close(self) -> None:
        """Close the HTTP connection pool (a later call opens a new one)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def complete(
        self,
        messages: Sequence[Message],
        *,
        grammar: DecodingGrammar | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Completion:
        """Ask the server for one chat completion; latency counts every try and wait."""
        body = self.request_body(messages, grammar=grammar, max_tokens=max_tokens, temperature=temperature, stop=stop)
        started = time.perf_counter()
        reply = self._post_with_retries(body)
        latency_ms = (time.perf_counter() - started) * 1000
        return self._completion(reply, messages, latency_ms)

    def request_body(
        self,
        messages: Sequence[Message],
        *,
        grammar: DecodingGrammar | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """The JSON body of a chat completions request, with the grammar in this server's spelling."""
        body: dict[str, Any] = {
            "model": self.name,
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if stop:
            body["stop"] = list(stop)
        if grammar is not None:
            if self.grammar_format == "structured_outputs":
                body["structured_outputs"] = {"grammar": grammar.ebnf}
            elif self.grammar_format == "guided_grammar":
                body["guided_grammar"] = grammar.ebnf
            elif self.grammar_format == "gbnf":
                body["grammar"] = grammar.gbnf
        return body

    def _post_with_retries(self, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        problem = ""
        for attempt in range(self.max_retries + 1):
            retry_after: float | None = None
            try:
                response = self._http().post(self.url, json=body, headers=headers)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise ModelError(f"cannot use the model URL {self.url}: {exc}") from None
            except httpx.TimeoutException:
                problem = f"no answer within {self.timeout:g} s (raise timeout in planact.toml if the model is slow)"
            except httpx.TransportError as exc:
                problem = f"connection failed ({exc or type(exc).__name__}); is the server running at {self.base_url}?"
            else:
                if response.is_success:
                    return _json_reply(response, self.url)
                status = response.status_code
                if status != 429 and status < 500:
                    raise ModelError(_status_message(self.url, response))
                problem = _status_message(self.url, response, hint=False)
                retry_after = _retry_after_s(response.headers.get("Retry-After"))
            if attempt < self.max_retries:
                time.sleep(self._delay_s(attempt, retry_after))
        tries = self.max_retries + 1
        raise ModelError(f"{self.url}: gave up after {tries} {'try' if tries == 1 else 'tries'}: {problem}")

    def _delay_s(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff_s)
        ceiling = min(self.backoff_s * 2**attempt, self.max_backoff_s)
        return random.uniform(ceiling / 2, ceiling)

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout)
        return self._client

    def _completion(self, reply: dict[str, Any], messages: Sequence[Message], latency_ms: float) -> Completion:
        try:
            choice = reply["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise ModelError(f"{self.url} answered without choices[0].message: {str(reply)[:300]}") from None
        return Completion(
            text=text,
            usage=_usage(reply.get("usage"), messages, text),
            model=str(reply.get("model") or self.name),
            latency_ms=latency_ms,
            finish_reason=choice.get("finish_reason"),
        )


def _api_key_from_env() -> str | None:
    return next((os.environ[name] for name in API_KEY_ENV if os.environ.get(name)), None)


def _usage(reported: Any, messages: Sequence[Message], text: str) -> Usage:
    if isinstance(reported, dict):
        prompt, completion = reported.get("prompt_tokens"), reported.get("completion_tokens")
        if isinstance(prompt, int) and isinstance(completion, int):
            return Usage(prompt, completion)
    return estimate_usage(messages, text)


def _json_reply(response: httpx.Response, url: str) -> dict[str, Any]:
    try:
        reply = response.json()
    except ValueError:
        raise ModelError(f"{url} answered {response.status_code} but not with JSON: {response.text[:300]!r}") from None
    if not isinstance(reply, dict):
        raise ModelError(f"{url} answered with JSON that is not an object: {str(reply)[:300]}")
    return reply


def _server_message(response: httpx.Response) -> str:
    """The error text a server put in its reply: OpenAI's ``error.message``, FastAPI's ``detail``, or the raw body."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500]
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            value = body.get(key)
            if isinstance(value, dict) and value.get("message"):
                return str(value["message"])
            if value:
                return str(value)[:500]
    return str(body)[:500]


def _status_message(url: str, response: httpx.Response, *, hint: bool = True) -> str:
    status = response.status_code
    message = f"{url} answered {status} {response.reason_phrase}".rstrip()
    detail = _server_message(response)
    if detail:
        message += f": {detail}"
    if hint and status in _STATUS_HINTS:
        message += f" ({_STATUS_HINTS[status]})"
    return message


def _retry_after_s(value: str | None) -> float | None:
    """``Retry-After`` in seconds: a number of seconds or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
