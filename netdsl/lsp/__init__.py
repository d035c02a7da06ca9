"""The language server (`netdsl lsp`): diagnostics, hover, inlay hints, navigation, completion,
fixes and formatting for editors. Imported only by `netdsl lsp`, so that `netdsl check` stays fast."""
