"""`planact lsp` driven over stdio by a real LSP client (pygls' LanguageClient, in planact.lsp.client).

Every test talks JSON-RPC to a `python -m planact lsp` subprocess, on real plans from plans/ and
the lint goldens; none asserts on timings (bench/lsp_latency.py measures those).
"""

from __future__ import annotations

import random
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

pytest.importorskip("pygls", reason="no pygls: pip install -e '.[dev]' (or 'planact[lsp]')")

from lsprotocol import types as lsp  # noqa: E402

from planact.check import lint_text  # noqa: E402
from planact.lsp.client import PlanClient  # noqa: E402
from planact.syntax.format import format_plan  # noqa: E402
from planact.syntax.parser import parse  # noqa: E402

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "plans" / "examples"
GOLDEN = Path(__file__).parent / "golden" / "lint"


@pytest.fixture(scope="module")
def client():
    c = PlanClient(debounce_ms=10).start()
    yield c
    assert c.alive, "the server died during the tests"
    assert c.stop() == 0


def where(text: str, needle: str, nth: int = 0, offset: int = 0) -> tuple[int, int]:
    """The LSP (line, character) of the nth occurrence of ``needle`` (plus ``offset`` characters)."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at)
    return line, at - (text.rfind("\n", 0, at) + 1) + offset


def open_plan(client: PlanClient, path: Path, text: str | None = None) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8") if text is None else text
    uri = path.resolve().as_uri()
    client.open(uri, text)
    client.diagnostics(uri, 1)
    return uri, text


def path_of(uri: str) -> Path:
    return Path(unquote(urlparse(uri).path))


def apply(text: str, edits) -> str:
    """Apply LSP text edits (ASCII text: characters are UTF-16 units) from last to first."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(p: lsp.Position) -> int:
        return starts[p.line] + p.character if p.line < len(starts) else len(text)

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


# ----------------------------------------------------------------- diagnostics


def test_the_server_says_what_it_can_do(client):
    caps = client.capabilities
    assert caps.hover_provider and caps.definition_provider and caps.references_provider
    assert caps.document_formatting_provider and caps.document_symbol_provider and caps.code_action_provider
    assert " " in caps.completion_provider.trigger_characters
    assert caps.text_document_sync.change == lsp.TextDocumentSyncKind.Incremental


def test_diagnostics_appear_as_you_type_and_clear(client):
    path = EXAMPLES / "03-add-to-cart-if-cheap.pa"
    uri, text = open_plan(client, path)
    assert client.diagnostics(uri, 1) == []
    # an unsaved, incremental edit: `budget` -> `budgt` in the condition
    line, col = where(text, "<= budget", offset=3)
    edit = lsp.Range(lsp.Position(line, col), lsp.Position(line, col + len("budget")))
    client.change(uri, 2, "budgt", edit)
    (d,) = [d for d in client.diagnostics(uri, 2) if d.code == "PA201"]
    assert d.range == lsp.Range(edit.start, lsp.Position(line, col + len("budgt")))
    assert d.severity == lsp.DiagnosticSeverity.Error and d.source == "planact"
    assert "undefined name `budgt`" in d.message and "did you mean `budget`?" in d.message
    rule_file = path_of(d.code_description.href)
    assert rule_file.name.startswith("pa201_") and "What:" in rule_file.read_text()  # the --explain text's home
    assert path.read_text(encoding="utf-8") == text  # nothing was written to disk
    client.change(uri, 3, "budget", lsp.Range(edit.start, lsp.Position(line, col + len("budgt"))))
    assert client.diagnostics(uri, 3) == []
    client.close(uri)


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.pa")))
def test_every_golden_finding_comes_back_with_its_code_range_and_help(client, name):
    path = GOLDEN / f"{name}.pa"
    text = path.read_bytes().decode("utf-8", errors="replace")
    uri = path.resolve().as_uri()
    client.open(uri, text)
    got = client.diagnostics(uri, 1)
    _, want = lint_text(text, str(path))
    assert [d.code for d in got] == [d.code for d in want]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for g, w in zip(got, want, strict=True):
        if w.span:
            assert g.range.start.line == w.span.line - 1
            assert g.range.start.character <= len(lines[w.span.line - 1].encode("utf-16-le")) // 2
        assert g.message.startswith(w.message)
        if w.help:
            assert w.help in g.message and g.data["help"] == w.help
        assert path_of(g.code_description.href).is_file()
    seen = len(client.published[uri])
    client.close(uri)
    assert client.wait_published(uri, None, after=seen).diagnostics == []  # closing clears them


