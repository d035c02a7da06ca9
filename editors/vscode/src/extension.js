// Starts `netdsl lsp` for .net files and passes the inlay-hint setting along.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("netdsl");
  const [command, ...args] = settings.get("command");
  client = new LanguageClient(
    "netdsl",
    "netdsl",
    { command, args },
    {
      documentSelector: [{ scheme: "file", language: "netdsl" }],
      initializationOptions: { inlayHints: settings.get("inlayHints") },
      synchronize: { configurationSection: "netdsl" },
    }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
