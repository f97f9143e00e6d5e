"""MiniWoB++ episodes in headless Chromium, solved by the grounded plans of plans/miniwob.

One server and one browser play every episode of this module (a module fixture), each episode in a
context of its own, the way `planact bench` runs them; the tests then check what was recorded.
"""

import asyncio
import importlib.util
from pathlib import Path

import pytest
from test_exec_e2e import HAVE_BROWSER

from planact import parse
from planact.browser.launch import find_browser
from planact.browser.session import BrowserSession, SessionOptions
from planact.check import lint_text
from planact.harness import miniwob
from planact.harness.miniwob import (
    PLAN_SITE_URL,
    MiniwobError,
    end_episode,
    episode_outcome,
    serve_miniwob,
    start_episode,
    task_names,
)
from planact.lang.values import bind_inputs
from planact.run.executor import Executor
from planact.run.records import RunRecord

HAVE_MINIWOB = importlib.util.find_spec("miniwob") is not None
needs_miniwob = pytest.mark.skipif(not HAVE_MINIWOB, reason="no MiniWoB++: pip install --no-deps miniwob")
needs_browser = pytest.mark.skipif(not HAVE_BROWSER, reason="no Chromium: run `planact setup-browser`")

PLANS = sorted((Path(__file__).parent.parent / "plans" / "miniwob").glob("*.pa"))

# a plain target, a loop with a condition (seed 4 says "Select nothing"), typed fields put
# together, and a value read off the page and typed back
EPISODES = [
    ("click-button", 1), ("click-button", 2), ("click-checkboxes", 3), ("click-checkboxes", 4),
    ("enter-date", 0), ("enter-date", 1), ("read-table", 0), ("read-table", 1),
]  # fmt: skip
# and every plan once, on a seed of its own (bench/miniwob_replay.py plays each over 20 seeds)
EVERY_PLAN = [(path.stem, 20) for path in PLANS]


async def _session(browser, base_url: str) -> BrowserSession:
    session = BrowserSession(SessionOptions(allowed_origins=frozenset({base_url})), shared=browser)
    await session.start()
    return session


async def _solve(session: BrowserSession, base_url: str, task: str, seed: int, records: Path):
    utterance = await start_episode(session.page, base_url, task, seed)
    plan = parse((PLANS[0].parent / f"{task}.pa").read_text().replace(PLAN_SITE_URL, base_url))
    values = bind_inputs(plan, {"task": utterance}, {})
    result = await Executor(plan, values, RunRecord.create(str(records)), SessionOptions(), session=session).run()
    return utterance, result, await episode_outcome(session.page)


async def _idle(browser, base_url: str) -> dict:
    """An episode nobody acts in, stopped; and the same seed restarted in place."""
    session = await _session(browser, base_url)
    page = session.page
    try:
        first = await start_episode(page, base_url, "click-button", 7)
        waiting = await episode_outcome(page, wait_s=0.3)
        await end_episode(page)
        stopped = await episode_outcome(page, wait_s=0)
        await page.evaluate("window.notReloaded = true")
        again = await start_episode(page, base_url, "click-button", 7, reuse=True)
        kept = await page.evaluate("window.notReloaded === true")
        return {"first": first, "waiting": waiting, "stopped": stopped, "again": again, "kept": kept}
    finally:
        await session.close()


async def _unicode(browser, base_url: str) -> list[str]:
    """The instructions of unicode-test over a few seeds, as the page shows them."""
    session = await _session(browser, base_url)
    try:
        return [await start_episode(session.page, base_url, "unicode-test", seed, reuse=True) for seed in range(6)]
    finally:
        await session.close()


async def _play(records: Path) -> dict:
    from playwright.async_api import async_playwright

    choice = find_browser()
    with serve_miniwob() as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=choice.executable, headless=True, args=list(choice.args))
            try:
                played: dict = {
                    "idle": await _idle(browser, server.url),
                    "unicode": await _unicode(browser, server.url),
                }
                for task, seed in EPISODES:  # a context each
                    session = await _session(browser, server.url)
                    try:
                        played[task, seed] = await _solve(session, server.url, task, seed, records)
                    finally:
                        await session.close()
                session = await _session(browser, server.url)  # one context for the rest: faster
                try:
                    for task, seed in EVERY_PLAN:
                        played[task, seed] = await _solve(session, server.url, task, seed, records)
                        await end_episode(session.page)
                finally:
                    await session.close()
                return played
            finally:
                await browser.close()


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    return asyncio.run(_play(tmp_path_factory.mktemp("runs")))


@needs_miniwob
@needs_browser
@pytest.mark.parametrize(("task", "seed"), EPISODES, ids=[f"{t}-{s}" for t, s in EPISODES])
def test_a_grounded_plan_solves_a_seeded_episode(played, task, seed):
    utterance, result, outcome = played[task, seed]
    assert result.status == "succeeded", (utterance, result.error)
    assert outcome.done and outcome.raw_reward == 1.0 and outcome.success, (utterance, outcome)
    assert 0 < outcome.reward <= 1.0  # the task's reward, scaled down by the time taken


@needs_miniwob
@needs_browser
@pytest.mark.parametrize(("task", "seed"), EVERY_PLAN, ids=[t for t, _ in EVERY_PLAN])
def test_every_plan_solves_an_episode_of_its_task(played, task, seed):
    utterance, result, outcome = played[task, seed]
    assert result.status == "succeeded" and outcome.success, (utterance, result.error, outcome)


@needs_miniwob
@needs_browser
def test_an_episode_nobody_acts_in_is_not_solved_and_a_seed_restarts_in_place(played):
    idle = played["idle"]
    assert idle["first"].startswith('Click on the "') and idle["first"].endswith('" button.')
    assert not idle["waiting"].done and idle["waiting"].raw_reward == 0
    assert idle["stopped"].done and idle["stopped"].raw_reward <= 0 and not idle["stopped"].success
    assert idle["again"] == idle["first"] and idle["kept"]  # same seed, same problem, no reload


@needs_miniwob
@needs_browser
def test_a_task_page_in_utf8_reads_as_written(played):
    labels = {"ÖK", "Cancél", "♥♥♥", "确定", "取消", "ヘルプ"}  # the buttons unicode-test.html draws from
    said = [utterance.removeprefix('Click on the "').removesuffix('" button.') for utterance in played["unicode"]]
    assert set(said) <= labels and len(set(said)) > 1, said


@needs_miniwob
def test_the_task_pages_are_found_without_importing_the_package():
    names = task_names()
    assert len(names) == 130 and {"click-button", "book-flight", "use-autocomplete"} <= set(names)
    assert (miniwob.miniwob_root() / "flight").is_dir()


def test_a_missing_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(miniwob.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MiniwobError, match="pip install --no-deps miniwob"):
        miniwob.miniwob_root()


@needs_miniwob
def test_every_miniwob_plan_lints_clean_and_takes_the_instruction_as_task():
    assert len(PLANS) >= 25
    for path in PLANS:
        text = path.read_text()
        plan, diagnostics = lint_text(text, str(path))
        assert plan is not None and diagnostics == [], (path.name, [d.message for d in diagnostics])
        assert path.stem in task_names() and text.startswith(f"# MiniWoB++ {path.stem}: "), path.name
        assert [(s.name.name, s.url.text) for s in plan.sites] == [("miniwob", PLAN_SITE_URL)], path.name
        [task] = [i for i in plan.inputs if i.name.name == "task"]
        assert task.patterns and all(s.grounded for s in plan.steps), path.name