LIB = 'plan "lib"\n\ndefine step greet(who: text) "Say hello to {who}":\n    answer "hi {who}"\n'
MAIN = 'plan "main"\n\nuse "lib.pa"\n\ninput name: text = "bob"\n\nstep hello: greet(name)\n'


def test_a_use_file_is_read_beside_the_document_and_saving_it_relints_its_importers(client, tmp_path):
    lib = tmp_path / "lib.pa"
    lib.write_text(LIB)
    main = tmp_path / "main.pa"
    main.write_text(MAIN)
    main_uri, main_text = open_plan(client, main)
    assert client.diagnostics(main_uri, 1) == []
    lib_uri, lib_text = open_plan(client, lib)
    # go to definition on the call lands in lib.pa; references from lib.pa find the call in main.pa
    loc = client.definition(main_uri, *where(main_text, "greet", offset=1))
    assert loc.uri == lib_uri and loc.range.start == lsp.Position(*where(lib_text, "greet"))
    refs = client.references(lib_uri, *where(lib_text, "greet", offset=2))
    assert {(r.uri, r.range.start.line) for r in refs} == {(lib_uri, 2), (main_uri, 6)}
    # the procedure renamed in lib.pa's buffer: main.pa is linted again, without an edit of its own
    seen = len(client.published[main_uri])
    client.change(lib_uri, 2, lib_text.replace("greet", "greets"))
    (d,) = client.wait_until(main_uri, lambda ds: bool(ds), after=seen).diagnostics
    assert d.code == "PA205" and "did you mean `greets`?" in d.message
    # saved (the editor writes the buffer), then closed: main.pa now reads the same text from disk
    lib.write_text(lib_text.replace("greet", "greets"))
    client.save(lib_uri)
    seen = len(client.published[main_uri])
    client.close(lib_uri)
    (d,) = client.wait_published(main_uri, after=seen).diagnostics
    assert d.code == "PA205" and "did you mean `greets`?" in d.message
    client.close(main_uri)


def test_an_unsaved_edit_of_a_use_file_changes_the_diagnostics_of_its_importers(client, tmp_path):
    (tmp_path / "lib.pa").write_text(LIB)
    main_uri, _ = open_plan(client, tmp_path / "main.pa", MAIN)
    lib_uri, lib_text = open_plan(client, tmp_path / "lib.pa")
    assert client.diagnostics(main_uri) == []
    # the procedure deleted from lib.pa's buffer (the disk still has it): main.pa's call is unknown
    seen = len(client.published[main_uri])
    client.change(lib_uri, 2, 'plan "lib"\n')
    (d,) = client.wait_until(main_uri, lambda ds: bool(ds), after=seen).diagnostics
    assert d.code == "PA205" and "`greet`" in d.message and d.range.start == lsp.Position(6, 12)
    assert (tmp_path / "lib.pa").read_text() == lib_text
    # main.pa opened again while lib.pa's buffer lacks the procedure: its first lint reads the buffer
    client.close(main_uri)
    client.open(main_uri, MAIN)
    assert [d.code for d in client.diagnostics(main_uri, 1)] == ["PA205"]
    # typed back: the call resolves again
    seen = len(client.published[main_uri])
    client.change(lib_uri, 3, lib_text)
    assert client.wait_until(main_uri, lambda ds: ds == [], after=seen).diagnostics == []
    # deleted again and closed without saving: main.pa reads lib.pa from disk, where greet still is
    seen = len(client.published[main_uri])
    client.change(lib_uri, 4, 'plan "lib"\n')
    client.wait_until(main_uri, lambda ds: bool(ds), after=seen)
    seen = len(client.published[main_uri])
    client.close(lib_uri)
    assert client.wait_until(main_uri, lambda ds: ds == [], after=seen).diagnostics == []
    client.close(main_uri)


