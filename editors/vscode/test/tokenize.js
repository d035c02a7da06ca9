// Tokenises .net files with the TextMate engine VS Code uses (vscode-textmate + vscode-oniguruma) and
// prints, per file, every token as [line, column, text, scopes] in JSON, for tests/test_editor_grammar.py.
const fs = require("fs");
const path = require("path");
const oniguruma = require("vscode-oniguruma");
const vsctm = require("vscode-textmate");

async function main(files) {
  const wasm = fs.readFileSync(path.join(path.dirname(require.resolve("vscode-oniguruma")), "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () => vsctm.parseRawGrammar(
      fs.readFileSync(path.join(__dirname, "..", "syntaxes", "netdsl.tmLanguage.json"), "utf8"),
      "netdsl.tmLanguage.json"),
  });
  const grammar = await registry.loadGrammar("source.netdsl");
  const result = {};
  for (const file of files) {
    let state = vsctm.INITIAL;
    const tokens = [];
    fs.readFileSync(file, "utf8").split("\n").forEach((line, number) => {
      const lineTokens = grammar.tokenizeLine(line, state);
      for (const token of lineTokens.tokens) {
        const text = line.substring(token.startIndex, token.endIndex);
        if (text.trim()) tokens.push([number, token.startIndex, text, token.scopes]);
      }
      state = lineTokens.ruleStack;
    });
    result[file] = tokens;
  }
  process.stdout.write(JSON.stringify(result));
}

main(process.argv.slice(2)).catch((error) => { console.error(error); process.exit(1); });
