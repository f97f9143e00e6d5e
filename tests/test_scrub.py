"""The secret scrubber (planact.scrub) and the sinks that use it, without a browser."""

import asyncio
import html
import json
import zipfile
from urllib.parse import quote, quote_plus

import pytest

from planact.browser.observe import Observation
from planact.browser.session import scrub_trace
from planact.lang.evaluate import Secret
from planact.models.base import ScriptedModel
from planact.run.asking import Asker
from planact.run.events import ActionDone
from planact.run.records import RunRecord
from planact.scrub import MASK, Scrubber, encodings

SECRET = "p a&ss<\"w'rd>"

# (name, encoded form): each written by the standard library or spelled out as a page or a browser writes it
ENCODED = [
    ("raw", SECRET),
    ("quote", quote(SECRET)),
    ("quote safe=''", quote(SECRET, safe="")),
    ("quote_plus", quote_plus(SECRET)),
    ("quote %20 lower hex", "p%20a%26ss%3c%22w%27rd%3e"),
    ("form submission (Chromium)", "p+a%26ss%3C%22w%27rd%3E"),
    ("encodeURI (' left raw)", "p%20a&ss%3C%22w'rd%3E"),
    ("html.escape", html.escape(SECRET)),
    ("html.escape quote=False", html.escape(SECRET, quote=False)),
    ("&#39; and &quot;", "p a&amp;ss&lt;&quot;w&#39;rd&gt;"),
    ("&#039; (PHP)", "p a&amp;ss&lt;&#034;w&#039;rd&gt;"),
    ("&apos;", "p a&amp;ss&lt;&quot;w&apos;rd&gt;"),
    ("hex references", "p&#x20;a&#x26;ss&#x3c;&#x22;w&#x27;rd&#x3E;"),
    ("json.dumps", json.dumps(SECRET)[1:-1]),
    ("json.dumps ensure_ascii=False", json.dumps(SECRET, ensure_ascii=False)[1:-1]),
    ("JSON, HTML-safe \\u escapes", 'p a\\u0026ss\\u003c\\"w\\u0027rd\\u003e'),
    ("JSON, upper-case \\u escapes", 'p a\\u0026ss\\u003C\\"w\\u0027rd\\u003E'),
    ("JSON inside JSON", json.dumps(json.dumps(SECRET)[1:-1])[1:-1]),
    ("HTML inside a URL", quote(html.escape(SECRET), safe="")),
    ("HTML escaped twice", html.escape(html.escape(SECRET))),
    ("URL-encoded twice", quote(quote(SECRET, safe=""), safe="")),
    ("whitespace collapsed differently", "p\n  a&ss<\"w'rd>"),
]


@pytest.mark.parametrize(("name", "form"), ENCODED, ids=[n for n, _ in ENCODED])
def test_each_encoding_of_a_secret_is_masked_in_text_and_bytes(name, form):
    scrub = Scrubber([SECRET])
    text = f"before {form} after"
    assert form in text and scrub.text(text) == f"before {MASK} after"
    data, count = scrub.bytes(text.encode())
    assert (data, count) == (f"before {MASK} after".encode(), 1)


def test_non_ascii_secrets_are_masked_as_utf8_percent_escapes_surrogates_and_entities():
    secret = "mot-dé-passe-😀"
    scrub = Scrubber([secret])
    for form in (
        secret,
        quote(secret),
        quote(secret).lower(),
        json.dumps(secret)[1:-1],  # \u00e9 and a surrogate pair
        json.dumps(secret)[1:-1].replace("\\u00e9", "\\u00E9"),
        "mot-d&eacute;-passe-&#128512;",
        "mot-d&#xe9;-passe-&#x1f600;",
    ):
        assert scrub.text(f"[{form}]") == f"[{MASK}]", form


def test_the_scrubbers_list_of_encodings_holds_the_standard_librarys_and_all_of_them_are_masked():
    forms = encodings(SECRET)
    assert {quote(SECRET, safe=""), quote_plus(SECRET), html.escape(SECRET), json.dumps(SECRET)[1:-1]} <= forms
    scrub = Scrubber([SECRET])
    assert len(forms) > 50
    for form in forms:
        assert scrub.text(f"<{form}>") == f"<{MASK}>", form


def test_the_longest_secret_is_masked_whole_and_every_occurrence_goes():
    scrub = Scrubber(["admin", "admin123"])
    assert scrub.text("admin123 and admin, admin123") == "*** and ***, ***"
    assert scrub.secrets == ("admin123", "admin")


def test_a_cut_short_copy_loses_the_beginning_of_the_secret_too():
    scrub = Scrubber([SECRET])
    shown = "The text field was filled with this: p a&ss<"  # a description cut at its length limit
    assert len(shown) >= 40 and scrub.text(shown) == "The text field was filled with this: ***"
    assert scrub.text('- textbox "p a&ss…" [ref=e3]') == '- textbox "***…" [ref=e3]'
    # a short text that happens to end like the secret's beginning is left as it is (a step id, a name)
    assert scrub.text("p a&s") == "p a&s"


