"""End to end: plans run in a real headless Chromium against the bundled demo shop."""

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from planact import parse
from planact.browser.launch import BrowserNotFound, find_browser
from planact.cli import main
from planact.demo.server import serve_demo

try:
    find_browser()
    HAVE_BROWSER = True
except BrowserNotFound:
    HAVE_BROWSER = False

pytestmark = pytest.mark.skipif(not HAVE_BROWSER, reason="no Chromium: run `planact setup-browser`")
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def shop():
    with serve_demo() as server:
        yield server


def write_plan(tmp_path: Path, shop, body: str) -> Path:
    path = tmp_path / "plan.pa"
    path.write_text(f'plan "test"\n\nsite shop = "{shop.url}"\n\n' + body)
    return path


def run(*args: str):
    return CliRunner().invoke(main, ["exec", "--json", *args], catch_exceptions=False)


def events(record: str) -> list[dict]:
    """The record's events, each checked against the published schema (`planact schema event`)."""
    from planact.run.events import RUN_EVENT

    found = [json.loads(line) for line in (Path(record) / "events.jsonl").read_text().splitlines()]
    for event in found:
        RUN_EVENT.validate_python(event)
    return found


def test_demo_plan_runs_and_leaves_a_complete_record(tmp_path, shop):
    text = (ROOT / "plans" / "demo" / "01-cheapest-mouse.pa").read_text().replace("http://127.0.0.1:8765", shop.url)
    plan = tmp_path / "demo.pa"
    plan.write_text(text)
    result = run(str(plan), "--secret", "password=wonderland", "--runs", str(tmp_path / "runs"))
    summary = json.loads(result.stdout)
    assert result.exit_code == 0, summary
    assert summary["status"] == "succeeded" and summary["answer"].startswith("Acme Wireless Mouse for ")
    record = Path(summary["record"])
    log = events(summary["record"])
    clicks = [e for e in log if e["event"] == "action" and e["action"].startswith("click button")]
    assert clicks and clicks[0]["target"]["role"] == "button" and len(clicks[0]["target"]["fingerprint"]) == 12
    finished = [e["step"] for e in log if e["event"] == "step_finished"]
    assert finished == ["home", "signin", "search", "sort", "name", "price", "open", "add", "total", "report"]
    shots = {p.stem for p in (record / "screenshots").glob("*.jpg")}
    assert shots == set(finished), [e for e in log if e["event"] == "warning"]
    assert (record / "trace.zip").stat().st_size > 0 and (record / "plan.r0.pa").exists()
    for path in record.rglob("*"):
        if path.is_file():
            assert b"wonderland" not in path.read_bytes(), path


def test_navigation_off_the_declared_sites_is_blocked(tmp_path, shop):
    plan = write_plan(tmp_path, shop, 'step partner "Follow the partner link":\n    goto shop "/go-partner"\n')
    result = run(str(plan), "--runs", str(tmp_path))
    summary = json.loads(result.stdout)
    assert result.exit_code == 1 and summary["failed_step"] == "partner"
    assert summary["blocked_navigation"] and summary["blocked_navigation"][0].startswith("http://partner.example.com/")


@contextlib.contextmanager
def tiny_site(pages: dict[str, tuple[int, str]]) -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 answering ``path -> (status, body or Location)``; yields its URL and the paths it
    was asked for.  It stops when the block ends."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            status, text = pages.get(self.path, (404, "not here"))
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", text)
                self.end_headers()
                return
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", asked
    finally:
        server.shutdown()
        server.server_close()


def test_the_guard_sends_nothing_to_an_undeclared_origin_even_on_the_same_host(tmp_path):
    """Another port of the same host is another origin: a page's image from it, a pop-up to it and a redirect to
    it are refused before a byte reaches it, and the two navigations are reported."""
    with tiny_site({"/x": (200, "<h1>Elsewhere</h1>"), "/pop": (200, "<h1>Pop</h1>")}) as (elsewhere, asked):
        declared = {
            "/page": (200, f'<h1>Home</h1><img src="{elsewhere}/x"><a href="{elsewhere}/pop" target="_blank">pop</a>'),
            "/hop": (302, f"{elsewhere}/x"),
        }
        with tiny_site(declared) as (home, asked_home):
            plan = tmp_path / "plan.pa"
            header = f'plan "test"\n\nsite home = "{home}"\n\n'
            plan.write_text(
                header + 'step visit "Open the page and its pop-up":\n    goto home "/page"\n    click link "pop"\n'
                "    wait 0.5\n"
            )
            popup = json.loads(run(str(plan), "--runs", str(tmp_path / "runs")).stdout)
            plan.write_text(header + 'step hop "Follow a redirect off the site":\n    goto home "/hop"\n')
            hop = json.loads(run(str(plan), "--runs", str(tmp_path / "runs")).stdout)
    assert popup["failed_step"] == "visit" and f"navigation to {elsewhere} was blocked" in popup["error"], popup
    assert hop["failed_step"] == "hop" and f"navigation to {elsewhere} was blocked" in hop["error"], hop
    assert popup["blocked_navigation"] == [f"{elsewhere}/pop"] and hop["blocked_navigation"] == [f"{elsewhere}/x"]
    assert asked == [] and "/page" in asked_home and "/hop" in asked_home