def test_references_of_a_procedure_include_the_workspace_files_that_are_not_open(tmp_path):
    (tmp_path / "lib.pa").write_text(LIB)
    (tmp_path / "main.pa").write_text(MAIN)
    (tmp_path / "sub").mkdir()
    other = 'plan "other"\n\nuse "../lib.pa"\n\nstep one: greet("ann")\n\nstep two: greet("bo")\n'
    (tmp_path / "sub" / "other.pa").write_text(other)
    # a greet of its own, not lib.pa's; a file too big to scan; one that is not UTF-8; a hidden folder
    (tmp_path / "own.pa").write_text(LIB.replace('plan "lib"', 'plan "own"') + '\nstep s: greet("x")\n')
    (tmp_path / "big.pa").write_text(MAIN + "".join(f'\nstep s{i}: greet("x")\n' for i in range(60_000)))
    (tmp_path / "bad.pa").write_bytes(b'plan "bad"\n\nuse "lib.pa"\n\nstep s: greet("\xff")\n')
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "main.pa").write_text(MAIN.replace('"lib.pa"', '"../lib.pa"'))
    assert (tmp_path / "big.pa").stat().st_size > 1_000_000
    with PlanClient(debounce_ms=10, workspace=tmp_path) as c:
        lib_uri, lib_text = open_plan(c, tmp_path / "lib.pa")
        at = where(lib_text, "greet", offset=2)
        main_uri, other_uri = (tmp_path / "main.pa").as_uri(), (tmp_path / "sub" / "other.pa").as_uri()
        refs = c.references(lib_uri, *at)
        assert sorted((r.uri, r.range.start.line, r.range.start.character) for r in refs) == sorted(
            [(lib_uri, 2, 12), (main_uri, 6, 12), (other_uri, 4, 10), (other_uri, 6, 10)]
        )
        assert all(r.range.end.character == r.range.start.character + len("greet") for r in refs)
        assert lib_uri not in {r.uri for r in c.references(lib_uri, *at, declaration=False)}
        # main.pa opened with the call deleted from its buffer: its buffer counts, not its file
        c.open(main_uri, MAIN.replace("step hello: greet(name)\n", 'step hello "Hi {name}"\n'))
        c.diagnostics(main_uri, 1)
        assert main_uri not in {r.uri for r in c.references(lib_uri, *at)}
        assert c.alive


def test_references_of_a_stdlib_procedure_include_the_stdlib_and_unopened_files(tmp_path):
    text = (EXAMPLES / "02-login-with-stdlib.pa").read_text(encoding="utf-8")
    (tmp_path / "a.pa").write_text(text)
    (tmp_path / "b.pa").write_text(text)
    with PlanClient(debounce_ms=10, workspace=tmp_path) as c:
        uri, _ = open_plan(c, tmp_path / "a.pa")
        refs = c.references(uri, *where(text, "login(", offset=1))
        by_file = {path_of(r.uri).name: r for r in refs}
        assert set(by_file) == {"web.pa", "a.pa", "b.pa"} and len(refs) == 3
        web = path_of(by_file["web.pa"].uri)
        assert web.parent.name == "stdlib"
        line = web.read_text().split("\n")[by_file["web.pa"].range.start.line]
        assert line.startswith("define step login(")
        assert by_file["b.pa"].range == by_file["a.pa"].range  # the same call, in the same text


def test_an_untitled_buffer_is_linted_too(client):
    uri = "untitled:Untitled-1"
    client.open(uri, 'plan "scratch"\n\nstep a "Do it" -> number\n\nstep b "Use {a} and {zz}"\n')
    (d,) = client.diagnostics(uri, 1)
    assert d.code == "PA201" and d.range.start == lsp.Position(4, 20)
    client.close(uri)