def test_a_secret_shorter_than_three_characters_is_masked_only_as_a_whole_value():
    scrub = Scrubber(["ab"])
    assert scrub.text("ab") == MASK and scrub.text(" ab ") == MASK and scrub.value(["ab", "abc"]) == [MASK, "abc"]
    assert scrub.text("a tab") == "a tab"
    data, count = scrub.bytes(b'{"value":"ab","text":"a tab"}')
    assert (data, count) == (b'{"value":"***","text":"a tab"}', 1)


def test_values_are_scrubbed_through_and_through():
    scrub = Scrubber([SECRET, "4242"])
    value = {
        "url": "http://shop/search?q=" + quote_plus(SECRET),
        SECRET: [html.escape(SECRET), ("x", 4242), 4242.0, 42, True],
        "secret": Secret("other"),
    }
    assert scrub.value(value) == {
        "url": "http://shop/search?q=***",
        MASK: [MASK, ["x", MASK], MASK, 42, True],
        "secret": MASK,
    }


def test_no_secrets_changes_nothing_and_empty_secrets_are_ignored():
    scrub = Scrubber(["", "   "])
    assert not scrub and scrub.text(SECRET) == SECRET and scrub.bytes(b"abc") == (b"abc", 0)
    assert scrub.value({"a": [1, "b"]}) == {"a": [1, "b"]}
    assert Scrubber.of({"user": "alice", "password": Secret("hunter22")}).secrets == ("hunter22",)


def test_the_trace_archive_is_scrubbed_in_every_member(tmp_path):
    path = tmp_path / "trace.zip"
    members = {
        "trace.trace": json.dumps({"method": "fill", "params": {"value": SECRET}}) + "\n",
        "trace.network": json.dumps({"url": "http://shop/search?q=" + quote_plus(SECRET)}) + "\n",
        "resources/page.html": f"<h1>Results for “{html.escape(SECRET)}”</h1>",
        "resources/snapshot.json": json.dumps(json.dumps({"value": SECRET}), ensure_ascii=False),
        "resources/image.png": b"\x89PNG\r\n\x1a\n\x00\xff",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    assert scrub_trace(str(path), (SECRET,)) == 4
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(members)
        assert archive.read("resources/image.png") == members["resources/image.png"]
        for name in members:
            data = archive.read(name)
            for form in ENCODED:
                assert form[1].encode() not in data, (name, form)
        assert json.loads(archive.read("trace.trace"))["params"]["value"] == MASK
        assert archive.read("resources/page.html") == "<h1>Results for “***”</h1>".encode()


def test_a_run_records_texts_are_scrubbed(tmp_path):
    record = RunRecord.create(tmp_path)
    record.hide({"password": Secret(SECRET), "user": "alice"})
    target = {"role": "link", "name": "x", "tag": "a", "text": SECRET, "fingerprint": "f"}
    event = record.write(
        ActionDone(
            step="s", action="click", value=SECRET, url="http://shop/?q=" + quote_plus(SECRET), target=target, ms=1
        )
    )
    assert (
        event["value"] == MASK and event["url"] == "http://shop/?q=***" and event["target"] == {**target, "text": MASK}
    )
    record.write_page({"url": "u", "tree": f'- textbox "{SECRET}"'})
    record.save_plan(f'plan "x"\n\ninput password: secret = {json.dumps(SECRET)}\n', 0)
    record.save_inputs({"password": Secret(SECRET), "query": html.escape(SECRET)})
    for path in record.path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert MASK.encode() in data, path
            for _, form in ENCODED:
                assert form.encode() not in data, (path, form)


def test_a_model_is_never_asked_with_a_secret_in_its_prompt():
    model = ScriptedModel(["done"])
    logged = []
    asker = Asker(lambda event: logged.append(event.event), scrub=Scrubber([SECRET]))
    messages = [{"role": "user", "content": f"URL: http://shop/search?q={quote_plus(SECRET)}\n- textbox {SECRET!r}"}]
    asyncio.run(asker.ask(model, messages, role="executor", purpose="ground"))
    sent = model.requests[0].messages[0]["content"]
    assert sent == "URL: http://shop/search?q=***\n- textbox '***'" and logged == ["model_call"]
    assert quote_plus(SECRET) in messages[0]["content"]  # the caller's messages are left as they were


def test_an_observation_is_masked_in_its_url_title_and_tree():
    seen = Observation(f"http://shop/search?q={quote_plus(SECRET)}", f"Results for {SECRET}", f'- heading "{SECRET}"')
    masked = seen.masked([SECRET])
    assert (masked.url, masked.title, masked.tree) == ("http://shop/search?q=***", "Results for ***", '- heading "***"')