def test_a_blocked_navigation_is_an_event_fails_its_step_and_never_succeeds_on_the_error_page(tmp_path, shop):
    body = (
        'step home "Open the shop":\n    goto shop "/"\n\n'
        'step partner "Visit the partner site":\n    click link "Partner site"\n\n'
        'step report "Report":\n    answer "visited"\n'
    )
    plan = write_plan(tmp_path, shop, body)
    out = CliRunner().invoke(main, ["exec", str(plan), "--runs", str(tmp_path / "runs")])
    assert out.exit_code == 1, out.output
    assert "navigation to http://partner.example.com was blocked" in out.output  # the text output says it
    assert "answer:" not in out.output and "succeeded" not in out.output
    summary = json.loads(run(str(plan), "--runs", str(tmp_path / "runs")).stdout)
    assert summary["status"] == "failed" and summary["failed_step"] == "partner"
    (blocked,) = [e for e in events(summary["record"]) if e["event"] == "navigation_blocked"]
    assert blocked["step"] == "partner" and blocked["origin"] == "http://partner.example.com"


def test_literal_undeclared_url_is_a_bad_plan(tmp_path, shop):
    plan = write_plan(tmp_path, shop, 'step away "Go away":\n    goto "http://partner.example.com/"\n')
    result = CliRunner().invoke(main, ["exec", str(plan), "--runs", str(tmp_path)])
    assert result.exit_code == 2 and "PA501" in result.output


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ('click link within css ".result"', 'elements match `link within css \\".result\\"`; say which with `first`'),
        ('click button "No such button"', 'no element matches `button \\"No such button\\"` (waited 1 s)'),
        ('click link nth 99 within css ".result"', 'no element matches `link nth 99 within css \\".result\\"`: only '),
    ],
)
def test_a_target_must_match_exactly_one_element(tmp_path, shop, action, message):
    plan = write_plan(tmp_path, shop, f'step s "Search":\n    goto shop "/search?q=mouse"\n    {action}\n')
    result = run(str(plan), "--runs", str(tmp_path), "--timeout", "1")
    assert result.exit_code == 1
    assert message in result.output


def test_ungrounded_step_without_a_model_says_how_to_configure_one(tmp_path, shop):
    plan = write_plan(
        tmp_path, shop, 'step home "Open the shop":\n    goto shop "/"\n\nstep think "Find the best keyboard"\n'
    )
    out = CliRunner().invoke(main, ["exec", str(plan), "--runs", str(tmp_path / "runs")])
    assert out.exit_code == 2 and "step `think` has no actions and no model is configured" in out.output
    assert "--model" in out.output and "nothing was run" in out.output
    assert not (tmp_path / "runs").exists()  # refused before anything ran: no record, no browser


def test_killed_run_resumes_without_rerunning_finished_steps(tmp_path, shop):
    body = (
        'step home "Open the product":\n    goto shop "/product/2"\n\n'
        'step add "Add it to the cart":\n    click button "Add to cart"\n\n'
        'step pause "Take a long pause":\n    wait 20\n\n'
        'step total "Read the cart total" -> number:\n    goto shop "/cart"\n    extract css ".total" as number\n\n'
        'step report "Report":\n    answer total\n'
    )
    plan = write_plan(tmp_path, shop, body)
    runs = tmp_path / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "planact", "exec", str(plan), "--runs", str(runs)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    log: list[dict] = []
    while time.monotonic() < deadline:
        folders = list(runs.glob("*/events.jsonl"))
        log = events(str(folders[0].parent)) if folders else []
        if any(e["event"] == "step_started" and e["step"] == "pause" for e in log):
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    record = str(folders[0].parent)
    assert [e["step"] for e in log if e["event"] == "step_finished"] == ["home", "add"]
    result = run(str(plan), "--resume", record)
    summary = json.loads(result.stdout)
    assert result.exit_code == 0, summary
    assert summary["answer"] > 0  # the cart survived the kill: the session's cookies were restored
    started = [e["step"] for e in events(record) if e["event"] == "step_started"]
    assert started.count("home") == 1 and started.count("add") == 1 and started.count("pause") == 2


