"""The pygls language server behind ``planact lsp``.

Documents are kept as the editor has them (:class:`~planact.lsp.documents.TextBuffer`,
unsaved edits included).  A change schedules a lint of the document after a short
debounce (``initializationOptions.debounceMs``, default 150); the lint runs in a worker
thread, so a slow one (a 10 MB file) never stops the server from answering, and one
lint per document runs at a time -- changes that come in meanwhile are linted together
afterwards.  Diagnostics are published with the version they are about.  Requests read
the latest snapshot of their document; one that does not parse is answered from the
latest version that did.

A ``use "lib.pa"`` import is read as the editor has it: the open document's buffer,
unsaved edits included, or the file on disk when it is not open.  Each snapshot records
the files its lint read (directly imported, or on the way of an import cycle check), so
when a document is opened, changed, saved or closed, the open documents that read it are
linted again; a lint whose text and sources are all unchanged is not run twice.

Find-references of a procedure looks in the open documents, then in the workspace's
plan files that are not open and, for a stdlib procedure, the stdlib (see
:mod:`~planact.lsp.workspace`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..check import all_rules
from ..lang.modules import read_from_disk
from ..syntax import ast
from ..syntax.diagnostics import Diagnostic, PlanError
from ..syntax.format import format_plan
from ..syntax.parser import parse
from .completion import complete
from .documents import TextBuffer
from .fixes import fixes_for
from .hover import hover_markdown
from .index import Key, Place, Snapshot, analyse
from .workspace import MAX_SECONDS, FileUses, plan_files, procedure_uses, stdlib_folder

log = logging.getLogger("planact.lsp")

DEFAULT_DEBOUNCE_S = 0.15
MAX_DIAGNOSTICS = 500  # per document: past that, one note says how many more `planact lint` shows
SYNC_LINT_LIMIT = 256 * 1024  # characters: a request on a newer text than linted re-lints it at once below this

_COMPLETION_KINDS = {
    "keyword": lsp.CompletionItemKind.Keyword,
    "action": lsp.CompletionItemKind.Function,
    "target": lsp.CompletionItemKind.EnumMember,
    "type": lsp.CompletionItemKind.TypeParameter,
    "variable": lsp.CompletionItemKind.Variable,
    "step": lsp.CompletionItemKind.Event,
    "site": lsp.CompletionItemKind.Constant,
    "procedure": lsp.CompletionItemKind.Method,
    "module": lsp.CompletionItemKind.Module,
    "snippet": lsp.CompletionItemKind.Snippet,
}
_ENCODINGS = {lsp.PositionEncodingKind.Utf8: "utf-8", lsp.PositionEncodingKind.Utf32: "utf-32"}


def rule_uri(code: str) -> str | None:
    """A link to the file that documents a code (its rule's docstring is the ``--explain`` text)."""
    rule = all_rules().get(code)
    try:
        return Path(inspect.getfile(rule)).resolve().as_uri() if rule else None
    except (TypeError, OSError):
        return None


class PlanServer(LanguageServer):
    """planact's language server: documents, snapshots and the debounced linter."""

    def __init__(self) -> None:
        super().__init__("planact", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.buffers: dict[str, TextBuffer] = {}
        self.files: dict[str, str] = {}  # the resolved path of each open document that is a file -> its URI
        self.snapshots: dict[str, Snapshot] = {}  # the latest linted version of each open document
        self.parsed: dict[str, Snapshot] = {}  # the latest version that parsed
        self.pending: dict[str, asyncio.Task] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self.debounce = DEFAULT_DEBOUNCE_S
        self.encoding = "utf-16"
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="planact-lint")

    # ------------------------------------------------------------ documents

    def path_of(self, uri: str) -> str | None:
        if not uri.startswith("file:"):
            return None
        try:
            return to_fs_path(uri)
        except Exception:  # an odd URI is a document without a file, not an error
            return None

    def resolved_path_of(self, uri: str) -> str | None:
        """The document's file as an import names it (resolved), or None."""
        path = self.path_of(uri)
        try:
            return str(Path(path).resolve()) if path else None
        except (OSError, RuntimeError):
            return None

    def read_source(self, path: Path) -> str:
        """The text of a plan file as the editor has it: its open buffer, else the file on disk.

        The linter's reader of imports (``path`` is resolved); called from the worker threads.
        """
        uri = self.files.get(str(path))
        buf = self.buffers.get(uri) if uri is not None else None
        return buf.text if buf is not None else read_from_disk(path)

    def sources_unchanged(self, snapshot: Snapshot) -> bool:
        """Whether every file the snapshot's lint read still reads the same."""
        for path, text in snapshot.sources.items():
            try:
                now: str | None = self.read_source(Path(path))
            except (OSError, UnicodeDecodeError):
                now = None
            if now != text:
                return False
        return True

    def schedule(self, uri: str, delay: float) -> None:
        """Lint ``uri`` after ``delay`` seconds, replacing a lint scheduled earlier that has not started."""
        task = self.pending.get(uri)
        if task is not None and not task.done() and getattr(task, "waiting", False):
            task.cancel()
        task = asyncio.get_running_loop().create_task(self._lint_later(uri, delay))
        task.waiting = True  # type: ignore[attr-defined]
        self.pending[uri] = task

    async def _lint_later(self, uri: str, delay: float) -> None:
        task = asyncio.current_task()
        if delay > 0:
            await asyncio.sleep(delay)
        lock = self.locks.setdefault(uri, asyncio.Lock())
        async with lock:
            if task is not None:
                task.waiting = False  # type: ignore[attr-defined]
            buf = self.buffers.get(uri)
            if buf is None:
                return
            current = self.snapshots.get(uri)
            version, text, lines = buf.version, buf.text, buf.lines
            loop = asyncio.get_running_loop()
            snapshot = await loop.run_in_executor(self.pool, self._relint, uri, version, text, lines, current)
            if uri not in self.buffers:
                return  # closed meanwhile
            if snapshot is not current:
                self.keep(snapshot)
            if self.buffers[uri].version == version:
                self.publish(snapshot)

    def _relint(self, uri: str, version: int, text: str, lines: list[str], current: Snapshot | None) -> Snapshot:
        """``current`` when it is of this text and its imports read the same; a new lint otherwise."""
        if current is not None and current.version == version and current.text == text:
            if self.sources_unchanged(current):
                return current
        return self._analyse(uri, version, text, lines)

    def _analyse(self, uri: str, version: int, text: str, lines: list[str]) -> Snapshot:
        try:
            return analyse(uri, version, text, lines, self.path_of(uri), self.read_source)
        except Exception as err:  # a bug of ours: say so in the editor, keep serving
            log.exception("linting %s failed", uri)
            d = Diagnostic(code="PA000", message=f"planact could not check this text: {type(err).__name__}: {err}")
            return Snapshot(uri, version, text, self.path_of(uri), lines, None, [d])

    def keep(self, snapshot: Snapshot) -> None:
        old = self.snapshots.get(snapshot.uri)
        if old is None or old.version <= snapshot.version:
            self.snapshots[snapshot.uri] = snapshot
            if snapshot.plan is not None:
                self.parsed[snapshot.uri] = snapshot

    def snapshot(self, uri: str) -> Snapshot | None:
        """The snapshot of the document's current text (linted now when it is small and the lint is late)."""
        buf = self.buffers.get(uri)
        snap = self.snapshots.get(uri)
        if buf is None:
            return snap
        if (snap is None or snap.version != buf.version) and len(buf.text) <= SYNC_LINT_LIMIT:
            snap = self._analyse(uri, buf.version, buf.text, buf.lines)
            self.keep(snap)
        return snap

    def indexed(self, uri: str) -> Snapshot | None:
        """The snapshot to answer a request about names from: the current one, or the latest that parsed."""
        snap = self.snapshot(uri)
        if snap is not None and snap.plan is not None:
            return snap
        return self.parsed.get(uri)

    # ------------------------------------------------------------ conversions

    def _view(self, lines: list[str]) -> TextBuffer:
        """A buffer over these lines, for position conversions only."""
        view = TextBuffer("", "", encoding=self.encoding)
        view._lines = lines or [""]
        return view

    def lsp_range(self, lines: list[str], span: ast.Span) -> lsp.Range:
        buf = self._view(lines)
        if not span:
            return lsp.Range(lsp.Position(0, 0), lsp.Position(*buf.position(1, len(lines[0]) + 1 if lines else 1)))
        start = buf.position(span.line, span.column)
        end_line = span.end_line or span.line
        end_col = span.end_column if span.end_line else span.column + 1
        end = buf.position(end_line, end_col)
        if end < start:
            end = start
        return lsp.Range(lsp.Position(*start), lsp.Position(*end))

    def span_position(self, uri: str, position: lsp.Position, lines: list[str] | None = None) -> tuple[int, int]:
        buf = self.buffers.get(uri)
        if lines is not None:
            return self._view(lines).span_position(position.line, position.character)
        if buf is None:
            return position.line + 1, position.character + 1
        return buf.span_position(position.line, position.character)

    def to_lsp_diagnostic(self, d: Diagnostic, lines: list[str]) -> lsp.Diagnostic:
        rule = all_rules().get(d.code)
        href = rule_uri(d.code)
        message = d.message + (f"\nhelp: {d.help}" if d.help else "")
        return lsp.Diagnostic(
            range=self.lsp_range(lines, d.span),
            message=message,
            severity=lsp.DiagnosticSeverity.Error if d.severity == "error" else lsp.DiagnosticSeverity.Warning,
            code=d.code,
            code_description=lsp.CodeDescription(href=href) if href else None,
            source="planact",
            data={"code": d.code, "help": d.help, "name": rule.name if rule else None},
        )

    def publish(self, snapshot: Snapshot) -> None:
        shown = snapshot.diagnostics[:MAX_DIAGNOSTICS]
        items = [self.to_lsp_diagnostic(d, snapshot.lines) for d in shown]
        if len(snapshot.diagnostics) > MAX_DIAGNOSTICS:
            more = len(snapshot.diagnostics) - MAX_DIAGNOSTICS
            items.append(
                lsp.Diagnostic(
                    range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
                    message=f"{more} more problems not shown here: run `planact lint` on the file",
                    severity=lsp.DiagnosticSeverity.Information,
                    source="planact",
                )
            )
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=snapshot.uri, diagnostics=items, version=snapshot.version)
        )

    def location(self, place: Place, uri: str, lines: list[str]) -> lsp.Location:
        """An LSP location of a place: in this document, or in the file it names (open or on disk)."""
        if place.path is None:
            return lsp.Location(uri=uri, range=self.lsp_range(lines, place.span))
        target = from_fs_path(place.path) or place.path
        other = self.buffers.get(target)
        if other is not None:
            target_lines = other.lines
        else:
            try:
                target_lines = TextBuffer(target, Path(place.path).read_text(encoding="utf-8")).lines
            except (OSError, UnicodeDecodeError):
                target_lines = [""]
        return lsp.Location(uri=target, range=self.lsp_range(target_lines, place.span))

    def dependents(self, path: str) -> list[str]:
        """The open documents whose latest lint read the file ``path`` (resolved): those that import
        it, directly or through other files."""
        return [uri for uri, snap in list(self.snapshots.items()) if uri in self.buffers and path in snap.sources]

    def relint_dependents(self, uri: str, delay: float) -> None:
        """Lint again, after ``delay``, the open documents that read the document ``uri``'s file."""
        path = self.resolved_path_of(uri)
        if path is not None:
            for other in self.dependents(path):
                if other != uri:
                    self.schedule(other, delay)

    def workspace_roots(self) -> list[Path]:
        """The folders of the workspace the client named (its folders, else its root)."""
        uris = [f.uri for f in self.workspace.folders.values()]
        paths = [self.path_of(u) for u in uris]
        if not uris and self.workspace.root_path:
            paths = [self.workspace.root_path]
        return [Path(p) for p in paths if p]


