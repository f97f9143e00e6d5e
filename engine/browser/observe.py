"""Observations for models: the page as compact accessibility-tree text with stable element references.

Each element a model may act on (links, buttons, fields, options...) gets a
reference ``eN`` stored on the element (``data-planact-ref``), so an action can
target it as ``click ref "e12"``; references stay the same for the life of the
element, so consecutive observations of a page agree; an element styled to be clicked (a `clickable`:
its pointer starts there) gets one too.  Headings, list items,
table cells and landmarks give structure; hidden elements are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..scrub import Scrubber
from .targets import REF_ATTRIBUTE

_WALK = """
([attr, maxText]) => {
  const INTERACTIVE = {a: 'link', button: 'button', select: 'combobox', textarea: 'textbox', option: 'option'};
  const STRUCTURE = {h1: 'heading', h2: 'heading', h3: 'heading', h4: 'heading', nav: 'navigation', main: 'main',
    form: 'form', table: 'table', tr: 'row', th: 'columnheader', td: 'cell', ul: 'list', ol: 'list', li: 'listitem',
    article: 'article', header: 'banner', footer: 'contentinfo', fieldset: 'group', p: 'paragraph', img: 'img', dialog: 'dialog'};
  // elements whose own text is shown as a `text` line; a label that names a control is shown as the control's name instead
  const TEXT_TAGS = new Set(['div', 'span', 'section', 'strong', 'em', 'b', 'i', 'u', 's', 'small', 'big', 'mark', 'code', 'kbd', 'samp', 'var', 'tt',
    'font', 'center', 'sub', 'sup', 'abbr', 'cite', 'q', 'time', 'del', 'ins', 'dfn', 'pre', 'blockquote', 'address', 'dt', 'dd', 'figcaption',
    'caption', 'summary', 'legend', 'output']);
  // a label tied to no control (no `for`, no field inside) that stands beside a form field: what a person reads as the field's label
  const strayLabel = el => el.tagName.toLowerCase() === 'label' && !el.control && !!el.parentElement
    && Array.from(el.parentElement.children).some(x => x !== el && x.matches('input:not([type=hidden]),select,textarea'));
  const INPUT_ROLES = {checkbox: 'checkbox', radio: 'radio', search: 'searchbox', number: 'spinbutton', submit: 'button', button: 'button'};
  let next = Number(document.documentElement.getAttribute('data-planact-next') || 1);
  const clip = s => { s = (s || '').replace(/\\s+/g, ' ').trim(); return s.length > maxText ? s.slice(0, maxText - 1) + '…' : s; };
  const hidden = el => { const st = getComputedStyle(el); return st.display === 'none' || st.visibility === 'hidden' || el.hidden || (el.type === 'hidden'); };
  const roleOf = el => {
    const explicit = el.getAttribute('role'); if (explicit) return explicit;
    const tag = el.tagName.toLowerCase();
    if (tag === 'input') return INPUT_ROLES[el.type] || 'textbox';
    if (tag === 'a' && !el.hasAttribute('href')) return null;
    if (el.isContentEditable && !(el.parentElement && el.parentElement.isContentEditable)) return 'textbox';  // an editor
    const known = INTERACTIVE[tag] || STRUCTURE[tag];
    if (known) return known;
    // an element styled to be clicked (a span or div with a click handler): its pointer starts with it
    const parent = el.parentElement;
    if (getComputedStyle(el).cursor === 'pointer' && !(parent && getComputedStyle(parent).cursor === 'pointer')) return 'clickable';
    return null;
  };
  const nameOf = (el, role) => {
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
    if (el.labels && el.labels.length) { const l = el.labels[0].cloneNode(true); l.querySelectorAll('input,select,textarea').forEach(x => x.remove()); return l.innerText; }
    if (role === 'img') return el.alt || '';
    if (['textbox', 'searchbox', 'spinbutton', 'combobox'].includes(role)) return el.getAttribute('placeholder') || '';
    if (['list', 'table', 'form', 'navigation', 'main', 'banner', 'contentinfo', 'group', 'row'].includes(role)) return '';
    if ((role === 'listitem' || role === 'cell') && el.querySelector('a,button,input,select,textarea')) return '';
    if (role === 'paragraph' && el.querySelector('a,button,input,select,textarea')) return Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join(' ');
    return el.innerText || el.value || '';
  };
  const actionable = new Set(['clickable', 'link', 'button', 'textbox', 'searchbox', 'spinbutton', 'checkbox', 'radio', 'combobox', 'option', 'menuitem', 'tab']);
  const lines = [];
  const walk = (el, depth) => {
    if (el.nodeType !== 1 || hidden(el)) return;
    const role = roleOf(el);
    let shown = depth;
    if (role) {
      let line = '  '.repeat(depth) + '- ' + role;
      const name = clip(nameOf(el, role));
      if (name) line += ' "' + name.replace(/"/g, "'") + '"';
      if (role === 'heading') line += ' [level=' + el.tagName[1] + ']';
      if (['textbox', 'searchbox', 'spinbutton'].includes(role) && el.value && el.type !== 'password') line += ' value="' + clip(el.value) + '"';
      if (role === 'combobox' && el.selectedOptions && el.selectedOptions[0]) line += ' value="' + clip(el.selectedOptions[0].text) + '"';
      if ((role === 'checkbox' || role === 'radio') && el.checked) line += ' [checked]';
      if (el.disabled) line += ' [disabled]';
      if (actionable.has(role)) {
        let ref = el.getAttribute(attr);
        if (!ref) { ref = 'e' + next++; el.setAttribute(attr, ref); }
        line += ' [ref=' + ref + ']';
      }
      lines.push(line);
      shown = depth + 1;
      if (['clickable', 'link', 'button', 'heading', 'option', 'columnheader'].includes(role) || (['listitem', 'cell', 'paragraph'].includes(role) && !el.querySelector('a,button,input,select,textarea'))) return;
      if (role === 'combobox') { for (const o of el.options) lines.push('  '.repeat(shown) + '- option "' + clip(o.text) + '"' + (o.selected ? ' [selected]' : '')); return; }
    } else if (el.childNodes.length && (TEXT_TAGS.has(el.tagName.toLowerCase()) || strayLabel(el))) {
      const own = Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join(' ');
      if (clip(own)) lines.push('  '.repeat(depth) + '- text "' + clip(own).replace(/"/g, "'") + '"');
    }
    for (const child of el.children) walk(child, shown);
  };
  walk(document.body, 0);
  document.documentElement.setAttribute('data-planact-next', String(next));
  return lines.join('\\n');
}
"""


@dataclass(frozen=True)
class Observation:
    """What a model sees of a page: its URL, title and accessibility-tree text."""

    url: str
    title: str
    tree: str

    def text(self) -> str:
        return f"URL: {self.url}\nTitle: {self.title}\n{self.tree}"

    def masked(self, secrets: Iterable[str] | Scrubber) -> Observation:
        """The observation with every secret value shown as ``***``, in any encoding (what a prompt may contain)."""
        scrub = secrets if isinstance(secrets, Scrubber) else Scrubber(secrets)
        return Observation(scrub.text(self.url), scrub.text(self.title), scrub.text(self.tree))


# structure that says nothing by itself: an unnamed one is left out and its children move up a level
_PLAIN_CONTAINERS = frozenset(
    {"cell", "list", "listitem", "table", "group", "form", "main", "banner", "contentinfo", "article"}
)
_LINE = re.compile(r"^( *)- (\S+)(.*)$")


def compact_tree(tree: str) -> str:
    """The tree without unnamed containers (a table's cells, a list's items, ...): their contents
    stay, one level up, in order (rows stay: they group a table's cells).  A calendar is its rows of links;
    what a model acts on and reads is all still there, and references are untouched."""
    out: list[str] = []
    kept: list[tuple[int, bool]] = []  # (depth in the walk, kept?) of the lines above this one
    for line in tree.splitlines():
        match = _LINE.match(line)
        if match is None:
            out.append(line)
            continue
        depth = len(match.group(1)) // 2
        while kept and kept[-1][0] >= depth:
            kept.pop()
        keep = not (match.group(2) in _PLAIN_CONTAINERS and not match.group(3).strip())
        if keep:
            shown = sum(1 for _, k in kept if k)
            out.append("  " * shown + "- " + match.group(2) + match.group(3))
        kept.append((depth, keep))
    return "\n".join(out)


async def observe(page: Any, max_text: int = 80) -> Observation:
    """The current page as an :class:`Observation` (assigns ``eN`` references as a side effect)."""
    tree = await page.evaluate(_WALK, [REF_ATTRIBUTE, max_text])
    return Observation(page.url, await page.title(), compact_tree(tree))
