"""``planact lsp``: the plan language in editors, over the Language Server Protocol (stdio).

Module map, in the order data flows:

* ``documents.py`` -- the text of an open document as the editor has it (unsaved edits
  included), with LSP's line and column units;
* ``index.py`` -- one linted version of a document: its plan, diagnostics, the
  definitions and references of its names (steps, inputs, loop variables, parameters,
  sites, procedures across ``use`` files and the stdlib) and, on demand, their types;
* ``hover.py``, ``completion.py``, ``fixes.py`` -- what the editor asks of an index;
* ``workspace.py`` -- the workspace's plan files that are not open, searched (within
  bounds) for the calls of a procedure;
* ``server.py`` -- the pygls server: document sync, debounced diagnostics in a worker
  thread, and the request handlers.

pygls and lsprotocol are optional (``pip install 'planact[lsp]'``); nothing here imports
them except ``server.py``.
"""

from __future__ import annotations

__all__ = ["serve"]


def serve() -> None:
    """Run the language server on standard input and output until the client exits."""
    from .server import serve as _serve

    _serve()
