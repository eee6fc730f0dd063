-- A minimal Neovim configuration for the headless test (test_neovim.py):
-- start `prebake lsp` on the buffer, wait for its diagnostics, then edit the
-- buffer as a user would and record what Neovim received after each step.
--
-- Environment: PREBAKE_BIN (the server binary), PREBAKE_NVIM_OUT (where the
-- JSON record goes), PREBAKE_FIXED_LINE and PREBAKE_TYPO_LINE (the handler's
-- `def` line, correct and with a wrong parameter name), PREBAKE_DEF_LNUM
-- (its 0-based line number).

local bin = os.getenv("PREBAKE_BIN")
local out = os.getenv("PREBAKE_NVIM_OUT")
local fixed_line = os.getenv("PREBAKE_FIXED_LINE")
local typo_line = os.getenv("PREBAKE_TYPO_LINE")
local def_lnum = tonumber(os.getenv("PREBAKE_DEF_LNUM"))

-- Every publishDiagnostics, counted, so a step can wait for the next one.
local published = 0
local default_handler = vim.lsp.handlers["textDocument/publishDiagnostics"]
vim.lsp.handlers["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
  default_handler(err, result, ctx, config)
  published = published + 1
end

local function start(buf)
  local config = {
    name = "prebake",
    cmd = { bin, "lsp" },
    root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ":p:h"),
    flags = { debounce_text_changes = 20 },
  }
  if vim.lsp.start then
    -- Neovim 0.8 and later.
    return vim.lsp.start(config)
  end
  -- Neovim 0.7 (Debian 12) has only the lower-level calls.
  local id = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(buf, id)
  return id
end

local function snapshot(buf)
  local items = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(items, {
      lnum = d.lnum,
      col = d.col,
      end_col = d.end_col,
      code = d.code,
      severity = d.severity,
      source = d.source,
      message = d.message,
    })
  end
  return items
end

-- Waits for the next publication after `since`, then returns the buffer's
-- diagnostics: exactly what one re-analysis delivered.
local function after_next_publish(buf, since, what)
  local ok = vim.wait(20000, function() return published > since end, 10)
  if not ok then
    error("no diagnostics published " .. what)
  end
  return snapshot(buf)
end

local function run()
  local buf = vim.api.nvim_get_current_buf()
  local record = {}
  start(buf)
  -- The faulty app as opened.
  if not vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 10) then
    error("no diagnostics after opening")
  end
  record.opened = snapshot(buf)

  -- Fix the parameter name: the error goes away.
  local before = published
  vim.api.nvim_buf_set_lines(buf, def_lnum, def_lnum + 1, false, { fixed_line })
  record.fixed = after_next_publish(buf, before, "after the fix")

  -- Type a wrong parameter name: the error is back on the next publication.
  before = published
  local t0 = vim.loop.hrtime()
  vim.api.nvim_buf_set_lines(buf, def_lnum, def_lnum + 1, false, { typo_line })
  record.typed = after_next_publish(buf, before, "after the typo")
  record.typed_ms = (vim.loop.hrtime() - t0) / 1e6

  vim.fn.writefile({ vim.fn.json_encode(record) }, out)
end

function PrebakeRun()
  local ok, err = pcall(run)
  if not ok then
    vim.fn.writefile({ vim.fn.json_encode({ error = tostring(err) }) }, out)
    vim.cmd("cquit 1")
  end
  vim.cmd("qall!")
end

vim.cmd("autocmd VimEnter * lua PrebakeRun()")