def test_resume_uses_the_plan_given_and_refuses_one_that_rewrites_the_past(tmp_path, shop):
    home = 'step home "Open the product":\n    goto shop "/product/2"\n\n'
    broken = write_plan(tmp_path, shop, home + 'step name "Read its name" -> text:\n    extract css ".no-such"\n')
    first = json.loads(run(str(broken), "--runs", str(tmp_path / "runs"), "--timeout", "1").stdout)
    assert first["status"] == "failed" and first["failed_step"] == "name"
    record = first["record"]

    fixed = tmp_path / "fixed.pa"  # the failed step is rewritten: the fix is used, `home` is not run again
    fixed.write_text(broken.read_text().replace('css ".no-such"', "heading first"))
    summary = json.loads(run(str(fixed), "--resume", record).stdout)
    assert summary["status"] == "succeeded" and summary["steps"] == {"home": "done", "name": "done"}
    log = events(record)
    assert [e["step"] for e in log if e["event"] == "step_started"].count("home") == 1
    (revised,) = [e for e in log if e["event"] == "plan_revised"]
    assert revised["source"] == "resume" and revised["changed"] == 1 and revised["after"] == "home"
    assert "heading first" in (Path(record) / revised["file"]).read_text()

    rewrites = tmp_path / "rewrites.pa"  # a finished step changed: refused with PA410 and the diff
    rewrites.write_text(fixed.read_text().replace('"/product/2"', '"/product/3"'))
    out = CliRunner().invoke(main, ["exec", str(rewrites), "--resume", record])
    assert out.exit_code == 2
    assert re.search(r"rewrites\.pa:\d+:\d+: PA410 cannot change step `home`: it is done in the run", out.output)
    assert '"/product/3"' in out.output and "cannot resume" in out.output

    other = tmp_path / "other.pa"  # an unrelated plan is not this run's
    other.write_text(f'plan "something else"\n\nsite shop = "{shop.url}"\n\n' + home)
    out = CliRunner().invoke(main, ["exec", str(other), "--resume", record])
    assert out.exit_code == 2 and "not this run's" in out.output
    assert len([e for e in events(record) if e["event"] == "run_resumed"]) == 1  # neither refused plan ran


def test_replay_names_the_step_whose_target_drifted(tmp_path, shop):
    body = (
        'input order: text = "price_asc"\n\n'
        'step search "List mice in some order":\n    goto shop "/search?q=mouse&sort={order}"\n\n'
        'step open "Open the first result":\n    click link first within css ".result"\n\n'
        'step title "Read the title" -> text:\n    extract heading first\n\n'
        'step report "Report":\n    answer title\n'
    )
    plan = write_plan(tmp_path, shop, body)
    first = json.loads(run(str(plan), "--runs", str(tmp_path / "a")).stdout)
    assert first["status"] == "succeeded"
    same = json.loads(run(str(plan), "--runs", str(tmp_path / "b"), "--check-drift", first["record"]).stdout)
    assert same["status"] == "succeeded" and same["answer"] == first["answer"]
    drifted = json.loads(
        run(str(plan), "-i", "order=price_desc", "--runs", str(tmp_path / "c"), "--check-drift", first["record"]).output
    )
    assert drifted["status"] == "failed" and drifted["failed_step"] == "open"
    assert (
        "the page drifted" in drifted["error"] and f'link "{first["answer"]}" in the recorded run' in drifted["error"]
    )


