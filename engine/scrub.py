"""Secret scrubbing: one mechanism for every text planact writes or prints.

A :class:`Scrubber` holds the secret values of a run and replaces each of them with :data:`MASK`
(``***``, what a :class:`~planact.lang.evaluate.Secret` prints as) in whatever encoding a page, a
browser or a serializer may have given it back in:

* raw, and with its whitespace collapsed or changed (an accessible name is whitespace-normalised);
* URL-encoded: ``%20`` or ``+`` for a space, upper- or lower-case hex, with or without the characters
  ``quote`` / ``quote_plus`` / ``encodeURIComponent`` / a form submission leave alone, UTF-8 bytes for
  non-ASCII characters;
* HTML-escaped: named entities (``&amp; &lt; &gt; &quot; &apos;`` and the rest of HTML's table), decimal
  (``&#39;``, ``&#039;``) and hex (``&#x27;``, ``&#X27;``) character references;
* JSON-escaped as ``json.dumps`` writes it with and without ``ensure_ascii`` (``\\" \\\\ \\/`` and
  ``\\uXXXX``, surrogate pairs included), as HTML-safe serializers write it (``\\u003c``), JS ``\\xHH``, and
  a Python or JS string literal's ``\\'``;
* any two of these applied one over the other (JSON inside JSON, an escaped entity in a URL, ...).

The forms are precomputed per character, so a secret is matched even where a page encoded some of its
characters and not others (a browser's URL keeps ``'`` raw where Python's ``quote`` does not); secrets are
tried longest first, so a secret that contains another is masked whole.

Cut-short copies: a text shortened for display ends with ``…`` or simply stops.  The first four or more
characters of a secret are masked where ``…`` follows them, and at the end of a text of 40 characters or
more (the lengths planact cuts target descriptions and messages at); short texts such as step ids are
left alone there, so that a secret's beginning cannot eat a log's structure.

Short secrets: a secret of fewer than :data:`MIN_LENGTH` characters (after surrounding whitespace) is not
searched for inside other text — masking every ``a`` or ``12`` in a log or a trace would destroy it and
hide nothing worth hiding (such a value can be guessed).  It is still masked where a whole value is it
(an extracted field, an output, an answer, a JSON string in the trace), in any of the encodings above.
An empty secret is ignored.
"""

from __future__ import annotations

import html.entities
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

MASK = "***"
MIN_LENGTH = 3  # shorter secrets are masked as whole values only
PREFIX_LENGTH = 4  # the shortest beginning of a secret masked in a cut-short text
CUT_LENGTH = 40  # a text at least this long may have been cut short at its end
ELLIPSIS = "…"


def _pct(c: str, lower: bool = False) -> str:
    out = "".join(f"%{b:02X}" for b in c.encode("utf-8"))
    return out.lower() if lower else out


def _url(s: str, lower: bool = False, plus: bool = False) -> str:
    """Percent-encode every character but ASCII letters and digits (per character, the raw form is matched too)."""
    out = []
    for c in s:
        if c.isascii() and c.isalnum():
            out.append(c)
        elif c == " " and plus:
            out.append("+")
        else:
            out.append(_pct(c, lower))
    return "".join(out)


def _html_named(s: str) -> str:
    out = []
    for c in s:
        name = html.entities.codepoint2name.get(ord(c))
        out.append(f"&{name};" if name and not (c.isascii() and c.isalnum()) else c)
    return "".join(out)


def _html_ref(s: str, form: str) -> str:
    def one(c: str) -> str:
        if c.isascii() and c.isalnum():
            return c
        n = ord(c)
        return {
            "dec": f"&#{n};",
            "dec0": f"&#{n:03d};",
            "hex": f"&#x{n:x};",
            "HEX": f"&#x{n:X};",
            "XHEX": f"&#X{n:X};",
        }[form]

    return "".join(one(c) for c in s)


def _u(c: str, upper: bool) -> str:
    units = c.encode("utf-16-be")
    codes = [int.from_bytes(units[i : i + 2], "big") for i in range(0, len(units), 2)]
    return "".join((f"\\u{n:04X}" if upper else f"\\u{n:04x}") for n in codes)


