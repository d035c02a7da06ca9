-- Neovim (0.7+) configuration for netdsl: .net files start `netdsl lsp` with the built-in LSP client.
-- Use it with `nvim -u editors/nvim/netdsl.lua`, or copy it into your init.lua.
vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, { pattern = "*.net", command = "set filetype=netdsl" })

vim.api.nvim_create_autocmd("FileType", {
  pattern = "netdsl",
  callback = function(args)
    -- One server for every .net buffer (0.8+ has vim.lsp.start, which does the same).
    vim.g.netdsl_client = vim.g.netdsl_client or vim.lsp.start_client({
      name = "netdsl",
      cmd = vim.g.netdsl_command or { "netdsl", "lsp" },
      root_dir = vim.fn.getcwd(),
      init_options = { inlayHints = true },
    })
    vim.lsp.buf_attach_client(args.buf, vim.g.netdsl_client)
    vim.bo[args.buf].commentstring = "# %s"
    vim.keymap.set("n", "K", vim.lsp.buf.hover, { buffer = args.buf })
    vim.keymap.set("n", "gd", vim.lsp.buf.definition, { buffer = args.buf })
    vim.keymap.set("n", "gr", vim.lsp.buf.references, { buffer = args.buf })
    vim.keymap.set("n", "<leader>a", vim.lsp.buf.code_action, { buffer = args.buf })
  end,
})