def test_independent_steps_run_concurrently_in_pages_of_their_own(tmp_path, shop):
    body = (
        'step home "Open the shop":\n    goto shop "/"\n\n'
        'step keyboards "Cheapest keyboard" -> number after home:\n    goto shop "/search?category=Keyboards&sort=price_asc"\n    wait 1\n    extract css ".price" first as number\n\n'
        'step chairs "Cheapest chair" -> number after home:\n    goto shop "/search?category=Chairs&sort=price_asc"\n    wait 1\n    extract css ".price" first as number\n\n'
        'step report "Report" after keyboards, chairs:\n    answer "{keyboards} {chairs}"\n'
    )
    plan = write_plan(tmp_path, shop, body)
    summary = json.loads(run(str(plan), "--parallel", "2", "--runs", str(tmp_path)).stdout)
    assert summary["status"] == "succeeded" and summary["answer"] == "35.37 96.99"
    log = [(e["event"], e.get("step")) for e in events(summary["record"])]
    # both branches started before either finished: they ran at the same time
    assert log.index(("step_started", "chairs")) < log.index(("step_finished", "keyboards"))


def test_a_branch_keeps_its_page_so_any_parallel_gives_the_same_answer(tmp_path, shop):
    """Each branch is several steps: a step goes on where the step before it in its branch left its page."""

    def branch(name: str, category: str) -> str:
        return (
            f'step {name}_list "List {category}" after home:\n    goto shop "/search?category={category}&sort=price_asc"\n\n'
            f'step {name}_open "Open the cheapest":\n    click link first within css ".result"\n\n'
            f'step {name} "Read its price" -> number:\n    assert page.url contains "/product/"\n'
            f'    extract css ".price" first as number\n\n'
        )

    body = (
        'step home "Open the shop":\n    goto shop "/"\n\n'
        + branch("keyboard", "Keyboards")
        + branch("chair", "Chairs")
        + 'step fork "Read the chair page again" -> number after chair:\n    extract css ".price" first as number\n\n'
        + 'step fork2 "And the keyboard page" -> number after keyboard:\n    extract css ".price" first as number\n\n'
        + 'step report "Report" after fork, fork2:\n    answer "{keyboard} {chair} {fork} {fork2}"\n'
    )
    plan = write_plan(tmp_path, shop, body)
    answers = {}
    for parallel in ("1", "2", "4"):
        summary = json.loads(run(str(plan), "--parallel", parallel, "--runs", str(tmp_path / parallel)).stdout)
        assert summary["status"] == "succeeded", summary
        answers[parallel] = summary["answer"]
    assert answers == {"1": "35.37 96.99 96.99 35.37", "2": "35.37 96.99 96.99 35.37", "4": "35.37 96.99 96.99 35.37"}


def test_every_action_of_the_language_runs(tmp_path, shop):
    from planact.syntax import ast

    body = (
        'step home "Open the shop":\n    goto shop "/"\n    hover link "Forum"\n    scroll down 2\n    scroll up\n    wait 0.1\n\n'
        'step search "Search":\n    fill searchbox "Search" with "mouse"\n    press "Enter" in searchbox "Search"\n    wait for heading first\n\n'
        'step filters "Use the filters":\n    select combobox "Category" with "Mice"\n    check checkbox "In stock only"\n'
        '    uncheck checkbox "In stock only"\n    check checkbox "In stock only"\n    click button "Apply filters"\n    scroll to navigation "Pagination"\n\n'
        'step link "Read the first result\'s address" -> url:\n    extract link first within css ".result" as url\n\n'
        'step open "Open it, go back and forward":\n    click link first within css ".result"\n    back\n    forward\n    assert visible button "Add to cart"\n    press "Tab"\n\n'
        'step tabs "Use tabs":\n    tab open "{link}"\n    tab switch 0\n    tab switch 1\n    tab close\n    assert page.url contains "/product/"\n\n'
        'step report "Report":\n    answer link\n'
    )
    plan = write_plan(tmp_path, shop, body)
    summary = json.loads(run(str(plan), "--runs", str(tmp_path)).stdout)
    assert summary["status"] == "succeeded", summary
    assert summary["answer"].startswith(shop.url + "/product/")
    ran = {e["action"].split()[0] for e in events(summary["record"]) if e["event"] == "action"}
    keywords = {
        "scroll_to": "scroll",
        "wait_for": "wait",
        "tab_open": "tab",
        "tab_switch": "tab",
        "tab_close": "tab",
        "assert_visible": "assert",
    }
    assert {keywords.get(op, op) for op in ast.Action.registry} <= ran


def test_a_popup_to_an_undeclared_origin_is_blocked(tmp_path, shop):
    body = 'step popup "Open the partner offers in a pop-up":\n    goto shop "/"\n    click link "Partner offers"\n    wait 0.5\n'
    plan = write_plan(tmp_path, shop, body)
    summary = json.loads(run(str(plan), "--runs", str(tmp_path)).stdout)
    assert summary["blocked_navigation"] == ["http://partner.example.com/offers"]


