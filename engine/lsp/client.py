"""A small synchronous LSP client of ``planact lsp``, for tests, benchmarks and scripted checks.

It starts the server as a subprocess (``python -m planact lsp``) and speaks to it over its
stdio pipes with pygls' :class:`~pygls.lsp.client.LanguageClient` -- the same JSON-RPC
messages an editor sends.  Each method runs the client's event loop until the answer
comes (or ``timeout`` seconds pass); diagnostics the server publishes are collected per
document with the time they arrived.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient


@dataclass
class Published:
    """One ``textDocument/publishDiagnostics`` notification, as received."""

    version: int | None
    diagnostics: list[lsp.Diagnostic]
    at: float  # time.perf_counter() when it arrived


class PlanClient:
    """Drive a ``planact lsp`` subprocess: open and change documents, ask, and wait for diagnostics.

    ``workspace`` is the folder the client names as its workspace at ``initialize`` (none by default).
    """

    def __init__(
        self,
        *,
        debounce_ms: float = 0,
        command: list[str] | None = None,
        timeout: float = 60,
        workspace: Path | None = None,
    ) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = LanguageClient("planact-client", "1")
        self.published: dict[str, list[Published]] = {}
        self.opened_at: dict[str, int] = {}
        self.messages: list[lsp.ShowMessageParams] = []
        self.timeout = timeout
        self.command = command or [sys.executable, "-m", "planact", "lsp"]
        self.debounce_ms = debounce_ms
        self.workspace = workspace
        self.capabilities: lsp.ServerCapabilities | None = None

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.published.setdefault(params.uri, []).append(
                Published(params.version, list(params.diagnostics), time.perf_counter())
            )

        @self.client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def _message(params: lsp.ShowMessageParams) -> None:
            self.messages.append(params)

    # ------------------------------------------------------------ lifecycle

    def run(self, awaitable: Any, timeout: float | None = None) -> Any:
        """Run the event loop until ``awaitable`` is done (TimeoutError past ``timeout`` seconds)."""
        return self.loop.run_until_complete(asyncio.wait_for(awaitable, timeout or self.timeout))

    def start(self) -> PlanClient:
        self.run(self.client.start_io(*self.command))
        root = self.workspace.resolve().as_uri() if self.workspace is not None else None
        folders = [lsp.WorkspaceFolder(uri=root, name=self.workspace.name)] if root and self.workspace else None
        result = self.run(
            self.client.initialize_async(
                lsp.InitializeParams(
                    capabilities=lsp.ClientCapabilities(
                        text_document=lsp.TextDocumentClientCapabilities(
                            hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
                            completion=lsp.CompletionClientCapabilities(
                                completion_item=lsp.ClientCompletionItemOptions(snippet_support=True)
                            ),
                        )
                    ),
                    initialization_options={"debounceMs": self.debounce_ms},
                    process_id=None,
                    root_uri=root,
                    workspace_folders=folders,
                )
            )
        )
        self.capabilities = result.capabilities
        self.client.initialized(lsp.InitializedParams())
        return self

    def stop(self) -> int | None:
        """Shut the server down politely; its exit status (None if it had to be killed)."""
        server = self.client._server
        try:
            if server is not None and server.returncode is None:
                self.run(self.client.shutdown_async(None), timeout=10)
                self.client.exit(None)
                self.run(server.wait(), timeout=10)
        except Exception:
            if server is not None and server.returncode is None:
                server.kill()
                self.run(server.wait(), timeout=10)
        try:
            self.run(self.client.stop(), timeout=10)
        except Exception:
            pass
        self.loop.close()
        return server.returncode if server is not None else None

    def __enter__(self) -> PlanClient:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def alive(self) -> bool:
        server = self.client._server
        return server is not None and server.returncode is None

    # ------------------------------------------------------------- documents

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.opened_at[uri] = len(self.published.get(uri, []))  # what an earlier opening published is not news
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                lsp.TextDocumentItem(uri=uri, language_id="planact", version=version, text=text)
            )
        )

    def change(self, uri: str, version: int, text: str, range: lsp.Range | None = None) -> None:
        """Send one change: ``text`` replaces ``range`` (the whole document when None)."""
        change: lsp.TextDocumentContentChangeEvent
        if range is None:
            change = lsp.TextDocumentContentChangeWholeDocument(text=text)
        else:
            change = lsp.TextDocumentContentChangePartial(range=range, text=text)
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), [change])
        )

    def save(self, uri: str) -> None:
        self.client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(uri=uri)))

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri=uri)))

    def diagnostics(
        self, uri: str, version: int | None = None, *, after: int | None = None, timeout: float | None = None
    ) -> list[lsp.Diagnostic]:
        """The diagnostics of ``uri`` once published (for ``version``, when given; skipping the first
        ``after`` notifications, by default those from before the document was last opened)."""
        return self.wait_published(uri, version, after=after, timeout=timeout).diagnostics

    def wait_until(
        self,
        uri: str,
        test: Callable[[list[lsp.Diagnostic]], bool],
        *,
        after: int | None = None,
        timeout: float | None = None,
    ) -> Published:
        """The first notification for ``uri`` (past the first ``after``, as in :meth:`diagnostics`) whose
        diagnostics pass ``test`` -- for a document linted again because a file it imports changed."""
        return self._first(uri, lambda p: test(p.diagnostics), after, timeout)

    def wait_published(
        self, uri: str, version: int | None = None, *, after: int | None = None, timeout: float | None = None
    ) -> Published:
        """The first notification for ``uri`` (for ``version``, when given) past the first ``after``."""
        return self._first(uri, lambda p: version is None or p.version == version, after, timeout)

    def _first(
        self, uri: str, wanted: Callable[[Published], bool], after: int | None, timeout: float | None
    ) -> Published:
        skip = self.opened_at.get(uri, 0) if after is None else after

        async def wait() -> Published:
            while True:
                for p in self.published.get(uri, [])[skip:]:
                    if wanted(p):
                        return p
                if not self.alive:
                    raise RuntimeError("the language server exited")
                await asyncio.sleep(0.002)

        return self.run(wait(), timeout)

    # --------------------------------------------------------------- requests

    @staticmethod
    def _doc(uri: str) -> lsp.TextDocumentIdentifier:
        return lsp.TextDocumentIdentifier(uri=uri)

    def hover(self, uri: str, line: int, character: int) -> lsp.Hover | None:
        return self.run(
            self.client.text_document_hover_async(lsp.HoverParams(self._doc(uri), lsp.Position(line, character)))
        )

    def definition(self, uri: str, line: int, character: int) -> Any:
        params = lsp.DefinitionParams(self._doc(uri), lsp.Position(line, character))
        return self.run(self.client.text_document_definition_async(params))

    def references(self, uri: str, line: int, character: int, declaration: bool = True) -> list[lsp.Location]:
        params = lsp.ReferenceParams(
            context=lsp.ReferenceContext(include_declaration=declaration),
            text_document=self._doc(uri),
            position=lsp.Position(line, character),
        )
        return self.run(self.client.text_document_references_async(params)) or []

    def completion(self, uri: str, line: int, character: int) -> list[lsp.CompletionItem]:
        params = lsp.CompletionParams(self._doc(uri), lsp.Position(line, character))
        result = self.run(self.client.text_document_completion_async(params))
        if result is None:
            return []
        return list(result.items if isinstance(result, lsp.CompletionList) else result)

    def formatting(self, uri: str) -> list[lsp.TextEdit] | None:
        params = lsp.DocumentFormattingParams(self._doc(uri), lsp.FormattingOptions(tab_size=4, insert_spaces=True))
        return self.run(self.client.text_document_formatting_async(params))

    def symbols(self, uri: str) -> list[Any]:
        params = lsp.DocumentSymbolParams(self._doc(uri))
        return self.run(self.client.text_document_document_symbol_async(params)) or []

    def code_actions(self, uri: str, range: lsp.Range, diagnostics: list[lsp.Diagnostic]) -> list[Any]:
        params = lsp.CodeActionParams(self._doc(uri), range, lsp.CodeActionContext(diagnostics=diagnostics))
        return self.run(self.client.text_document_code_action_async(params)) or []
