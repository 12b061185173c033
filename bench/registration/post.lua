-- wrk script: POST a valid student pass with an email unique per thread and request.
-- args: <run-tag> <edition-id>. Prints one line "BENCHJSON {...}" when done.
local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   tag, edition = args[1], args[2]
   counter, non2xx = 0, 0
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   counter = counter + 1
   local body = string.format(
      '{"offer":"student_pass","edition_id":"%s",' ..
      '"contact":{"name":"Bench Student","email":"b.%s.%d.%d@example.fr"},' ..
      '"student":{"school":"enscm","programme":"Chimie","year":2},"data_consent":true}',
      edition, tag, tid, counter)
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
   local bad = 0
   for _, thread in ipairs(threads) do bad = bad + thread:get("non2xx") end
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests":%d,"duration_us":%d,"non2xx":%d,' ..
      '"socket_errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
      summary.requests, summary.duration, bad,
      e.connect + e.read + e.write + e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
