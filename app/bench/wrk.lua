-- Sends the requests listed in $BENCH_REQUESTS (method TAB path TAB body, one a line) round-robin,
-- with "Authorization: Token $BENCH_TOKEN" when set, and writes a JSON summary to $BENCH_RESULT.
local prepared = {}
local index = 0

function init(args)
  local token = os.getenv("BENCH_TOKEN") or ""
  local file = assert(io.open(os.getenv("BENCH_REQUESTS"), "r"))
  for line in file:lines() do
    local method, path, body = line:match("^([^\t]+)\t([^\t]+)\t?(.*)$")
    local headers = { ["Accept"] = "application/json" }
    if token ~= "" then headers["Authorization"] = "Token " .. token end
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/json"
    end
    prepared[#prepared + 1] = wrk.format(method, path, headers, body)
  end
  file:close()
end

function request()
  index = index % #prepared + 1
  return prepared[index]
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
