"""WebArena-format tasks: loading and validation, placeholders, the three evaluators on hand-made pages,
and every demo task replayed by its reference plan in headless Chromium and judged by the evaluators."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from setup_state import needs

from planact import parse
from planact.browser.launch import BrowserNotFound, find_browser
from planact.browser.session import BrowserSession, SessionOptions
from planact.cli import main
from planact.demo.server import serve_demo
from planact.harness.evaluators import NO_JUDGE, evaluate_task
from planact.harness.webarena import (
    TaskFileError,
    WebTask,
    builtin_tasks,
    demo_login,
    load_placeholders,
    load_tasks,
)
from planact.lang.values import bind_inputs
from planact.models.base import ScriptedModel
from planact.run.executor import Executor
from planact.run.records import RunRecord

ROOT = Path(__file__).parent.parent
PLANS = ROOT / "plans" / "bench-demo"
PLAN_SITE = "http://127.0.0.1:8765"

try:
    find_browser()
    HAVE_BROWSER = True
except BrowserNotFound:
    HAVE_BROWSER = False
needs_browser = pytest.mark.skipif(not HAVE_BROWSER, reason="no Chromium: run `planact setup-browser`")


# ------------------------------------------------------------ loading and validation


@needs("data")
@pytest.mark.parametrize(("name", "count"), [("webarena-lite", 165), ("webarena", 812)])
def test_every_webarena_config_loads_and_validates(name, count):
    tasks = builtin_tasks(name, {"shopping": "http://shop:7770"})
    assert len(tasks) == count and len({t.task_id for t in tasks}) == count
    assert all(isinstance(t.task_id, str) and t.source.endswith(".json") for t in tasks)
    assert not any("__SHOPPING__" in t.start_url for t in tasks)
    first = tasks[0]
    assert "intent_template" in first.model_extra  # unknown keys are kept


def test_the_demo_tasks_cover_every_evaluator_and_several_families():
    tasks = builtin_tasks("demo", {"__DEMO__": "http://127.0.0.1:9"})
    assert len(tasks) >= 30
    assert all(t.sites == ["demo"] and t.start_url.startswith("http://127.0.0.1:9") for t in tasks)
    families: dict[str, int] = {}
    for t in tasks:
        families[t.family or ""] = families.get(t.family or "", 0) + 1
    assert "" not in families and all(n >= 3 for n in families.values()), families
    refs = [t.eval.reference_answers for t in tasks if t.eval.reference_answers]
    for approach in ("exact_match", "must_include", "fuzzy_match"):
        assert any(getattr(r, approach) for r in refs), approach
    assert any(r.fuzzy_match == "N/A" for r in refs)
    assert any("url_match" in t.eval.eval_types for t in tasks)
    assert any(e.url == "last" for t in tasks for e in t.eval.program_html)


def test_every_demo_task_has_a_reference_plan_that_lints_clean():
    ids = {t.task_id for t in builtin_tasks("demo")}
    assert ids == {p.stem for p in PLANS.glob("*.pa")}
    result = CliRunner().invoke(main, ["lint", *sorted(str(p) for p in PLANS.glob("*.pa"))])
    assert result.exit_code == 0, result.output


def _write(tmp_path: Path, configs: Any, name: str = "tasks.json") -> Path:
    path = tmp_path / name
    path.write_text(configs if isinstance(configs, str) else json.dumps(configs))
    return path


def _config(task_id: Any = 17, **eval_spec: Any) -> dict[str, Any]:
    spec = {"eval_types": ["string_match"], "reference_answers": {"exact_match": "x"}, **eval_spec}
    return {"task_id": task_id, "intent": "Do it", "start_url": "__SHOPPING__/", "sites": ["shopping"], "eval": spec}


@pytest.mark.parametrize(
    ("configs", "message"),
    [
        ('[{"task_id": 1,\n  "intent": }]', r"tasks\.json:2:13: invalid JSON"),
        (
            [_config(), _config(17, eval_types=["string_matchx"])],
            r"tasks\.json: task 17: eval\.eval_types: 'string_matchx' is not an evaluator "
            r"\(string_match, url_match, program_html\)",
        ),
        ([_config(3, reference_answers=None)], r"task 3: eval: string_match needs reference_answers"),
        ([_config(4, eval_types=["url_match"], reference_url="")], r"task 4: eval: url_match needs a reference_url"),
        ([_config(5, eval_types=["program_html"])], r"task 5: eval: program_html needs program_html entries"),
        (
            [_config(6, eval_types=["program_html"], program_html=[{"url": "last", "required_contents": {}}])],
            r"task 6: eval\.program_html\[0\]\.required_contents: give exact_match, must_include or fuzzy_match",
        ),
        ([{k: v for k, v in _config().items() if k != "task_id"}], r"task at index 0: task_id: missing"),
        ([_config(8), _config(8)], r"task 8: task_id appears twice"),
        ({"tasks": []}, r"task at index 0: task_id: missing"),
        ("3", r"expected a list of task configs"),
    ],
)
def test_a_corrupt_task_file_names_the_file_and_the_task(tmp_path, configs, message):
    path = _write(tmp_path, configs)
    with pytest.raises(TaskFileError, match=message) as err:
        load_tasks(path)
    assert str(path) in str(err.value)


def test_placeholders_come_from_a_settings_file(tmp_path):
    settings = tmp_path / "planact.toml"
    settings.write_text('[sites]\nshopping = "http://host:7770/"\nshopping_admin = "http://host:7780"\n')
    placeholders = load_placeholders(settings)
    assert placeholders == {"__SHOPPING__": "http://host:7770", "__SHOPPING_ADMIN__": "http://host:7780"}
    config = _config(1, eval_types=["url_match"], reference_url="__SHOPPING_ADMIN__/a |OR| __SHOPPING__/b")
    config["note"] = ["see __SHOPPING__/c", {"deep": "__REDDIT__/d"}]
    (task,) = load_tasks(_write(tmp_path, config), placeholders)
    assert task.task_id == "1" and task.start_url == "http://host:7770/"
    assert task.eval.reference_url == "http://host:7780/a |OR| http://host:7770/b"
    assert task.model_extra["note"] == ["see http://host:7770/c", {"deep": "__REDDIT__/d"}]  # unknown ones stay

    settings.write_text('[sites]\nshop = "http://host:7770"\n')
    with pytest.raises(TaskFileError, match=r"\[sites\] shop: not a site; the sites are shopping, "):
        load_placeholders(settings)
    settings.write_text("[model]\n")
    with pytest.raises(TaskFileError, match=r"no \[sites\] table"):
        load_placeholders(settings)


def test_a_missing_builtin_set_says_which_package_to_install(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(TaskFileError, match=r"pip install --no-deps browsergym-webarenalite"):
        builtin_tasks("webarena-lite")
    with pytest.raises(TaskFileError, match=r"'nope' is not a built-in task set"):
        builtin_tasks("nope")


# ------------------------------------------------------------ string_match (no page needed)


def _task(task_id: str = "t", intent: str = "What is it?", **eval_spec: Any) -> WebTask:
    return WebTask.model_validate({"task_id": task_id, "intent": intent, "start_url": "http://x/", "eval": eval_spec})


def _judge(verdict: str) -> ScriptedModel:
    return ScriptedModel(lambda messages: verdict)


def _string(answer: str | None, judge: Any = None, **refs: Any):
    task = _task(eval_types=["string_match"], reference_answers=refs, string_note="It is not sold.")
    return asyncio.run(evaluate_task(task, None, answer, judge))


def test_string_match_exact_and_must_include():
    assert _string(' "Acme Mouse" ', exact_match="acme mouse").passed
    assert not _string("Acme Mouse!", exact_match="acme mouse").passed
    assert _string("It costs $14.49 at Acme", must_include=["14.49", "acme"]).passed
    verdict = _string("It costs $14.49", must_include=["14.49", "Globex |OR| Hooli"])
    assert verdict.score == 0.0 and [c.passed for c in verdict.checks] == [True, False]
    assert _string("made by Hooli", must_include=["Globex |OR| Hooli"]).passed
    assert _string("2 in stock", must_include=["2"]).passed
    assert not _string("12 in stock", must_include=["2"]).passed  # a lone one-character item is a whole token
    assert not _string(None, exact_match="x").passed


def test_string_match_fuzzy_asks_the_judge():
    yes, no, garbage = _judge("Yes."), _judge("no"), _judge("I cannot tell")
    assert _string("out of stock", yes, fuzzy_match=["No, it is sold out"]).passed
    assert not _string("in stock", no, fuzzy_match=["No, it is sold out"]).passed
    verdict = _string("out of stock", garbage, fuzzy_match=["sold out"])
    assert not verdict.passed and "unparseable" in verdict.checks[0].detail and "3 tries" in verdict.checks[0].detail
    assert len(garbage.requests) == 3
    late = ScriptedModel(["hmm", "YES"])
    assert _string("out of stock", late, fuzzy_match=["sold out"]).passed
    prompt = late.requests[0].messages[-1]["content"]
    assert "What is it?" in prompt and "sold out" in prompt and "out of stock" in prompt
    no_judge = _string("out of stock", fuzzy_match=["sold out"])
    assert not no_judge.passed and no_judge.checks[0].detail == NO_JUDGE


def test_string_match_n_a_is_an_unachievable_task():
    assert _string(" n/a ", fuzzy_match="N/A").passed  # no judge needed
    assert _string("N/A: the shop does not sell it", _judge("yes"), fuzzy_match="N/A").passed
    assert not _string("It costs $5", _judge("no"), fuzzy_match="N/A").passed
    assert NO_JUDGE in _string("not sold here", fuzzy_match="N/A").checks[0].detail


# ------------------------------------------------------------ one browser for the rest of the file


@dataclass
class Browser:
    """A Chromium launched once for this module, driven from one event loop."""

    runner: asyncio.Runner
    browser: Any

    def run(self, coroutine: Any) -> Any:
        return self.runner.run(coroutine)


@pytest.fixture(scope="module")
def chromium():
    if not HAVE_BROWSER:
        pytest.skip("no Chromium: run `planact setup-browser`")
    from playwright.async_api import async_playwright

    runner = asyncio.Runner()

    async def launch() -> tuple[Any, Any]:
        playwright = await async_playwright().start()
        choice = find_browser()
        browser = await playwright.chromium.launch(
            executable_path=choice.executable, headless=True, args=list(choice.args)
        )
        return playwright, browser

    playwright, browser = runner.run(launch())
    yield Browser(runner, browser)
    runner.run(browser.close())
    runner.run(playwright.stop())
    runner.close()


PAGES = {
    "/order/7": '<h1 class="title">Order #7 confirmed</h1><p id="items">3 items &amp; a gift</p>',
    "/search": "<h1>Results</h1><ol><li>Acme Mouse</li><li>Hooli Mouse</li></ol>",
}


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server protocol
        body = PAGES.get(self.path.split("?")[0], f"<p>{self.path}</p>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pages():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _on_page(chromium: Browser, url: str, task: WebTask, answer: str | None = None, judge: Any = None, **kw: Any):
    async def go():
        context = await chromium.browser.new_context()
        try:
            page = await context.new_page()
            await page.goto(url)
            return await evaluate_task(task, page, answer, judge, **kw)
        finally:
            await context.close()

    return chromium.run(go())


@needs_browser
def test_url_match(chromium, pages):
    def url_task(reference: str, note: str | None = None) -> WebTask:
        return _task(eval_types=["url_match"], reference_url=reference, url_note=note)

    here = f"{pages}/search/?q=mouse&page=2&sort=price"
    assert _on_page(chromium, here, url_task(f"{pages}/search?q=mouse")).passed
    assert _on_page(chromium, here, url_task(f"{pages}/nowhere |OR| {pages}/search?page=2")).passed
    verdict = _on_page(chromium, here, url_task(f"{pages}/search?q=keyboard"))
    assert not verdict.passed and "query lacks q=keyboard" in verdict.checks[0].detail
    assert not _on_page(chromium, here, url_task(f"{pages}/cart")).passed
    assert _on_page(chromium, f"{pages}/product/34", url_task(f"{pages}/product/34/", "EXACT")).passed
    assert not _on_page(chromium, f"{pages}/product/345", url_task(f"{pages}/product/34", "EXACT")).passed


@needs_browser
def test_program_html(chromium, pages):
    def html_task(*entries: dict[str, Any]) -> WebTask:
        return _task(eval_types=["program_html"], program_html=list(entries))

    order = f"{pages}/order/7"
    title = "document.querySelector('.title').innerText"
    ok = html_task(
        {"url": "last", "locator": title, "required_contents": {"exact_match": "order #7 CONFIRMED"}},
        {"url": f"{pages}/search", "locator": "", "required_contents": {"must_include": ["Hooli Mouse |OR| x"]}},
        {"url": "__last_url__", "locator": "document.querySelector('#items').innerHTML",
         "required_contents": {"must_include": ["3 items & a gift"]}},  # entities unescaped
    )  # fmt: skip
    verdict = _on_page(chromium, order, ok)
    assert verdict.passed, verdict.as_dict()
    assert len(verdict.checks) == 3 and verdict.as_dict()["passed"] is True

    wrong = _on_page(
        chromium,
        order,
        html_task({"url": "last", "locator": title, "required_contents": {"must_include": ["shipped"]}}),
    )
    assert not wrong.passed and "lacks ['shipped']" in wrong.checks[0].detail

    broken = html_task(
        {"url": "last", "locator": "document.querySelector('.missing').innerText", "required_contents": {"exact_match": "x"}},
        {"url": "last", "locator": "new Promise(() => {})", "required_contents": {"exact_match": "x"}},
        {"url": "func:shopping_get_latest_order_url()", "locator": title, "required_contents": {"exact_match": "x"}},
        {"url": "last", "locator": "func:gitlab_get_project_memeber_role(__page__, 'x')", "required_contents": {"exact_match": "x"}},
    )  # fmt: skip
    started = time.perf_counter()
    verdict = _on_page(chromium, order, broken, timeout_s=0.5)
    assert time.perf_counter() - started < 5
    kinds = [(c.kind, c.passed) for c in verdict.checks]
    assert kinds == [("program_html", False), ("program_html", False), ("unsupported", False), ("unsupported", False)]
    assert "TypeError" in verdict.checks[0].detail or "null" in verdict.checks[0].detail
    assert "func:" in verdict.checks[2].detail

    fuzzy = html_task({"url": "last", "locator": title, "required_contents": {"fuzzy_match": ["order 7 is confirmed"]}})
    assert _on_page(chromium, order, fuzzy, judge=_judge("yes")).passed
    assert not _on_page(chromium, order, fuzzy).passed


@needs_browser
def test_the_score_is_the_product_of_the_evaluators(chromium, pages):
    task = _task(
        eval_types=["string_match", "url_match"],
        reference_answers={"must_include": ["7"]},
        reference_url=f"{pages}/order/7",
    )
    assert _on_page(chromium, f"{pages}/order/7", task, "Order 7").passed
    verdict = _on_page(chromium, f"{pages}/order/8", task, "Order 7")
    assert verdict.score == 0.0 and [c.kind for c in verdict.checks] == ["must_include", "url_match"]
    assert [c["passed"] for c in verdict.as_dict()["checks"]] == [True, False]


# ------------------------------------------------------------ the demo tasks, end to end

EPISODES_AT_ONCE = 3  # contexts of the one browser running side by side


def _word_judge(messages: list[dict[str, str]]) -> str:
    """A stand-in judge for the demo's fuzzy tasks: yes when the answer has every content word of the reference."""
    prompt = messages[-1]["content"]
    reference = re.search(r"Reference answer: (.*)", prompt).group(1).lower()
    answer = re.search(r"Student answer: (.*)", prompt).group(1).lower()
    return "yes" if all(w in answer for w in re.findall(r"\w{3,}", reference)) else "no"