def test_ranges_count_utf16_code_units(client):
    uri = "untitled:emoji"
    text = 'plan "emoji"\n\nstep a "😀😀 {nope}"\n'
    client.open(uri, text)
    (d,) = client.diagnostics(uri, 1)
    # each 😀 is two UTF-16 units: `{nope}` starts at unit 8 + 4 + 1 = 13 of its line (character 11)
    assert d.code == "PA201" and d.range.start == lsp.Position(2, 13) and d.range.end == lsp.Position(2, 19)
    client.close(uri)


# ------------------------------------------------------------------- requests


def test_hover_on_steps_variables_procedures_and_actions(client):
    uri, text = open_plan(client, EXAMPLES / "06-loop-over-results.pa")

    def hover(needle: str, nth: int = 0, offset: int = 1) -> str:
        h = client.hover(uri, *where(text, needle, nth, offset))
        assert h is not None, needle
        return h.contents.value

    titles = hover("in titles", offset=4)  # read by the loop of `ratings`
    assert "step titles" in titles and "binds `titles: list of text`" in titles and "read by `ratings`" in titles
    ratings = hover("step ratings", offset=6)
    assert "binds `ratings: list of text`" in ratings and "runs after `titles`" in ratings
    loop_var = hover("{title}", offset=2)
    assert "title: text" in loop_var and "loop variable of step `ratings`" in loop_var
    query = hover("{query}", offset=2)
    assert "input query: text" in query and 'input query: text = "keyboard"' in query
    site = hover("shop", nth=1)
    assert 'site shop = "http://127.0.0.1:8765"' in site
    assert "navigate to a URL" in hover("goto") and "goto SITE" in hover("goto")
    assert "wait until an element is visible" in hover("wait for", offset=6)
    assert "ARIA role `link`" in hover("link")
    uri2, text2 = open_plan(client, EXAMPLES / "02-login-with-stdlib.pa")
    proc = client.hover(uri2, *where(text2, "login(", offset=2)).contents.value
    assert "define step login(user: text, password: secret)" in proc and "module `web`" in proc
    client.close(uri)
    client.close(uri2)


def test_hover_on_a_diagnostic_shows_its_explain_text(client):
    uri = "untitled:explain"
    text = 'plan "x"\n\nstep a "Read {missing}"\n'
    client.open(uri, text)
    client.diagnostics(uri, 1)
    h = client.hover(uri, *where(text, "missing", offset=2))
    assert "PA201" in h.contents.value and "What:" in h.contents.value and "Why:" in h.contents.value
    client.close(uri)


def test_definition_and_references_of_steps_inputs_sites_and_loop_variables(client):
    uri, text = open_plan(client, EXAMPLES / "04-parallel-branches.pa")
    home_def = lsp.Position(*where(text, "step home", offset=5))
    # `after home` -> the step; every `after home` and the definition are its references
    loc = client.definition(uri, *where(text, "after home", offset=7))
    assert loc.uri == uri and loc.range.start == home_def
    refs = client.references(uri, home_def.line, home_def.character + 1)
    assert [r.range.start for r in refs] == [
        home_def,
        lsp.Position(*where(text, "after home", offset=6)),
        lsp.Position(*where(text, "after home", nth=1, offset=6)),
    ]
    # a data dependency: `{keyboard}` in the answer resolves to the step
    loc = client.definition(uri, *where(text, "{keyboard}", offset=2))
    assert loc.range.start == lsp.Position(*where(text, "step keyboard", offset=5))
    keyboard = client.references(uri, *where(text, "step keyboard", offset=6), declaration=False)
    assert len(keyboard) == 5  # after keyboard, `if ... keyboard >=`, the assert (twice), `{keyboard}`
    # a site
    loc = client.definition(uri, *where(text, "goto shop", offset=6))
    assert loc.range.start == lsp.Position(*where(text, "site shop", offset=5))
    client.close(uri)

    uri, text = open_plan(client, EXAMPLES / "06-loop-over-results.pa")
    loc = client.definition(uri, *where(text, '"{title}"', offset=3))
    assert loc.range.start == lsp.Position(*where(text, "for title", offset=4))
    loc = client.definition(uri, *where(text, "{query}", offset=1))
    assert loc.range.start == lsp.Position(*where(text, "input query", offset=6))
    assert len(client.references(uri, *where(text, "input query", offset=7))) == 3  # the input, twice read
    client.close(uri)