def _json_all(s: str, upper: bool = False) -> str:
    """``\\uXXXX`` for every character but ASCII letters and digits."""
    return "".join(c if c.isascii() and c.isalnum() else _u(c, upper) for c in s)


def _json_html_safe(s: str, upper: bool = False) -> str:
    """JSON as HTML-safe serializers write it: ``< > & '`` (and non-ASCII) as ``\\uXXXX``."""
    return "".join(_u(c, upper) if c in "<>&'" else json.dumps(c)[1:-1] for c in s)


def _js_hex(s: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() or ord(c) > 0xFF else f"\\x{ord(c):02x}" for c in s)


# each takes a string and returns it encoded; applied per character, and two deep
_ENCODERS = (
    lambda s: _url(s),
    lambda s: _url(s, lower=True),
    lambda s: _url(s, plus=True),
    lambda s: _url(s, lower=True, plus=True),
    lambda s: html.escape(s),
    lambda s: html.escape(s, quote=False),
    lambda s: _html_named(s),
    lambda s: s.replace("'", "&apos;"),
    lambda s: _html_ref(s, "dec"),
    lambda s: _html_ref(s, "dec0"),
    lambda s: _html_ref(s, "hex"),
    lambda s: _html_ref(s, "HEX"),
    lambda s: _html_ref(s, "XHEX"),
    lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    lambda s: json.dumps(s)[1:-1],
    lambda s: re.sub(r"\\u[0-9a-f]{4}", lambda m: "\\u" + m.group()[2:].upper(), json.dumps(s)[1:-1]),
    lambda s: json.dumps(s, ensure_ascii=False)[1:-1].replace("/", "\\/"),
    lambda s: _json_html_safe(s),
    lambda s: _json_html_safe(s, upper=True),
    lambda s: _json_all(s),
    lambda s: _json_all(s, upper=True),
    lambda s: _js_hex(s),
    lambda s: s.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"'),  # a Python or JS string literal
)


@lru_cache(maxsize=4096)
def char_forms(c: str) -> tuple[str, ...]:
    """Every form of one character: itself, each encoding, and each encoding of an encoding; longest first."""
    first = {c} | {e(c) for e in _ENCODERS}
    forms = first | {e(f) for f in first for e in _ENCODERS}
    return tuple(sorted(forms, key=lambda f: (-len(f), f)))


def _char_pattern(c: str) -> str:
    forms = char_forms(c)
    if len(forms) == 1:
        return re.escape(c)
    return "(?:" + "|".join(re.escape(f) for f in forms) + ")"


_ELLIPSES = (ELLIPSIS, "\\u2026", "&hellip;", "&#8230;", "&#x2026;", "%E2%80%A6", "%e2%80%a6")
_SPACE = (
    "(?:"
    + "|".join(re.escape(f) for f in sorted({f for w in " \t\n\r\xa0" for f in char_forms(w)}, key=len, reverse=True))
    + ")+"
)


def _core(secret: str) -> str:
    """The secret as matched: surrounding whitespace dropped (a page's text is stripped)."""
    return secret.strip()


def _pieces(secret: str) -> list[str]:
    """One pattern per character of the secret; a run of whitespace is one piece matching any run of it."""
    pieces: list[str] = []
    for c in _core(secret):
        if c.isspace():
            if not pieces or pieces[-1] != _SPACE:
                pieces.append(_SPACE)
        else:
            pieces.append(_char_pattern(c))
    return pieces


def secret_pattern(secret: str) -> str:
    """A regular expression matching ``secret`` in every encoding the scrubber knows (see the module)."""
    return "".join(_pieces(secret))


def _prefix_pattern(secret: str) -> str | None:
    """The secret's first :data:`PREFIX_LENGTH` or more characters, but not all of them: nested optional groups."""
    pieces = _pieces(secret)[:200]
    if len(pieces) <= PREFIX_LENGTH:
        return None
    tail = ""
    for piece in reversed(pieces[PREFIX_LENGTH:-1]):
        tail = f"(?:{piece}{tail})?"
    return "".join(pieces[:PREFIX_LENGTH]) + tail


