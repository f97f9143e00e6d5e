// Tokenize plan files with the extension's TextMate grammar, as VS Code does (vscode-textmate on the
// oniguruma regex engine), and print one JSON object per file: every token with its text and scopes.
// Usage: node tokenize.js GRAMMAR FILE... (the files' text is read as UTF-8).
"use strict";

const fs = require("fs");
const path = require("path");
const textmate = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

async function main() {
  const [grammarPath, ...files] = process.argv.slice(2);
  const wasm = fs.readFileSync(path.join(require.resolve("vscode-oniguruma"), "..", "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async () => textmate.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath),
  });
  const grammar = await registry.loadGrammar("source.planact");
  for (const file of files) {
    const lines = fs.readFileSync(file, "utf8").split(/\r\n|\r|\n/);
    let state = textmate.INITIAL;
    const tokens = [];
    lines.forEach((line, index) => {
      const result = grammar.tokenizeLine(line, state);
      for (const t of result.tokens) {
        tokens.push({ line: index + 1, column: t.startIndex + 1, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
      }
      state = result.ruleStack;
    });
    process.stdout.write(JSON.stringify({ file, tokens }) + "\n");
  }
}

main().catch((err) => {
  process.stderr.write(`tokenize.js: ${err.stack || err}\n`);
  process.exit(2);
});