def test_a_link_that_opens_a_tab_makes_it_current_before_the_next_action(tmp_path, shop):
    body = (
        'step guide "Open the size guide from a product page" -> text:\n    goto shop "/product/1"\n'
        '    click link "Size guide"\n    assert page.url contains "/help/size-guide"\n    extract heading first\n'
    )
    plan = write_plan(tmp_path, shop, body)
    summary = json.loads(run(str(plan), "--runs", str(tmp_path)).stdout)
    assert summary["status"] == "succeeded", summary


def test_a_target_is_described_alike_with_and_without_planacts_selector_engine(shop):
    """A session started by planact describes targets through its selector engine (Playwright's isolated
    world); a page from a Playwright that planact did not start falls back to the main world.  Both give
    the same description, the same errors, and the content an extract reads."""
    from playwright.async_api import async_playwright

    from planact.browser.targets import TargetError, act, install_describer, resolve

    targets = {
        "link": ('link "Log in" within navigation "Main"', None),
        "field": ('searchbox "Search"', "text"),
        "picked": ('link first within css ".result"', "href"),
        "price": ('css ".result .price" first', "text"),
    }
    failing = ['link within css ".result"', 'button "No such button"', 'link nth 99 within css ".result"']

    async def describe(engine: bool) -> tuple[dict, list[str]]:
        choice = find_browser()
        async with async_playwright() as p:
            if engine:
                await install_describer(p)
            browser = await p.chromium.launch(executable_path=choice.executable, args=list(choice.args))
            page = await browser.new_page()
            await page.goto(shop.url + "/search?q=mouse")
            seen = {}
            for key, (text, read) in targets.items():
                target = parse(f'plan "x"\nstep s "S":\n    click {text}\n').steps[0].actions[0].target
                _, resolved = await resolve(page, target, {}, 500, read=read)
                seen[key] = (resolved.as_dict(), resolved.visible, resolved.blank, resolved.content)
            field = parse('plan "x"\nstep s "S":\n    click searchbox "Search"\n').steps[0].actions[0].target
            filled = await act(page, field, {}, 500, lambda loc: loc.fill("keyboard"))
            seen["filled"] = (filled.as_dict(), await page.get_by_role("searchbox").input_value())
            errors = []
            for text in failing:
                target = parse(f'plan "x"\nstep s "S":\n    click {text}\n').steps[0].actions[0].target
                with pytest.raises(TargetError) as err:
                    await resolve(page, target, {}, 500)
                errors.append(str(err.value))
            await browser.close()
            return seen, errors

    with_engine, errors = asyncio.run(describe(True))
    without, errors_without = asyncio.run(describe(False))
    assert with_engine == without and errors == errors_without
    assert with_engine["link"][0]["role"] == "link" and with_engine["link"][0]["name"] == "Log in"
    assert with_engine["field"][3] == "mouse" and with_engine["picked"][3].startswith("/product/")
    assert with_engine["price"][3].startswith("$") and with_engine["link"][1] is True
    assert with_engine["filled"][0]["name"] == "Search" and with_engine["filled"][1] == "keyboard"
    assert re.match(r"\d+ elements match", errors[0])
    assert "waited 0.5 s" in errors[1] and "only " in errors[2]


def act_on_home_page(shop: Any, script: str, action: str, read: Any) -> tuple[dict, str]:
    """On the shop's home page, run the script ``script``, then the action ``action`` (plan-language text):
    its recorded target, and what ``read`` (an async function of the page) reads after it."""
    from planact.browser.actions import perform
    from planact.browser.session import BrowserSession, SessionOptions
    from planact.lang.origins import origin_of

    async def scenario() -> tuple[dict, str]:
        session = BrowserSession(SessionOptions(allowed_origins=frozenset({origin_of(shop.url)})))
        await session.start()
        try:
            await session.page.goto(shop.url + "/")
            await session.page.evaluate(script)
            parsed = parse(f'plan "x"\nstep s "S":\n    {action}\n').steps[0].actions[0]
            done = await perform(session, parsed, {}, {})
            return done.event()["target"], await read(session.page)
        finally:
            await session.close()

    return asyncio.run(scenario())