server = PlanServer()


@server.feature(lsp.INITIALIZE)
def initialize(ls: PlanServer, params: lsp.InitializeParams) -> None:
    options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
    debounce = options.get("debounceMs")
    if isinstance(debounce, (int, float)) and 0 <= debounce <= 10_000:
        ls.debounce = debounce / 1000
    ls.encoding = _ENCODINGS.get(ls.workspace.position_encoding, "utf-16")  # type: ignore[arg-type]


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: PlanServer, params: lsp.DidOpenTextDocumentParams) -> None:
    doc = params.text_document
    ls.buffers[doc.uri] = TextBuffer(doc.uri, doc.text, doc.version, ls.encoding)
    path = ls.resolved_path_of(doc.uri)
    if path is not None:
        ls.files[path] = doc.uri
    ls.schedule(doc.uri, 0)
    ls.relint_dependents(doc.uri, 0)  # its buffer now stands for the file (it may differ from the disk)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: PlanServer, params: lsp.DidChangeTextDocumentParams) -> None:
    doc = params.text_document
    buf = ls.buffers.get(doc.uri)
    if buf is None:
        return
    for change in params.content_changes:
        if isinstance(change, lsp.TextDocumentContentChangePartial):
            start, end = change.range.start, change.range.end
            buf.edit((start.line, start.character), (end.line, end.character), change.text, doc.version)
        else:
            buf.replace(change.text, doc.version)
    buf.version = doc.version
    ls.schedule(doc.uri, ls.debounce)
    ls.relint_dependents(doc.uri, ls.debounce)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: PlanServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls.relint_dependents(params.text_document.uri, 0)  # linted again only where what they read changed


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
async def did_close(ls: PlanServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.buffers.pop(uri, None)
    path = ls.resolved_path_of(uri)
    if path is not None and ls.files.get(path) == uri:
        del ls.files[path]
    ls.snapshots.pop(uri, None)
    ls.parsed.pop(uri, None)
    task = ls.pending.pop(uri, None)
    if task is not None and getattr(task, "waiting", False):
        task.cancel()
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    ls.relint_dependents(uri, 0)  # the file on disk stands for it again


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: PlanServer, params: lsp.HoverParams) -> lsp.Hover | None:
    uri = params.text_document.uri
    current = ls.snapshot(uri)
    snap = ls.indexed(uri)
    if current is None:
        return None
    line, column = ls.span_position(uri, params.position, current.lines)
    index = snap.index if snap is not None and _same_line(snap, current, line) else None
    analysis = snap.analysis if index is not None and snap is not None else None
    found = hover_markdown(index, analysis, current.diagnostics, current.lines, line, column)
    if found is None:
        return None
    text, span = found
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
        range=ls.lsp_range(current.lines, span) if span else None,
    )


