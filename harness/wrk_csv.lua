-- wrk_csv.lua: make wrk print the suite's runs.csv header and one row.
--
--   wrk -s harness/wrk_csv.lua -c 100 -t 1 -d 10 http://127.0.0.1:8080/
--
-- After wrk's own summary, stdout gets the header line (it starts with
-- "experiment,") and one row with the columns a client knows: proto, conns,
-- rate_rps (0: wrk is a closed loop), keepalive, duration_s, requests, bytes,
-- rps, latency percentiles in microseconds, errors by kind, client=wrk and
-- started_utc.  The rest stay empty for the runner.  As in bin/loadgen,
-- `requests` counts 2xx/3xx responses only (wrk's total minus its non-2xx/3xx
-- count, which goes to err_status); wrk has no "invalid" kind, so err_invalid
-- is 0 (wrk counts a malformed response as a read error); cli_cpu_pct is empty,
-- and so are conns_served and fairness_jain (wrk does not count per connection).
-- wrk does not pass -c to scripts, so conns and keep-alive are read from
-- /proc/self/cmdline (Linux).

local started_utc = os.date("!%Y-%m-%dT%H:%M:%SZ")

local columns = {
   "experiment", "model", "variant", "proto", "workload", "conns", "rate_rps", "keepalive",
   "server_cpus", "client_cpus", "rep", "duration_s", "requests", "bytes", "rps",
   "lat_p50_us", "lat_p90_us", "lat_p99_us", "lat_p999_us", "lat_max_us",
   "err_connect", "err_read", "err_write", "err_timeout", "err_status", "err_invalid",
   "srv_user_s", "srv_sys_s", "srv_cpu_pct", "srv_ctxsw_vol", "srv_ctxsw_invol", "srv_rss_kb",
   "srv_threads", "srv_procs", "cli_cpu_pct", "client_bound", "client", "started_utc",
   "conns_served", "fairness_jain", "srv_cpu_us_per_req", "slow_conns", "pipeline",
}

-- wrk's own command line, as a list of arguments.
local function cmdline_args()
   local f = io.open("/proc/self/cmdline", "rb")
   if not f then return {} end
   local raw = f:read("*a")
   f:close()
   local args = {}
   for a in raw:gmatch("([^%z]*)%z") do args[#args + 1] = a end
   return args
end

-- wrk's metric suffixes: 1k = 1000, 1M = 1000000.
local function parse_count(s)
   local n, unit = s:match("^(%d+%.?%d*)([kKmMgG]?)$")
   if not n then return nil end
   local scale = ({[""] = 1, k = 1e3, K = 1e3, m = 1e6, M = 1e6, g = 1e9, G = 1e9})[unit]
   return tonumber(n) * scale
end

local function cmdline_options()
   local args, conns, keepalive = cmdline_args(), 10, 1
   for i, a in ipairs(args) do
      local v = a:match("^%-c(.+)$") or a:match("^%-%-connections=(.+)$")
      if (a == "-c" or a == "--connections") and args[i + 1] then v = args[i + 1] end
      if v and parse_count(v) then conns = parse_count(v) end
      local h = a:match("^%-H(.+)$")
      if (a == "-H" or a == "--header") and args[i + 1] then h = args[i + 1] end
      if h and h:lower():match("^%s*connection:%s*close") then keepalive = 0 end
   end
   return conns, keepalive
end

local function num(v)
   return string.format("%.0f", v)
end

function done(summary, latency, requests)
   local conns, keepalive = cmdline_options()
   local secs = summary.duration / 1e6
   local good = summary.requests - summary.errors.status
   local cell = {
      proto = "http", conns = num(conns), rate_rps = "0", keepalive = tostring(keepalive),
      duration_s = string.format("%.3f", secs), requests = num(good), bytes = num(summary.bytes),
      rps = string.format("%.1f", secs > 0 and good / secs or 0),
      err_connect = num(summary.errors.connect), err_read = num(summary.errors.read),
      err_write = num(summary.errors.write), err_timeout = num(summary.errors.timeout),
      err_status = num(summary.errors.status), err_invalid = "0",
      client = "wrk", started_utc = started_utc, slow_conns = "0", pipeline = "1",
   }
   if good > 0 then
      cell.lat_p50_us = num(latency:percentile(50))
      cell.lat_p90_us = num(latency:percentile(90))
      cell.lat_p99_us = num(latency:percentile(99))
      cell.lat_p999_us = num(latency:percentile(99.9))
      cell.lat_max_us = num(latency.max)
   end
   local row = {}
   for i, name in ipairs(columns) do row[i] = cell[name] or "" end
   io.write(table.concat(columns, ","), "\n", table.concat(row, ","), "\n")
end