def test_definition_of_a_stdlib_procedure_opens_the_stdlib(client):
    uri, text = open_plan(client, EXAMPLES / "02-login-with-stdlib.pa")
    loc = client.definition(uri, *where(text, "login(", offset=1))
    target = path_of(loc.uri)
    assert target.name == "web.pa" and target.is_file()
    line = target.read_text().split("\n")[loc.range.start.line]
    assert line.startswith("define step login(") and line[loc.range.start.character :].startswith("login")
    module = client.definition(uri, *where(text, "use web", offset=5))
    assert path_of(module.uri) == target
    client.close(uri)


def test_completion_offers_what_fits_the_cursor(client):
    path = EXAMPLES / "02-login-with-stdlib.pa"
    uri, text = open_plan(client, path)

    def labels(new_line: str, version: int) -> set[str]:
        # a half-typed line appended to the unsaved buffer; completion reads it as typed
        return {i.label for i in client.completion(uri, *_appended(client, uri, text, new_line, version))}

    actions = labels('\nstep more "More":\n    ', 2)
    assert {"click", "fill", "goto", "wait for", "scroll to", "assert visible", "answer"} <= actions
    assert {"button", "link", "textbox", "css", "label"} <= labels('\nstep more "More":\n    click ', 3)
    assert "shop" in labels('\nstep more "More":\n    goto ', 4)
    assert {"home", "signin", "orders"} <= labels('\nstep more "More" after ', 5)
    assert {"user", "password", "count"} <= labels('\nstep more "Read {', 6)
    assert {"text", "number", "list of", "record"} <= labels("\ninput n: ", 7)
    items = {i.label: i for i in client.completion(uri, *_appended(client, uri, text, "\nstep more: ", 8))}
    assert {"login", "search", "logout"} <= set(items)
    assert items["login"].insert_text == "login(${1:user}, ${2:password})"
    assert items["login"].insert_text_format == lsp.InsertTextFormat.Snippet
    top = labels("\n", 9)
    assert {"step", "input", "site", "use", "define step"} <= top
    assert "web" in labels("\nuse ", 10)
    client.close(uri)


def _appended(client: PlanClient, uri: str, text: str, line: str, version: int) -> tuple[int, int]:
    client.change(uri, version, text + line)
    whole = text + line
    return whole.count("\n"), len(whole.rsplit("\n", 1)[-1])


def test_formatting_gives_the_canonical_form(client):
    path = EXAMPLES / "05-loop-over-input.pa"
    canonical = path.read_text(encoding="utf-8")
    messy = canonical.replace("\n    ", "\n  ").replace("step ", "step   ", 1) + "\n\n\n"
    uri = "untitled:messy.pa"
    client.open(uri, messy)
    edits = client.formatting(uri)
    assert edits and apply(messy, edits) == format_plan(parse(messy)) == canonical
    client.change(uri, 2, canonical)
    assert list(client.formatting(uri)) == []  # already canonical: nothing to change
    client.change(uri, 3, canonical + 'step broken "oops\n')
    assert client.formatting(uri) is None  # never rewrites a plan that does not parse
    assert any("not formatted" in m.message for m in client.messages)
    client.close(uri)


def test_document_symbols_are_the_steps_and_declarations(client):
    uri, text = open_plan(client, EXAMPLES / "02-login-with-stdlib.pa")
    symbols = client.symbols(uri)
    steps = [s.name for s in symbols if s.kind == lsp.SymbolKind.Event]
    assert steps == [s.id.name for s in parse(text).steps]
    assert {"shop", "user", "password"} <= {s.name for s in symbols}
    orders = next(s for s in symbols if s.name == "orders")
    assert orders.detail == "Open the order history" and orders.range.end.line > orders.range.start.line
    client.close(uri)