def _same_line(parsed: Snapshot, current: Snapshot | None, line: int) -> bool:
    """Whether a line reads the same in the version that parsed as in the current one (so that the
    names found in the first can answer for the second)."""
    if current is None or parsed.text == current.text:
        return True
    return 0 < line <= min(len(parsed.lines), len(current.lines)) and parsed.lines[line - 1] == current.lines[line - 1]


def _key_at(ls: PlanServer, uri: str, position: lsp.Position) -> tuple[Snapshot, Key] | None:
    snap = ls.indexed(uri)
    if snap is None or snap.index is None:
        return None
    line, column = ls.span_position(uri, position, snap.lines)
    if not _same_line(snap, ls.snapshots.get(uri), line):
        return None
    key = snap.index.resolve(line, column)
    return (snap, key) if key else None


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: PlanServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    found = _key_at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    snap, key = found
    sym = snap.index.symbols.get(key) if snap.index else None
    if sym is None or sym.place is None:
        return None
    return ls.location(sym.place, snap.uri, snap.lines)


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
async def references(ls: PlanServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
    found = _key_at(ls, params.text_document.uri, params.position)
    if found is None:
        return []
    snap, key = found
    include = params.context.include_declaration
    out: list[lsp.Location] = []
    # a procedure, site-wide names of another file: every open document that reaches the same definition
    uris = [snap.uri] + ([u for u in ls.buffers if u != snap.uri] if key[0] == "procedure" else [])
    for uri in uris:
        other = snap if uri == snap.uri else ls.indexed(uri)
        if other is None or other.index is None:
            continue
        for o in other.index.references(key):
            if include or not o.definition:
                out.append(lsp.Location(uri=uri, range=ls.lsp_range(other.lines, o.span)))
    sym = snap.index.symbols.get(key) if snap.index else None
    if include and sym is not None and sym.place is not None and sym.place.path is not None:
        out.insert(0, ls.location(sym.place, snap.uri, snap.lines))  # defined in another file
    if key[0] == "procedure":
        loop = asyncio.get_running_loop()
        roots, skip = ls.workspace_roots(), set(ls.files)  # read here: the worker must not see them change
        for uses in await loop.run_in_executor(ls.pool, _unopened_uses, ls, key, roots, skip):
            target = from_fs_path(uses.path) or uses.path
            for o in uses.occurrences:
                if include or not o.definition:
                    out.append(lsp.Location(uri=target, range=ls.lsp_range(uses.lines, o.span)))
    unique: dict[tuple, lsp.Location] = {}
    for loc in out:
        start, end = loc.range.start, loc.range.end
        unique.setdefault((loc.uri, start.line, start.character, end.line, end.character), loc)
    return list(unique.values())


def _unopened_uses(ls: PlanServer, key: Key, roots: list[Path], skip: set[str]) -> list[FileUses]:
    """The uses of a procedure in the plan files under ``roots`` that are not open (``skip``), and in
    the stdlib for one of its procedures; run in a worker thread, within the walk's bounds."""
    stdlib = stdlib_folder()
    if Path(key[2]).parent == stdlib:
        roots = [*roots, stdlib]
    deadline = time.monotonic() + MAX_SECONDS
    files = plan_files(roots, deadline=deadline)
    return procedure_uses(key, files, read=ls.read_source, skip=skip, deadline=deadline)


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[" ", "{", ",", "(", ":"]))
def completion(ls: PlanServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    uri = params.text_document.uri
    buf = ls.buffers.get(uri)
    if buf is None:
        return lsp.CompletionList(is_incomplete=False, items=[])
    line, column = buf.span_position(params.position.line, params.position.character)
    snap = ls.parsed.get(uri) or ls.indexed(uri)
    index = snap.index if snap is not None else None
    path = ls.path_of(uri)
    items = complete(index, buf.line(line - 1), line, column, Path(path).parent if path else None)
    return lsp.CompletionList(
        is_incomplete=False,
        items=[
            lsp.CompletionItem(
                label=i.label,
                kind=_COMPLETION_KINDS.get(i.kind, lsp.CompletionItemKind.Text),
                detail=i.detail or None,
                documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=i.documentation)
                if i.documentation
                else None,
                insert_text=i.insert,
                insert_text_format=lsp.InsertTextFormat.Snippet if i.snippet else lsp.InsertTextFormat.PlainText,
            )
            for i in items
        ],
    )


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: PlanServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
    uri = params.text_document.uri
    buf = ls.buffers.get(uri)
    if buf is None:
        return None
    try:
        plan = parse(buf.text)
        text = format_plan(plan)
        if parse(text) != plan:  # the printer must never change what the plan means (nor drop a comment)
            raise PlanError([Diagnostic(code="PA000", message="the canonical form would change the plan")])
    except PlanError as err:
        d = err.diagnostics[0]
        ls.window_show_message(
            lsp.ShowMessageParams(
                type=lsp.MessageType.Warning,
                message=f"planact: not formatted: {d.span.line}:{d.span.column}: {d.code} {d.message}",
            )
        )
        return None
    if text == buf.text:
        return []
    return [lsp.TextEdit(range=lsp.Range(lsp.Position(0, 0), lsp.Position(*buf.end_position())), new_text=text)]