def click_renamed_button(shop: Any, button: str) -> tuple[dict, str]:
    """On the shop's home page, run the script ``button``, which adds a button "Late" that a click renames
    "Clicked", then `click button "Late"`: the click's recorded target, and the button's text after it."""
    return act_on_home_page(
        shop, button, 'click button "Late"', lambda page: page.get_by_role("button", name="Clicked").inner_text()
    )


LATE_BUTTON = (
    "const b = document.createElement('button'); b.textContent = 'Late';"
    " b.onclick = () => { b.textContent = 'Clicked'; }; document.body.append(b);"
)


def test_a_text_target_finds_what_the_page_shows_not_a_hidden_element_with_the_same_text(shop):
    """`text "Prev"` finds the visible element that holds the text: a hidden one with it (a closed menu, a
    tab not shown) is no second match, so the click needs no `first` and lands on the one the user sees."""
    script = (
        "const h = document.createElement('a'); h.textContent = 'Prev'; h.style.display = 'none';"
        " h.onclick = () => { document.title = 'hidden one'; }; document.body.append(h);"
        " const v = document.createElement('a'); v.textContent = 'Prev';"
        " v.onclick = () => { document.title = 'shown one'; }; document.body.append(v);"
    )
    target, title = act_on_home_page(shop, script, 'click text "Prev"', lambda page: page.title())
    assert title == "shown one" and target["text"] == "Prev"


def test_an_element_that_comes_while_the_action_waits_is_acted_on_and_described(shop):
    """An action is sent together with its target's description; when the element is not there yet, both
    wait for it, and the action's record still says what it acted on."""
    target, text = click_renamed_button(shop, f"setTimeout(() => {{ {LATE_BUTTON} }}, 400)")
    assert target is not None and (target["role"], target["name"], target["tag"]) == ("button", "Late", "button")
    assert text == "Clicked"


def test_an_action_that_changes_its_element_before_the_description_finds_it_is_described_from_its_note(
    shop, monkeypatch
):
    """The action and its target's description look for the element on their own schedules.  When the action
    finds it first and changes it (this click renames its button), the description finds nothing any more,
    and the record describes the element from what the action noted as it found it."""
    from planact.browser import targets

    describe = targets._describe

    async def late(*args: Any, **kwargs: Any) -> dict:
        await asyncio.sleep(0.5)  # the description looks only after the click has renamed the button
        return await describe(*args, **kwargs)

    monkeypatch.setattr(targets, "_describe", late)
    target, text = click_renamed_button(shop, LATE_BUTTON)
    assert target is not None and (target["role"], target["name"], target["tag"]) == ("button", "Late", "button")
    assert text == "Clicked"


# open a product, read its name, put it in the cart: a step that navigates, one that reads, one that clicks
PRODUCT_STEPS = (
    'step home "Open the product":\n    goto shop "/product/2"\n\n'
    'step name "Read its name" -> text:\n    extract heading first\n\n'
    'step add "Add it to the cart":\n    click button "Add to cart"\n'
)


def test_a_run_without_screenshots_keeps_the_rest_of_its_record(tmp_path, shop):
    plan = write_plan(tmp_path, shop, PRODUCT_STEPS)
    summary = json.loads(run(str(plan), "--runs", str(tmp_path / "runs"), "--no-screenshots").stdout)
    record = Path(summary["record"])
    assert summary["status"] == "succeeded", summary
    assert not list(record.glob("screenshots/*.jpg"))
    cookies = json.loads((record / "browser-state.json").read_text())["cookies"]
    assert isinstance(cookies, list) and (record / "trace.zip").exists()
    assert [e["step"] for e in events(summary["record"]) if e["event"] == "step_finished"] == ["home", "name", "add"]


def traced_calls(trace: Path) -> list[tuple[str, str]]:
    """(method, selector) of each call a Playwright trace archive recorded, in order."""
    import zipfile

    calls = []
    with zipfile.ZipFile(trace) as archive:
        for name in sorted(n for n in archive.namelist() if n.endswith(".trace")):
            for line in archive.read(name).decode().splitlines():
                event = json.loads(line)
                if event.get("type") == "before":
                    calls.append((event["method"], event.get("params", {}).get("selector", "")))
    return calls


