-- Run inside headless Neovim with editors/nvim/netdsl.lua: wait for the server's diagnostics, ask for a
-- hover on the first conv2d (line 5), write both to $NETDSL_NVIM_OUT, quit.
local results = {}
local buf = vim.api.nvim_get_current_buf()
vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 100)
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local first = d.message:gsub("\n.*", "")
  table.insert(results, string.format("diagnostic %d:%d %s %s", d.lnum + 1, d.col + 1, d.code or "", first))
end
vim.api.nvim_win_set_cursor(0, { 5, 10 })
local hover = vim.lsp.buf_request_sync(buf, "textDocument/hover", vim.lsp.util.make_position_params(), 10000)
for _, response in pairs(hover or {}) do
  if response.result then
    table.insert(results, "hover " .. response.result.contents.value:gsub("\n", " | "))
  end
end
vim.fn.writefile(results, vim.env.NETDSL_NVIM_OUT)
vim.cmd("qall!")