_SYMBOL_KINDS = {
    "step": lsp.SymbolKind.Event,
    "input": lsp.SymbolKind.Variable,
    "site": lsp.SymbolKind.Constant,
    "procedure": lsp.SymbolKind.Function,
}


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(ls: PlanServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    snap = ls.indexed(params.text_document.uri)
    if snap is None or snap.plan is None:
        return []
    plan = snap.plan
    out = []
    groups: list[tuple[str, tuple, str]] = [
        ("site", plan.sites, "name"),
        ("input", plan.inputs, "name"),
        ("procedure", plan.defines, "name"),
        ("step", plan.steps, "id"),
    ]
    for kind, nodes, attr in groups:
        for node in nodes:
            ident = getattr(node, attr)
            intent = getattr(node, "intent", None)
            detail = intent.text if intent is not None else kind
            whole = node.span.cover(ident.span)
            out.append(
                lsp.DocumentSymbol(
                    name=ident.name,
                    detail=detail,
                    kind=_SYMBOL_KINDS[kind],
                    range=ls.lsp_range(snap.lines, whole),
                    selection_range=ls.lsp_range(snap.lines, ident.span),
                )
            )
    return out


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
def code_actions(ls: PlanServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    snap = ls.snapshot(uri)
    if snap is None:
        return []
    first, last = params.range.start.line + 1, params.range.end.line + 1
    wanted = [d for d in snap.diagnostics if first <= (d.span.line or 1) <= last]
    actions = []
    for fix in fixes_for(wanted, snap.lines):
        edits = [lsp.TextEdit(range=ls.lsp_range(snap.lines, span), new_text=text) for span, text in fix.edits]
        actions.append(
            lsp.CodeAction(
                title=fix.title,
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[ls.to_lsp_diagnostic(fix.diagnostic, snap.lines)],
                edit=lsp.WorkspaceEdit(changes={uri: edits}),
                is_preferred=fix.preferred or None,
            )
        )
    return actions


def serve() -> None:
    """Serve LSP on stdin/stdout (logs go to stderr)."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="planact lsp: %(levelname)s %(message)s")
    server.start_io()