async def _replay(browser: Any, task: WebTask, base: str, runs: Path, judge: Any) -> tuple[Any, Any]:
    """Run the task's reference plan in a fresh context of ``browser`` (signed in first when the task
    requires it) and judge the page it ends on; None for a verdict when the plan failed."""
    plan = parse((PLANS / f"{task.task_id}.pa").read_text().replace(PLAN_SITE, base))
    session = await BrowserSession(SessionOptions(), shared=browser).start()
    try:
        if task.require_login:
            await demo_login(session.context, base)
        executor = Executor(plan, bind_inputs(plan, {}, {}), RunRecord.create(runs), session.options, session=session)
        result = await executor.run()
        answer = None if result.answer is None else str(result.answer)
        verdict = await evaluate_task(task, session.page, answer, judge) if result.status == "succeeded" else None
        return result, verdict
    finally:
        await session.close()


async def _idle(browser: Any, task: WebTask, base: str, judge: Any) -> Any:
    """The verdict on an agent that does nothing: it stays on the start page and answers nothing."""
    if task.eval.eval_types == ["string_match"]:
        return await evaluate_task(task, None, None, judge)
    context = await browser.new_context()
    try:
        if task.require_login:
            await demo_login(context, base)
        page = await context.new_page()
        await page.goto(task.start_url)
        return await evaluate_task(task, page, None, judge)
    finally:
        await context.close()


async def _verify_all(browser: Any, tasks: list[WebTask], base: str, runs: Path, judge: Any) -> list[tuple]:
    """Replay and judge every task, a few at a time; the problems found."""
    slots = asyncio.Semaphore(EPISODES_AT_ONCE)

    async def verify(task: WebTask) -> list[tuple]:
        async with slots:
            result, verdict = await _replay(browser, task, base, runs, judge)
            problems = []
            if verdict is None or not verdict.passed:
                problems.append((task.task_id, result.error, result.answer, verdict and verdict.as_dict()))
            if (await _idle(browser, task, base, judge)).passed:
                problems.append((task.task_id, "passes without doing anything"))
            return problems

    return [p for found in await asyncio.gather(*(verify(t) for t in tasks)) for p in found]


@needs_browser
def test_every_demo_task_passes_with_its_reference_plan_and_fails_without(chromium, tmp_path):
    judge = ScriptedModel(_word_judge)
    with serve_demo() as server:
        tasks = builtin_tasks("demo", {"__DEMO__": server.url})
        failures = chromium.run(_verify_all(chromium.browser, tasks, server.url, tmp_path, judge))
    assert not failures, "\n".join(map(str, failures))
    assert judge.requests  # the fuzzy tasks were judged
