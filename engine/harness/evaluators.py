"""Judging an episode the way WebArena does: string_match, url_match and program_html.

:func:`evaluate_task` runs the evaluators a task lists, after the agent
finished, on the agent's answer and the live page it ended on.  Each
evaluator yields one or more :class:`Check`; a check passes or fails (1 or
0), and the task's score is their product, as in WebArena:

* ``string_match`` compares the answer with ``reference_answers``:
  ``exact_match`` after normalising both (trimmed, one pair of surrounding
  quotes removed, lowercase); ``must_include`` wants every item in the answer
  (an item may list alternatives with `` |OR| ``; a lone one-character item
  must be a whole token, so "2" is not found in "12"); ``fuzzy_match`` asks a
  judge model whether the answer means the same as each reference.  The
  reference ``"N/A"`` marks an unachievable task: the answer "N/A" passes,
  any other answer passes only when the judge finds that the reason it gives
  is the task's ``string_note``.
* ``url_match`` compares the page's URL with ``reference_url`` (alternatives
  with `` |OR| ``).  "GOLD in PRED" (the default): some reference's host and
  path lie within the page's, and for every query parameter of the
  references (pooled over the alternatives, as WebArena does) the page has
  one of its values; "EXACT": host, path and query equal one reference's.
* ``program_html`` opens each entry's ``url`` in a new page of the episode's
  context ("last": the page the agent ended on; ``__last_url__`` inside a URL
  is replaced by it), evaluates the ``locator`` JavaScript expression there
  (empty: the page's whole text) and checks the text against
  ``required_contents``.  WebArena's ``func:`` helpers query its sites' own
  APIs: such an entry is reported as an ``unsupported`` check, which fails.

No evaluator raises on a broken page, a failing locator, a timeout or a judge
that cannot be understood: each becomes a failed check that says why.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..models.base import Message, Model
from .webarena import OR, EvalSpec, HtmlCheck, WebTask

JUDGE_ATTEMPTS = 3  # a judge answer that is neither yes nor no is asked again, this many times in all
NO_JUDGE = "fuzzy_match needs a judge model (--judge-model)"
SHOWN = 160  # characters of a found text quoted in a check's detail
_QUOTE_PAIRS = {'"': '"', "'": "'", "“": "”", "‘": "’"}


@dataclass
class Check:
    """One thing an evaluator checked: ``kind`` (exact_match, must_include, fuzzy_match, url_match,
    program_html, unsupported), whether it passed, and what was compared."""

    kind: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Verdict:
    """The score of an episode (the product of its checks: 1.0 or 0.0) and the checks behind it."""

    score: float
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return self.score == 1.0

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "passed": self.passed, "checks": [c.as_dict() for c in self.checks]}


async def evaluate_task(
    task: WebTask, page: Any, answer: str | None, judge: Model | None = None, *, timeout_s: float = 5.0
) -> Verdict:
    """Judge an episode: ``page`` is the live Playwright page the agent ended on (in the episode's
    context), ``answer`` its final answer (None: it gave none), ``judge`` the model for fuzzy matches.

    ``timeout_s`` bounds each locator evaluation; a page load may take twice that.
    """
    checks: list[Check] = []
    for evaluator in task.eval.eval_types:
        if evaluator == "string_match":
            checks += await string_checks(task, answer, judge)
        elif evaluator == "url_match":
            checks.append(url_check(task.eval, None if page is None else page.url))
        elif evaluator == "program_html":
            checks += await html_checks(task, page, judge, timeout_s)
    score = 1.0 if checks and all(c.passed for c in checks) else 0.0
    return Verdict(score, checks)


# ------------------------------------------------------------ string_match


def normalise(text: str) -> str:
    """Text as WebArena compares it: trimmed, one pair of surrounding quotes removed, lowercase."""
    text = text.strip()
    if len(text) >= 2 and _QUOTE_PAIRS.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
    return text.lower()


def includes(reference: str, text: str, whole_token: bool = False) -> bool:
    """Does ``text`` include ``reference`` or one of its `` |OR| `` alternatives (case-insensitive)?

    ``whole_token``: a one-character reference must be a token of the text ("2" is not in "12").
    """
    found = normalise(text)
    for alternative in reference.split(OR):
        wanted = normalise(alternative)
        if whole_token and len(wanted) == 1:
            if wanted in re.findall(r"\w+|[^\w\s]", found):
                return True
        elif wanted in found:
            return True
    return False


async def string_checks(task: WebTask, answer: str | None, judge: Model | None) -> list[Check]:
    """The checks of ``string_match``: one per reference answer."""
    refs = task.eval.reference_answers
    assert refs is not None  # validated when the task was loaded
    if answer is None:
        return [Check(a, False, "the agent gave no answer") for a in refs.approaches]
    checks: list[Check] = []
    if refs.exact_match is not None:
        same = normalise(answer) == normalise(refs.exact_match)
        checks.append(
            Check("exact_match", same, f"answer {_quote(answer)} {'==' if same else '!='} {refs.exact_match!r}")
        )
    if refs.must_include is not None:
        alone = len(refs.must_include) == 1
        for item in refs.must_include:
            found = includes(item, answer, whole_token=alone)
            checks.append(Check("must_include", found, f"{item!r} {'is' if found else 'is not'} in {_quote(answer)}"))
    if refs.fuzzy_match == "N/A":
        checks.append(await _unachievable(task, answer, judge))
    elif refs.fuzzy_match is not None:
        for reference in refs.fuzzy_match:
            checks.append(await judge_equivalent(judge, task.intent, reference, answer))
    return checks


async def _unachievable(task: WebTask, answer: str, judge: Model | None) -> Check:
    if normalise(answer) == "n/a":
        return Check("fuzzy_match", True, "the task is unachievable and the answer is N/A")
    note = task.eval.string_note
    if not note:
        return Check("fuzzy_match", False, f"the task is unachievable: expected N/A, got {_quote(answer)}")
    if judge is None:
        return Check("fuzzy_match", False, f"{NO_JUDGE}: the answer is not N/A, so its reason must be judged")
    question = (
        f"Task: {task.intent}\nThe task cannot be done, because: {note}\n"
        f"An agent tried it and reported: {answer}\n"
        "Does the agent's report give the same reason why the task cannot be done (even if implicitly)?"
    )
    verdict, reason = await ask_judge(judge, question)
    return Check("fuzzy_match", verdict is True, f"unachievable ({note}); the judge on {_quote(answer)}: {reason}")


async def judge_equivalent(judge: Model | None, question: str, reference: str, answer: str) -> Check:
    """Ask the judge whether ``answer`` means the same as ``reference`` for ``question``."""
    if judge is None:
        return Check("fuzzy_match", False, NO_JUDGE)
    prompt = (
        f"Question: {question}\nReference answer: {reference}\nStudent answer: {answer}\n"
        "The student may use other words, order or formatting. 'N/A' means the task is not achievable. "
        "Is the student answer semantically equivalent to the reference answer?"
    )
    verdict, reason = await ask_judge(judge, prompt)
    return Check("fuzzy_match", verdict is True, f"{_quote(answer)} ≈ {reference!r}? the judge: {reason}")


JUDGE_SYSTEM = "You grade the answers of a web agent. Reply with one word: yes or no."
_VERDICT = re.compile(r"\b(yes|no)\b", re.IGNORECASE)


async def ask_judge(judge: Model, question: str) -> tuple[bool | None, str]:
    """The judge's yes/no on ``question`` (None when no usable answer came) and what it said."""
    messages: list[Message] = [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": question}]
    said = ""
    for _ in range(JUDGE_ATTEMPTS):
        try:
            completion = await asyncio.to_thread(judge.complete, messages, max_tokens=64, temperature=0.0)
        except Exception as err:  # a backend error is a failed check, never a crash
            said = f"no answer: {err}"
            continue
        match = _VERDICT.search(completion.text)
        if match is not None:
            return match.group(1).lower() == "yes", match.group(1).lower()
        said = f"unparseable answer {_quote(completion.text)}"
        messages = [
            *messages,
            {"role": "assistant", "content": completion.text},
            {"role": "user", "content": "Answer with exactly one word: yes or no."},
        ]
    return None, f"{said} after {JUDGE_ATTEMPTS} tries"


# ------------------------------------------------------------ url_match


def _parts(url: str) -> tuple[str, dict[str, list[str]]]:
    """Host and path (unquoted, no trailing slash), and the query parameters, of a URL."""
    split = urlsplit(url.strip().rstrip("/"))
    return unquote(split.netloc + split.path).rstrip("/"), parse_qs(split.query)


def url_check(spec: EvalSpec, url: str | None) -> Check:
    """Compare the page's URL with the task's reference URL(s)."""
    assert spec.reference_url is not None  # validated when the task was loaded
    if url is None:
        return Check("url_match", False, "no page to read a URL from")
    references = [r for r in spec.reference_url.split(OR) if r.strip()]
    base, query = _parts(url)
    if spec.url_rule == "EXACT":
        passed = any(_parts(r) == (base, query) for r in references)
        return Check("url_match", passed, f"{url} {'equals' if passed else 'is not'} {spec.reference_url}")
    if not any(_parts(r)[0] in base for r in references):
        return Check("url_match", False, f"{url}: its host and path do not contain those of {spec.reference_url}")
    pooled: dict[str, set[str]] = {}
    for r in references:
        for key, values in _parts(r)[1].items():
            pooled.setdefault(key, set()).update(values)
    missing = [f"{k}={'|'.join(sorted(v))}" for k, v in pooled.items() if not v & set(query.get(k, []))]
    if missing:
        return Check("url_match", False, f"{url}: query lacks {', '.join(missing)} (reference {spec.reference_url})")
    return Check("url_match", True, f"{url} matches {spec.reference_url}")


# ------------------------------------------------------------ program_html


async def html_checks(task: WebTask, page: Any, judge: Model | None, timeout_s: float = 5.0) -> list[Check]:
    """The checks of ``program_html``: one per entry, each read in a page of its own."""
    if page is None:
        return [Check("program_html", False, "no page to check")]
    last_url = page.url  # read before opening pages: a new page may become the session's current one
    checks: list[Check] = []
    for entry in task.eval.program_html:
        checks.append(await _html_check(task, entry, page.context, last_url, judge, timeout_s))
    return checks


async def _html_check(
    task: WebTask, entry: HtmlCheck, context: Any, last_url: str, judge: Model | None, timeout_s: float
) -> Check:
    for field, value in (("url", entry.url), ("locator", entry.locator)):
        if value.strip().startswith("func:"):
            return Check(
                "unsupported", False,
                f"program_html {field} {value!r}: WebArena's func: helpers read its sites' own APIs; planact does not run them",
            )  # fmt: skip
    url = last_url if entry.url == "last" else entry.url.replace("__last_url__", last_url)
    where = f"{url} {entry.locator or 'document.body.innerText'}"
    try:
        text = await read_locator(context, url, entry.locator, entry.prep_actions, timeout_s)
    except Exception as err:
        message = " ".join(str(err).split("Call log:")[0].split())[:240] or type(err).__name__
        return Check("program_html", False, f"{where}: {message}")
    contents = entry.required_contents
    if contents.exact_match is not None:
        same = normalise(text) == normalise(contents.exact_match)
        return Check(
            "program_html", same, f"{where} = {_quote(text)} {'==' if same else '!='} {contents.exact_match!r}"
        )
    if contents.must_include is not None:
        missing = [item for item in contents.must_include if not includes(item, text)]
        detail = f"lacks {missing!r}" if missing else f"includes {contents.must_include!r}"
        return Check("program_html", not missing, f"{where} = {_quote(text)} {detail}")
    assert contents.fuzzy_match is not None
    check = await judge_equivalent(judge, task.intent, ", ".join(contents.fuzzy_match), text)
    return Check("program_html", check.passed, f"{where}: {check.detail}")


async def read_locator(context: Any, url: str, locator: str, prep_actions: Sequence[str], timeout_s: float) -> str:
    """Open ``url`` in a new page of ``context`` and return the text of the JavaScript expression ``locator``."""
    page = await context.new_page()
    try:
        await page.goto(url, wait_until="load", timeout=timeout_s * 2000)
        for action in prep_actions:  # best effort, as in WebArena: a prep action that fails is skipped
            try:
                await asyncio.wait_for(page.evaluate(f"() => {{ {action} }}"), timeout_s)
            except Exception:
                pass
        expression = locator.strip() or "document.body.innerText"
        value = await asyncio.wait_for(page.evaluate(f"() => {expression}"), timeout_s)
    finally:
        await page.close()
    if value is None:
        return ""
    return html.unescape(value if isinstance(value, str) else json.dumps(value))


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= SHOWN else flat[: SHOWN - 1] + "…")