def encodings(secret: str) -> set[str]:
    """The whole-string encodings of ``secret`` (each encoder applied uniformly, and two deep): what the
    tests check the scrubber against, and how a short secret is recognised as a whole value."""
    core = _core(secret)
    first = {core} | {e(core) for e in _ENCODERS}
    return first | {e(f) for f in first for e in _ENCODERS}


@lru_cache(maxsize=64)
def _compiled(values: tuple[str, ...]) -> tuple[Any, ...]:
    """The patterns of a scrubber of these secrets (longest first): built once per set of secrets."""
    long = [s for s in values if len(_core(s)) >= MIN_LENGTH]
    short = [s for s in values if len(_core(s)) < MIN_LENGTH]
    whole = frozenset(f for s in short for f in encodings(s))
    text = data = cut = ellipsis = None
    alternatives = [secret_pattern(s) for s in long]
    # a short secret in the trace: where a JSON string (an action's parameter, a field's value) is it
    quoted = ["(?<=\")(?:" + "|".join(re.escape(f) for f in sorted(encodings(s), key=len, reverse=True)) + ')(?=")'
              for s in short]  # fmt: skip
    if alternatives:
        text = re.compile("|".join(alternatives))
        prefixes = [p for p in (_prefix_pattern(s) for s in long) if p]
        if prefixes:
            either = "(?:" + "|".join(prefixes) + ")"
            cut = re.compile(either + r"\s*\Z")
            ellipsis = re.compile(either + f"(?={_char_pattern(ELLIPSIS)})")
    if alternatives or quoted:
        data = re.compile("|".join(alternatives + quoted).encode("utf-8"))
    return whole, text, data, cut, ellipsis


class Scrubber:
    """The secret values of a run, and the means to mask them in text, JSON-like values and bytes.

    ``Scrubber(["hunter2"]).text("pw=hunter2")`` is ``"pw=***"``.  A scrubber with no secrets returns
    everything as it is, at no cost.  See the module's docstring for the encodings, and for secrets shorter
    than :data:`MIN_LENGTH`.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if isinstance(s, str) and _core(s)}, key=lambda s: (-len(_core(s)), s))
        self.secrets: tuple[str, ...] = tuple(values)
        self._whole, self._text, self._bytes, self._cut, self._ellipsis = _compiled(self.secrets)

    @classmethod
    def of(cls, values: Mapping[str, Any] | Iterable[Any]) -> Scrubber:
        """The scrubber of the :class:`~planact.lang.evaluate.Secret` values among ``values`` (a run's inputs)."""
        items = values.values() if isinstance(values, Mapping) else values
        return cls(v.reveal() for v in items if hasattr(v, "reveal"))

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def __or__(self, other: Scrubber | Iterable[str]) -> Scrubber:
        more = other.secrets if isinstance(other, Scrubber) else tuple(other)
        return Scrubber(self.secrets + more)

    def text(self, s: str) -> str:
        """``s`` with every secret (in any encoding) masked."""
        if not self.secrets or not s:
            return s
        if self._whole and s.strip() in self._whole:
            return MASK
        if self._text is None:
            return s
        s = self._text.sub(MASK, s)
        if self._ellipsis is not None and any(e in s for e in _ELLIPSES):
            s = self._ellipsis.sub(MASK, s)
        if self._cut is not None and len(s) >= CUT_LENGTH:
            s = self._cut.sub(MASK, s)
        return s

    def value(self, value: Any) -> Any:
        """A JSON-like value (dicts, lists, strings, numbers) with every secret masked: strings and keys are
        scrubbed, a :class:`~planact.lang.evaluate.Secret` and a number that shows a secret become :data:`MASK`."""
        if hasattr(value, "reveal"):
            return MASK
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {(self.text(k) if isinstance(k, str) else k): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            shown = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
            return MASK if self.text(shown) != shown else value
        return value

    def bytes(self, data: bytes) -> tuple[bytes, int]:
        """``data`` (UTF-8 text or binary) with every secret masked, and how many were."""
        if self._bytes is None or not data:
            return data, 0
        return self._bytes.subn(MASK.encode(), data)
