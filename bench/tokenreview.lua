-- bench/tokenreview.lua — wrk script: TokenReviews (v1, the API server's
-- exact bytes) rotating over the tokens in a file, one per line.
--
--   wrk -t2 -c16 -d10s --latency -s bench/tokenreview.lua \
--       https://HOST/authenticate/token -- TOKENS-FILE
--
-- Counts answers that are not "authenticated": true and prints them at
-- the end (a 200 with authenticated: false is still a failure here).

local bodies = {}
local n = 0
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	local file = assert(io.open(args[1], "r"))
	for token in file:lines() do
		bodies[#bodies + 1] = '{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1",' ..
			'"metadata":{},"spec":{"token":"' .. token .. '","audiences":' ..
			'["https://kubernetes.default.svc.cluster.local"]},"status":{"user":{}}}\n'
	end
	file:close()
	ntokens = #bodies
	-- Each thread starts elsewhere in the list.
	n = math.random(#bodies)
	failed = 0
end

function request()
	n = n + 1
	return wrk.format("POST", nil, {
		["Content-Type"] = "application/json",
		["Accept"] = "application/json, */*",
		["User-Agent"] = "Go-http-client/1.1",
	}, bodies[n % #bodies + 1])
end

function response(status, headers, body)
	if status ~= 200 or not body:find('"authenticated":true', 1, true) then
		failed = failed + 1
	end
end

function done(summary, latency, requests)
	local bad, tokens = 0, 0
	for _, t in ipairs(threads) do
		bad = bad + (t:get("failed") or 0)
		tokens = t:get("ntokens") or tokens
	end
	io.write(string.format("tokens: %d, not authenticated: %d\n", tokens, bad))
end
