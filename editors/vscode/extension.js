// The planact extension: starts `planact lsp` (the command is a setting) and hands `.pa` files to it.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("planact");
  const [command, ...args] = config.get("server.command", ["planact", "lsp"]);
  const serverOptions = {
    run: { command, args, transport: TransportKind.stdio },
    debug: { command, args, transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "planact" },
      { scheme: "untitled", language: "planact" },
    ],
    initializationOptions: { debounceMs: config.get("server.debounceMs", 150) },
  };
  client = new LanguageClient("planact", "planact language server", serverOptions, clientOptions);
  client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `planact: could not start \`${[command, ...args].join(" ")}\` (${err.message}). ` +
        "Install it with `pip install 'planact[lsp]'`, or set planact.server.command."
    );
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