def test_quick_fixes_apply_and_the_plan_lints_clean(client):
    text = (EXAMPLES / "01-search-and-sort.pa").read_text(encoding="utf-8")
    broken = text.replace("click ", "clik ", 1) if "click " in text else text.replace("fill ", "fil ", 1)
    uri = "untitled:fix.pa"
    client.open(uri, broken)
    (d,) = client.diagnostics(uri, 1)
    assert d.code == "PA101"
    actions = client.code_actions(uri, d.range, [d])
    preferred = [a for a in actions if a.is_preferred]
    assert len(preferred) == 1 and preferred[0].kind == lsp.CodeActionKind.QuickFix
    fixed = apply(broken, preferred[0].edit.changes[uri])
    assert fixed == text
    client.change(uri, 2, fixed)
    assert client.diagnostics(uri, 2) == []
    # a lint finding (an unused input) can be silenced on its line with a noqa comment
    unused = fixed.replace("\nstep ", '\ninput spare: text = "x"\n\nstep ', 1)
    client.change(uri, 3, unused)
    (d,) = client.diagnostics(uri, 3)
    assert d.code == "PA405"
    (noqa,) = [a for a in client.code_actions(uri, d.range, [d]) if "noqa" in a.title]
    client.change(uri, 4, apply(unused, noqa.edit.changes[uri]))
    assert client.diagnostics(uri, 4) == []
    client.close(uri)


# ----------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def tough():
    c = PlanClient(debounce_ms=10).start()
    yield c
    assert c.alive
    assert c.stop() == 0


def _still_answers(client: PlanClient) -> None:
    uri = "untitled:probe.pa"
    text = 'plan "probe"\n\ninput q: text = "x"\n\nstep a "Find {q}"\n'
    client.open(uri, text)
    assert client.diagnostics(uri, 1) == []
    assert "input q: text" in client.hover(uri, *where(text, "{q}", offset=1)).contents.value
    client.close(uri)


def test_junk_bytes_give_diagnostics_and_the_server_keeps_answering(tough):
    rng = random.Random(21)
    junk = bytes(rng.randrange(256) for _ in range(20_000)).decode("latin-1")  # NULs, form feeds, \x85, ...
    uri = "untitled:junk.pa"
    tough.open(uri, junk)
    (d,) = tough.diagnostics(uri, 1)
    assert d.code == "PA103"
    assert "PA103" in tough.hover(uri, d.range.start.line, d.range.start.character).contents.value
    assert isinstance(tough.completion(uri, 3, 5), list)
    tough.change(uri, 2, junk.replace("\0", "") + "\ud800 lone surrogate \udfff")
    assert tough.diagnostics(uri, 2)
    assert tough.formatting(uri) is None
    tough.close(uri)
    _still_answers(tough)


def test_a_half_typed_line_gives_a_diagnostic_and_requests_still_work(tough):
    text = (EXAMPLES / "03-add-to-cart-if-cheap.pa").read_text(encoding="utf-8")
    uri = "untitled:half.pa"
    tough.open(uri, text)
    assert tough.diagnostics(uri, 1) == []
    tails = {
        "\nstep s": "PA601",
        '\nstep s "Rea': "PA100",
        '\nstep s "Read it" ->': "PA100",
        '\nstep s "x" if ': "PA100",
    }
    for version, (tail, code) in enumerate(tails.items(), start=2):
        tough.change(uri, version, text + tail)
        assert code in {d.code for d in tough.diagnostics(uri, version)}
        assert (
            "input budget" in tough.hover(uri, *where(text, "input budget", offset=7)).contents.value
        )  # from the last version that parsed
        labels = {i.label for i in tough.completion(uri, text.count("\n") + 1, len(tail) - 1)}
        assert ("budget" in labels) == tail.endswith(" if ")  # a condition reads names; a string takes none
        assert tough.symbols(uri)
    _still_answers(tough)
    tough.close(uri)


