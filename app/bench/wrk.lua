-- Sends the requests listed in $BENCH_REQUESTS (method TAB path TAB body TAB token, one a line)
-- round-robin, with "Authorization: Token <token>" (the line's own, else $BENCH_TOKEN when set), and
-- writes a JSON summary to $BENCH_RESULT. "@UNIQUE@" in a path or body becomes a value no other
-- request of the run has ($BENCH_NONCE, the thread, a counter): such requests are formatted as sent.
local prepared = {}
local index = 0
local sent = 0
local marker = "@UNIQUE@"
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  local default_token = os.getenv("BENCH_TOKEN") or ""
  local file = assert(io.open(os.getenv("BENCH_REQUESTS"), "r"))
  for line in file:lines() do
    local method, path, body, token = line:match("^([^\t]+)\t([^\t]*)\t([^\t]*)\t?([^\t]*)$")
    local headers = { ["Accept"] = "application/json" }
    if token == nil or token == "" then token = default_token end
    if token ~= "" then headers["Authorization"] = "Token " .. token end
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/json"
    end
    if path:find(marker, 1, true) or (body and body:find(marker, 1, true)) then
      prepared[#prepared + 1] = { method = method, path = path, headers = headers, body = body }
    else
      prepared[#prepared + 1] = wrk.format(method, path, headers, body)
    end
  end
  file:close()
  prefix = (os.getenv("BENCH_NONCE") or "") .. (thread_id or 1) .. "x"
end

local function unique(text)
  if text == nil then return nil end
  return (text:gsub(marker, prefix .. sent))
end

function request()
  index = index % #prepared + 1
  local chosen = prepared[index]
  if type(chosen) == "string" then return chosen end
  sent = sent + 1
  return wrk.format(chosen.method, unique(chosen.path), chosen.headers, unique(chosen.body))
end

function done(summary, latency, requests)
  local errors = summary.errors
  local file = assert(io.open(os.getenv("BENCH_RESULT"), "w"))
  file:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}',
    summary.requests, summary.duration, summary.bytes, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max
  ))
  file:close()
end