def test_the_trace_shows_the_plans_calls_each_once_and_not_planacts_own(tmp_path, shop):
    plan = write_plan(tmp_path, shop, PRODUCT_STEPS + '    assert visible heading "Your cart"\n')
    summary = json.loads(run(str(plan), "--runs", str(tmp_path / "runs"), "--trace", "full").stdout)
    assert summary["status"] == "succeeded", summary
    calls = traced_calls(Path(summary["record"]) / "trace.zip")
    # planact's own calls (cookies, the origin guard's fulfill, load waits, the screenshots' DevTools session)
    # are not the plan's: the trace holds the plan's actions and reads, and the page they ran in
    assert {method for method, _ in calls} == {"newPage", "goto", "textContent", "click"}, calls
    clicks = [selector for method, selector in calls if method == "click"]
    reads = [selector for method, selector in calls if method != "click" and "planact-describe" in selector]
    # the click is there once (noting the element it clicks: see targets.act), and the description of its
    # button (in the event log) is not; the two reads are
    assert [c.split(" >> planact-describe=note:")[0] for c in clicks] == [
        'internal:role=button[name="Add to cart"s]'
    ], calls
    assert [r.split(" >> planact-describe")[0] for r in reads] == [
        "internal:role=heading >> nth=0",
        'internal:role=heading[name="Your cart"s]',
    ], calls
    described = [
        e["target"] for e in events(summary["record"]) if e["event"] == "action" and e["action"].startswith("click")
    ]
    assert described and described[0]["name"] == "Add to cart" and described[0]["tag"] == "button"


