"""End to end: a secret the page gives back (a field's value, a search URL, an escaped page) reaches no file of
the run folder, no member of its trace and no line `planact exec` prints, in none of its encodings."""

import html
import json
import zipfile
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from click.testing import CliRunner
from setup_state import needs_browser

from planact.cli import main
from planact.demo.server import serve_demo
from planact.scrub import encodings

pytestmark = needs_browser

# typed into the sign-in form and the search box, read back from both, and from the address bar
PLAN = """plan "Read a secret back from the page"

site shop = "{url}"

input password: secret

step home "Open the shop":
    goto shop "/"

step signin "Type the password into the sign-in form":
    click link "Log in" within navigation "Main"
    fill label "Password" with password

step typed "Read the password field" -> text:
    extract label "Password"

step search "Search the catalog for the password":
    goto shop "/"
    fill searchbox "Search" with password
    press "Enter" in searchbox "Search"
    wait for heading first
    assert page.url contains "q="

step box "Read the search box" -> text:
    extract searchbox "Search"

step title "Read the results heading" -> text:
    extract heading first

step report "Report what the page gave back":
    answer "{{typed}} | {{box}} | {{title}} | {{page.url}}"
"""


@pytest.fixture(scope="module")
def shop():
    with serve_demo() as server:
        yield server


def leaked_forms(secret: str) -> set[str]:
    """The secret as a page, a browser or a serializer may write it (what must be found nowhere)."""
    forms = {secret, html.escape(secret), html.escape(secret, quote=False)}
    forms |= {quote(secret), quote(secret, safe=""), quote_plus(secret), quote_plus(secret, safe="")}
    forms |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    forms |= {
        json.dumps(json.dumps(secret)[1:-1])[1:-1],
        quote(html.escape(secret)),
        html.escape(quote(secret, safe="")),
    }
    forms |= {html.escape(secret).replace("&#x27;", "&#39;"), secret.replace(" ", "%20")}
    forms |= encodings(secret)  # and the scrubber's own list (each encoding, and each inside another)
    return {f for f in forms if f}


def texts_of(folder: Path) -> dict[str, bytes]:
    """Every file of a run folder, with each member of a zip archive (the trace) decompressed on its own."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        found[str(path)] = path.read_bytes()
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    found[f"{path}!{name}"] = archive.read(name)
    return found


def assert_no_secret(secret: str, where: str, data: bytes | str) -> None:
    data = data.encode() if isinstance(data, str) else data
    for form in leaked_forms(secret):
        assert form.encode() not in data, f"{where} holds the secret as {form!r}"


@pytest.mark.parametrize(
    ("secret", "mode"),
    [("p a&ss<\"w'rd>", "--json"), ("p a&ss<\"w'rd> ü/+%25", "text")],
    ids=["json-output", "text-output"],
)
def test_a_secret_the_page_gives_back_is_in_no_record_trace_or_output(tmp_path, shop, secret, mode):
    plan = tmp_path / "plan.pa"
    plan.write_text(PLAN.format(url=shop.url))
    args = ["exec", str(plan), "--secret", f"password={secret}", "--runs", str(tmp_path / "runs"), "--trace", "full"]
    result = CliRunner().invoke(main, args + (["--json"] if mode == "--json" else []), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert_no_secret(secret, stream, text)
    folders = list((tmp_path / "runs").iterdir())
    assert len(folders) == 1
    record = folders[0]

    # the run did read the secret back: the outputs are there, masked
    events = [json.loads(line) for line in (record / "events.jsonl").read_text().splitlines()]
    outputs = {e["step"]: e["output"] for e in events if e["event"] == "step_finished"}
    assert outputs["typed"] == "***" and outputs["box"] == "***", outputs
    assert outputs["title"] == "Results for “***”", outputs
    answer = next(e for e in events if e["event"] == "run_finished")["answer"]
    assert answer.startswith("*** | *** | Results for “***” | ") and "/search?q=***" in answer, answer
    urls = [e["url"] for e in events if "url" in e]
    assert any("/search?q=***" in u for u in urls), urls
    if mode == "--json":
        assert json.loads(result.stdout)["answer"] == answer
    else:
        assert f"answer: {answer}" in result.stdout and "***" in result.stderr

    files = texts_of(record)
    members = [name for name in files if "trace.zip!" in name]
    assert any(name.endswith(".trace") for name in members) and any("resources/" in name for name in members)
    for where, data in files.items():
        assert_no_secret(secret, where, data)
    # the trace still shows what happened: the fill, with its value masked
    trace = b"".join(data for name, data in files.items() if name.endswith(".trace"))
    assert b'"method":"fill"' in trace and b'"value":"***"' in trace


DEFAULTED = """plan "Sign in with the plan's own password"

use web

site shop = "{url}"

input password: secret = "wonderland"

step home "Open the shop":
    goto shop "/"

{last}
"""
FAILS = 'step check "Check the greeting":\n    assert visible text "Signed in as nobody"\n'
SIGNS_IN = 'step check: login("alice", password)\n'


def test_a_secret_default_is_masked_in_the_record_and_a_resumed_run_still_types_the_real_one(tmp_path, shop):
    plan = tmp_path / "plan.pa"
    plan.write_text(DEFAULTED.format(url=shop.url, last=FAILS))
    runs = tmp_path / "runs"
    first = CliRunner().invoke(main, ["exec", "--json", str(plan), "--runs", str(runs), "--timeout", "1"])
    summary = json.loads(first.stdout)
    assert first.exit_code == 1 and summary["failed_step"] == "check", summary
    record = Path(summary["record"])
    assert 'input password: secret = "***"' in (record / "plan.r0.pa").read_text()

    # the same plan again: the run's own, not a new revision (its saved copy reads *** for the default)
    again = CliRunner().invoke(main, ["exec", str(plan), "--resume", str(record), "--timeout", "1"])
    assert again.exit_code == 1 and "plan revision" not in again.stderr, again.output
    assert sorted(p.name for p in record.glob("plan.r*.pa")) == ["plan.r0.pa"]

    # the fix: the resumed run signs in with the default's real value, and writes it nowhere
    plan.write_text(DEFAULTED.format(url=shop.url, last=SIGNS_IN))
    fixed = CliRunner().invoke(main, ["exec", "--json", str(plan), "--resume", str(record)])
    assert fixed.exit_code == 0, fixed.output
    assert json.loads(fixed.stdout)["steps"] == {"home": "done", "check": "done"}
    for where, data in texts_of(record).items():
        assert_no_secret("wonderland", where, data)
