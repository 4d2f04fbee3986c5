-- bench/wrk.lua — the wrk script of every bench/run.sh target.
--
--   wrk ... -s bench/wrk.lua URL -- MODE [ARGS...]
--
-- MODE:
--   get                     GET URL (x-auth-token from $BENCH_ADMIN_TOKEN
--                           when set)
--   tokenreview FILE EXPECT v1 TokenReviews (the API server's bytes)
--                           rotating over the tokens in FILE; an answer
--                           whose "authenticated" is not EXPECT (true or
--                           false) counts as bad
--   sar                     v1 SubjectAccessReviews rotating over users,
--                           groups, verbs, resources and namespaces (the
--                           rules bench/run.sh loads)
--   post FILE               POST the lines of FILE in turn (admin token
--                           from $BENCH_ADMIN_TOKEN)
--
-- done() prints one line for bench/run.sh:
--   BENCH requests=N seconds=S rps=R p50=US p99=US p999=US errors=E bad=B
-- (errors: socket errors and non-2xx answers; latencies in microseconds).

local threads = {}
local counter = 0

function setup(thread)
	counter = counter + 1
	thread:set("tid", counter)
	table.insert(threads, thread)
end

local mode, bodies, expect, n = nil, {}, nil, 0
local headers = {
	["Content-Type"] = "application/json",
	["Accept"] = "application/json, */*",
	["User-Agent"] = "Go-http-client/1.1",
}
local admin = os.getenv("BENCH_ADMIN_TOKEN")

local function lines(path)
	local out = {}
	for line in assert(io.open(path, "r")):lines() do
		if line ~= "" then out[#out + 1] = line end
	end
	return out
end

local function sar_bodies()
	local verbs = { "get", "list", "watch", "create", "update", "patch", "delete" }
	local resources = { "pods", "deployments", "services", "configmaps", "secrets",
		"jobs", "pods/log", "pods/exec", "deployments/scale", "nodes" }
	local groups_of = { "", "apps", "", "", "", "batch", "", "", "apps", "" }
	local out = {}
	for i = 0, 999 do
		local r = (i * 7) % #resources + 1
		local ns = (resources[r] == "nodes") and "" or ("team-" .. (i % 20))
		local attrs = string.format(
			'"resourceAttributes":{"namespace":"%s","verb":"%s","group":"%s",' ..
			'"version":"v1","resource":"%s","name":"obj-%d"}',
			ns, verbs[i % #verbs + 1], groups_of[r],
			resources[r]:gsub("/.*", ""), i % 50)
		local sub = resources[r]:match("/(.*)")
		if sub then
			attrs = attrs:gsub('"name"', '"subresource":"' .. sub .. '","name"')
		end
		out[#out + 1] = string.format(
			'{"kind":"SubjectAccessReview","apiVersion":"authorization.k8s.io/v1",' ..
			'"metadata":{},"spec":{%s,"user":"user-%d","groups":["group-%d",' ..
			'"system:authenticated"]},"status":{"allowed":false}}\n',
			attrs, i % 200, i % 50)
	end
	return out
end

function init(args)
	mode = args[1] or "get"
	bad = 0
	if mode == "tokenreview" then
		expect = '"authenticated":' .. (args[3] or "true")
		for _, token in ipairs(lines(args[2])) do
			bodies[#bodies + 1] = '{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1",' ..
				'"metadata":{},"spec":{"token":"' .. token .. '","audiences":' ..
				'["https://kubernetes.default.svc.cluster.local"]},"status":{"user":{}}}\n'
		end
	elseif mode == "sar" then
		bodies = sar_bodies()
	elseif mode == "post" then
		bodies = lines(args[2])
	end
	if admin ~= nil and admin ~= "" then
		headers["x-auth-token"] = admin
	end
	-- Each thread starts elsewhere in the list.
	n = #bodies > 0 and math.floor(#bodies * (tid or 1) / 7) or 0
end

function request()
	if mode == "get" then
		return wrk.format("GET", nil, headers)
	end
	n = n + 1
	return wrk.format("POST", nil, headers, bodies[n % #bodies + 1])
end

function response(status, hdrs, body)
	if expect ~= nil and status == 200 and not body:find(expect, 1, true) then
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	local b = 0
	for _, t in ipairs(threads) do b = b + (t:get("bad") or 0) end
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format("BENCH requests=%d seconds=%.2f rps=%.1f p50=%d p99=%d " ..
		"p999=%d errors=%d bad=%d\n", summary.requests, secs, summary.requests / secs,
		latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
		e.connect + e.read + e.write + e.status + e.timeout, b))
end