def jpeg_size(path: Path) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame segment."""
    data = path.read_bytes()
    at = 2  # after the start-of-image marker, segments: 0xFF, kind, 2-byte length (counting itself), body
    while at < len(data):
        kind, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        if 0xC0 <= kind <= 0xC3:
            return int.from_bytes(data[at + 7 : at + 9], "big"), int.from_bytes(data[at + 5 : at + 7], "big")
        at += 2 + length
    raise AssertionError(f"{path} has no start-of-frame segment")


def test_screenshots_are_half_the_viewport_unless_asked_for_full_size(tmp_path, shop):
    plan = write_plan(tmp_path, shop, 'step home "Open the shop":\n    goto shop "/"\n')
    sizes = []
    for scale in ([], ["--screenshot-scale", "1"]):
        summary = json.loads(run(str(plan), "--runs", str(tmp_path / "runs"), "--trace", "off", *scale).stdout)
        assert summary["status"] == "succeeded", summary
        sizes.append(jpeg_size(Path(summary["record"]) / "screenshots" / "home.jpg"))
    assert sizes == [(640, 450), (1280, 900)]
    refused = run(str(plan), "--screenshot-scale", "2")
    assert refused.exit_code == 2 and "--screenshot-scale" in refused.output


def test_an_option_is_selected_by_its_label_or_by_its_value(tmp_path, shop):
    body = (
        'step by_label "Sort by label":\n    goto shop "/search?q=mouse"\n'
        '    select combobox "Sort by" with "Price: high to low"\n    assert page.url contains "sort=price_desc"\n\n'
        'step by_value "Sort by value":\n    select combobox "Sort by" with "price_asc"\n'
        '    assert page.url contains "sort=price_asc"\n'
    )
    plan = write_plan(tmp_path, shop, body)
    summary = json.loads(run(str(plan), "--runs", str(tmp_path / "runs"), "--timeout", "2").stdout)
    assert summary["status"] == "succeeded", summary


def test_an_action_on_the_blank_first_page_says_to_open_a_site(tmp_path, shop):
    plan = write_plan(tmp_path, shop, 'step search "Search":\n    fill searchbox "Search" with "mouse"\n')
    summary = json.loads(run(str(plan), "--runs", str(tmp_path), "--timeout", "1").stdout)
    assert summary["failed_step"] == "search" and "the page is blank, no step has opened a site yet" in summary["error"]


def test_a_lifecycle_hook_is_called_at_each_point_of_a_run_in_order(tmp_path, shop):
    """The executor walks the graph and fires its hooks; a user's hook sees each point, after the engine's own."""
    import asyncio

    from planact.browser.session import SessionOptions
    from planact.lang.values import bind_inputs
    from planact.run.executor import Executor
    from planact.run.lifecycle import Lifecycle
    from planact.run.records import RunRecord

    calls: list[str] = []

    class Witness(Lifecycle):
        async def before_run(self, run):
            calls.append("before_run")

        async def before_step(self, run, step_id):
            calls.append(f"before_step {step_id}")

        async def before_action(self, run, step_id, action):
            calls.append(f"before_action {step_id} {action.op}")

        async def after_action(self, run, step_id, action, done):
            calls.append(f"after_action {step_id} {action.op} {run.session.page.url.removeprefix(shop.url)}")

        async def after_step(self, run, step_id):
            calls.append(f"after_step {step_id} {run.graph.status(step_id)}")

        async def on_step_failure(self, run, step_id, error):
            calls.append(f"on_step_failure {step_id} {'no element' in error or error}")

        async def after_run(self, run, result):
            calls.append(f"after_run {result.status}")

    plan = parse(
        f'plan "hooks"\n\nsite shop = "{shop.url}"\n\nstep home "Open the shop":\n    goto shop "/"\n\n'
        'step skipped "Never" if 1 > 2:\n    goto shop "/cart"\n\n'
        'step missing "Click what is not there" after home:\n    click button "No such button"\n'
    )
    record = RunRecord.create(tmp_path / "runs")
    executor = Executor(plan, bind_inputs(plan, {}, {}), record, SessionOptions(timeout_ms=1500), lifecycle=[Witness()])
    result = asyncio.run(executor.run())
    assert result.status == "failed"
    assert calls == [
        "before_run",
        "before_step home",
        "before_action home goto",
        "after_action home goto /",
        "after_step home done",
        "before_step skipped",
        "after_step skipped skipped",
        "before_step missing",
        "before_action missing click",
        "on_step_failure missing True",
        "after_run failed",
    ]
    assert (record.path / "screenshots").is_dir() and (record.path / "browser-state.json").exists()


def test_hooks_decide_who_grounds_a_step_and_how_the_plan_goes_on(tmp_path, shop):
    """The deciding points: with no model, a user's hook does a step that has no actions (the executor writes
    what it did back into the step) and revises the plan after a step (the executor patches the graph)."""
    from planact.browser.session import SessionOptions
    from planact.lang.values import bind_inputs
    from planact.run.executor import Executor
    from planact.run.grounding import Grounded
    from planact.run.lifecycle import Lifecycle, Revision
    from planact.run.records import RunRecord
    from planact.syntax.parser import parse_reply

    head = f'plan "decide"\n\nsite shop = "{shop.url}"\n\nstep home "Open the shop":\n    goto shop "/"\n\n'
    cart = 'step cart "Open the cart" after home\n'
    asked: list[tuple[str, ...]] = []

    class Decider(Lifecycle):
        def grounds(self, run, step):
            return step.id.name == "cart"

        async def ground_step(self, run, step, scope, failure):
            asked.append(("ground", step.id.name, str(failure)))
            grounded = Grounded()
            for action in parse_reply('goto shop "/cart"\ndone').actions:
                await run.act(step.id.name, action, scope)
                grounded.actions.append(action)
            return grounded

        async def revise(self, run, steps, error):
            asked.append(("revise", *steps, str(error)))
            if steps == ["home"]:  # a step added after the first; the plan as it stands otherwise
                return Revision(parse(head + cart + '\nstep title "Read the title" after cart:\n    extract heading\n'))
            return None

    record = RunRecord.create(tmp_path / "runs")
    plan = parse(head + cart)
    no_hook = Executor(plan, bind_inputs(plan, {}, {}), record, SessionOptions())
    assert no_hook.ungroundable() == ["cart"]  # refused before the browser starts
    executor = Executor(plan, bind_inputs(plan, {}, {}), record, SessionOptions(timeout_ms=1500), lifecycle=[Decider()])
    assert executor.ungroundable() == []
    result = asyncio.run(executor.run())
    assert result.status == "succeeded", result.error
    assert result.steps == {"home": "done", "cart": "done", "title": "done"} and result.revisions == 1
    assert asked == [("revise", "home", "None"), ("ground", "cart", "None"), ("revise", "cart", "None"),
                     ("revise", "title", "None")]  # fmt: skip
    found = [json.loads(line) for line in record.events_path.read_text().splitlines()]
    revised = next(e for e in found if e["event"] == "plan_revised")
    assert revised["after"] == "home" and revised["added"] == 1
    grounded = next(e for e in found if e["event"] == "step_grounded")
    assert grounded["step"] == "cart" and grounded["actions"] == ['goto shop "/cart"']
    assert [e["source"] for e in found if e["event"] == "action"] == ["plan", "model", "plan"]
    assert 'goto shop "/cart"' in (record.path / "plan.grounded.pa").read_text()
