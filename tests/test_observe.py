"""Observations: accessibility-tree text with references that actions can target."""

import asyncio
import re

import pytest
from test_exec_e2e import HAVE_BROWSER

from planact import parse
from planact.browser.actions import perform
from planact.browser.observe import observe
from planact.browser.session import BrowserSession, SessionOptions
from planact.demo.server import serve_demo
from planact.lang.origins import origin_of

pytestmark = pytest.mark.skipif(not HAVE_BROWSER, reason="no Chromium: run `planact setup-browser`")


def test_observation_refs_are_stable_and_targetable():
    async def scenario(base: str) -> tuple[str, str, str]:
        session = BrowserSession(SessionOptions(allowed_origins=frozenset({origin_of(base)})))
        await session.start()
        try:
            await session.page.goto(base + "/search?q=mouse")
            first, second = await observe(session.page), await observe(session.page)
            assert first == second  # the same page observed twice reads the same
            ref = re.search(r'link "Globex Gaming Mouse" \[ref=(e\d+)\]', first.tree).group(1)
            action = parse(f'plan "x"\nstep s "Open it":\n    click ref "{ref}"\n').steps[0].actions[0]
            await perform(session, action, {}, {})
            after = await observe(session.page)
            return first.text(), after.url, after.tree
        finally:
            await session.close()

    with serve_demo() as server:
        text, url, tree = asyncio.run(scenario(server.url))
    assert text.startswith(f"URL: {server.url}/search?q=mouse\nTitle: Search · Demo Shop\n")
    assert '- searchbox "Search" value="mouse" [ref=' in text and '- combobox "Sort by" value="Relevance" [ref=' in text
    assert url == f"{server.url}/product/2" and '- heading "Globex Gaming Mouse" [level=1]' in tree


def test_observation_shows_the_label_beside_a_field_once():
    """A label tied to no control that stands beside a form field is what a person reads as the field's name,
    so its text is shown (login-user's `<p><label>Username</label><input></p>` showed two bare text boxes);
    a label tied to its control names the control instead, and one beside no field is left out as before.
    Text in inline tags such as `small` and `code` is shown too."""
    html = (
        "<p><label>Username</label><input id=u></p>"
        "<p><label>Password</label><input id=p type=password></p>"
        "<label><input type=checkbox> Remember me</label>"
        "<label for=mail>Email</label><input id=mail>"
        "<div><label>Last reward:</label><span>-</span></div>"
        "<small>Fine print</small><code>x = 1</code>"
    )

    async def scenario() -> str:
        session = BrowserSession(SessionOptions())
        await session.start()
        try:
            await session.page.set_content(html)
            return (await observe(session.page)).tree
        finally:
            await session.close()

    tree = asyncio.run(scenario())
    lines = [line.strip() for line in tree.splitlines()]
    assert lines[:6] == [
        "- paragraph",
        '- text "Username"',
        "- textbox [ref=e1]",
        "- paragraph",
        '- text "Password"',
        "- textbox [ref=e2]",
    ], tree
    assert '- checkbox "Remember me" [ref=e3]' in lines and '- text "Remember me"' not in lines
    assert '- textbox "Email" [ref=e4]' in lines and '- text "Email"' not in lines
    assert '- text "Last reward:"' not in lines and '- text "-"' in lines
    assert '- text "Fine print"' in lines and '- text "x = 1"' in lines
