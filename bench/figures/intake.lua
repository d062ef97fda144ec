-- wrk script of the "http" figure group (bench/figures/http.py).
--
--   wrk -t1 -c4 -d20s --latency -s intake.lua http://127.0.0.1:PORT/bench/floor/ -- floor
--   wrk -t1 -c4 -d20s --latency -s intake.lua http://127.0.0.1:PORT/complaints/new/ -- \
--       intake <csrftoken cookie value> <Content-Type> <file of request bodies, NUL-separated>
--
-- floor: plain GETs (no Lua per request); done() prints the summary.
-- intake: POSTs of the public complaint form, cycling through the bodies, each with the
-- csrftoken cookie the form page set (the bodies carry the matching csrfmiddlewaretoken).
-- Every response is classified: 302 to the confirmation page is accepted, anything else is
-- an error. done() prints one line, "BENCH-WRK {json}", that http.py reads.

local requests = {}
local next_index = 0

-- Per-thread globals, read by done() (which runs in wrk's main Lua state) through thread:get().
mode = "floor"
sent = 0
accepted = 0
redirect_elsewhere = 0
status_2xx = 0
status_4xx = 0
status_5xx = 0
status_other = 0

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   mode = args[1] or "floor"
   if mode ~= "intake" then
      -- No request()/response(): wrk sends its static request and calls no Lua per response.
      request = nil
      response = nil
      return
   end
   local cookie, content_type, path = args[2], args[3], args[4]
   local headers = {["Content-Type"] = content_type, ["Cookie"] = "csrftoken=" .. cookie}
   local file = assert(io.open(path, "rb"))
   local bodies = file:read("*a")
   file:close()
   local start = 1
   while start <= #bodies do
      local stop = string.find(bodies, "\0", start, true) or (#bodies + 1)
      if stop > start then
         table.insert(requests, wrk.format("POST", wrk.path, headers, string.sub(bodies, start, stop - 1)))
      end
      start = stop + 1
   end
   if #requests == 0 then
      error("no request bodies in " .. path)
   end
end

function request()
   next_index = next_index % #requests + 1
   sent = sent + 1
   return requests[next_index]
end

function response(status, headers, body)
   if status == 302 then
      local location = headers["Location"] or headers["location"] or ""
      if string.find(location, "/complaints/submitted/", 1, true) then
         accepted = accepted + 1
      else
         redirect_elsewhere = redirect_elsewhere + 1
      end
   elseif status >= 200 and status < 300 then
      status_2xx = status_2xx + 1
   elseif status >= 400 and status < 500 then
      status_4xx = status_4xx + 1
   elseif status >= 500 then
      status_5xx = status_5xx + 1
   else
      status_other = status_other + 1
   end
end

function done(summary, latency, requests)
   local counts = {
      sent = 0,
      accepted = 0,
      redirect_elsewhere = 0,
      status_2xx = 0,
      status_4xx = 0,
      status_5xx = 0,
      status_other = 0,
   }
   for _, thread in ipairs(threads) do
      for name, _ in pairs(counts) do
         counts[name] = counts[name] + (thread:get(name) or 0)
      end
   end
   local mode = "floor"
   for _, thread in ipairs(threads) do
      mode = thread:get("mode") or mode
   end
   local fields = {
      string.format('"mode": "%s"', mode),
      string.format('"duration_us": %d', summary.duration),
      string.format('"requests": %d', summary.requests),
      string.format('"bytes": %d', summary.bytes),
      string.format('"errors_connect": %d', summary.errors.connect),
      string.format('"errors_read": %d', summary.errors.read),
      string.format('"errors_write": %d', summary.errors.write),
      string.format('"errors_status": %d', summary.errors.status),
      string.format('"errors_timeout": %d', summary.errors.timeout),
      string.format('"latency_mean_us": %.1f', latency.mean),
      string.format('"latency_max_us": %d', latency.max),
      string.format('"p50_us": %d', latency:percentile(50)),
      string.format('"p90_us": %d', latency:percentile(90)),
      string.format('"p95_us": %d', latency:percentile(95)),
      string.format('"p99_us": %d', latency:percentile(99)),
   }
   for name, value in pairs(counts) do
      table.insert(fields, string.format('"%s": %d', name, value))
   end
   io.write("BENCH-WRK {" .. table.concat(fields, ", ") .. "}\n")
end