def test_a_use_cycle_gives_a_diagnostic(tough, tmp_path):
    (tmp_path / "a.pa").write_text('plan "a"\n\nuse "b.pa"\n\nstep s "Go"\n')
    (tmp_path / "b.pa").write_text('plan "b"\n\nuse "a.pa"\n\ndefine step noop() "Nothing"\n')
    uri = (tmp_path / "a.pa").as_uri()
    tough.open(uri, (tmp_path / "a.pa").read_text())
    (d,) = [d for d in tough.diagnostics(uri, 1) if d.code == "PA210"]
    assert "`a.pa` -> `b.pa` -> `a.pa`" in d.message
    assert tough.definition(uri, 2, 6).uri == (tmp_path / "b.pa").as_uri()
    tough.close(uri)
    _still_answers(tough)


def test_a_use_cycle_through_unsaved_buffers_gives_a_diagnostic(tough, tmp_path):
    # on disk a.pa -> b.pa -> c.pa and no cycle; c.pa's unsaved buffer imports a.pa
    (tmp_path / "a.pa").write_text('plan "a"\n\nuse "b.pa"\n\nstep s "Go"\n')
    (tmp_path / "b.pa").write_text('plan "b"\n\nuse "c.pa"\n\ndefine step noop() "Nothing"\n')
    c_disk = 'plan "c"\n\ndefine step other() "Nothing either"\n'
    (tmp_path / "c.pa").write_text(c_disk)
    a_uri, _ = open_plan(tough, tmp_path / "a.pa")
    assert "PA210" not in {d.code for d in tough.diagnostics(a_uri, 1)}
    seen = len(tough.published.get(a_uri, []))
    c_uri = (tmp_path / "c.pa").as_uri()
    tough.open(c_uri, c_disk.replace('plan "c"\n', 'plan "c"\n\nuse "a.pa"\n'))
    (d,) = [d for d in tough.diagnostics(c_uri, 1) if d.code == "PA210"]
    assert "`c.pa` -> `a.pa` -> `b.pa` -> `c.pa`" in d.message
    # a.pa is linted again: it reaches c.pa only through b.pa, which is not open
    cycle = tough.wait_until(a_uri, lambda ds: any(d.code == "PA210" for d in ds), after=seen).diagnostics
    (d,) = [d for d in cycle if d.code == "PA210"]
    assert "`a.pa` -> `b.pa` -> `c.pa` -> `a.pa`" in d.message and d.range.start.line == 2
    assert (tmp_path / "c.pa").read_text() == c_disk
    # the import deleted from c.pa's buffer: the cycle is gone from a.pa
    seen = len(tough.published[a_uri])
    tough.change(c_uri, 2, c_disk)
    tough.wait_until(a_uri, lambda ds: "PA210" not in {d.code for d in ds}, after=seen)
    assert "PA210" not in {d.code for d in tough.diagnostics(c_uri, 2)}
    tough.close(c_uri)
    tough.close(a_uri)
    _still_answers(tough)


def test_a_10_mb_file_is_linted_while_the_server_keeps_answering(tough):
    step = 'step s{i} "Open page {i}":\n    goto "http://127.0.0.1:8765/p/{i}"\n    click button "Next"\n\n'
    parts = ['plan "big"\n\n']
    size, i = len(parts[0]), 0
    while size < 10_000_000:
        parts.append(step.format(i=i))
        size += len(parts[-1])
        i += 1
    big = "".join(parts) + 'step broken "x" if\n'
    uri = "untitled:big.pa"
    tough.open(uri, big)
    _still_answers(tough)  # answered while the big file is linted in the worker
    diagnostics = tough.diagnostics(uri, 1, timeout=300)
    assert [d.code for d in diagnostics] == ["PA100"] and diagnostics[0].range.start.line == big.count("\n") - 1
    tough.close(uri)
    _still_answers(tough)
