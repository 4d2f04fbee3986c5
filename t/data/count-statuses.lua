-- wrk script for the fault tests: POSTs the file named by the first
-- argument, counts answers by status and the answers that authenticated
-- someone, and prints the totals over every thread at the end.
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	local f = assert(io.open(args[1], "rb"))
	wrk.method = "POST"
	wrk.body = f:read("*a")
	wrk.headers["Content-Type"] = "application/json"
	f:close()
	counts = {}
	authenticated = 0
end

function response(status, headers, body)
	counts[status] = (counts[status] or 0) + 1
	if string.find(body, '"authenticated":true', 1, true) then
		authenticated = authenticated + 1
	end
end

function done(summary, latency, requests)
	local total, auth = {}, 0
	for _, t in ipairs(threads) do
		for k, v in pairs(t:get("counts")) do
			total[k] = (total[k] or 0) + v
		end
		auth = auth + t:get("authenticated")
	end
	for k, v in pairs(total) do
		io.write(string.format("status %d %d\n", k, v))
	end
	io.write(string.format("authenticated %d\n", auth))
	io.write(string.format("timeouts %d\n", summary.errors.timeout))
	io.write(string.format("errors %d\n", summary.errors.connect + summary.errors.read +
		summary.errors.write + summary.errors.status))
	io.write(string.format("p99_ms %.1f\n", latency:percentile(99) / 1000))
end
