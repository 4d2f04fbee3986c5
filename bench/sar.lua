-- bench/sar.lua — wrk script: SubjectAccessReviews (v1), rotating users,
-- groups, verbs, resources and namespaces, as bench/authz.sh's rules
-- expect (some allowed, some denied, most no opinion).
--
--   wrk -t2 -c16 -d10s --latency -s bench/sar.lua https://HOST/authorize/prod

local verbs = { "get", "list", "watch", "create", "update", "patch", "delete" }
local resources = { "pods", "deployments", "services", "configmaps", "secrets",
	"jobs", "pods/log", "pods/exec", "deployments/scale", "nodes" }
local groups_of = { "", "apps", "", "", "", "batch", "", "", "apps", "" }

local bodies = {}
local n = 0

function init(args)
	for i = 0, 499 do
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
		bodies[#bodies + 1] = string.format(
			'{"kind":"SubjectAccessReview","apiVersion":"authorization.k8s.io/v1",' ..
			'"metadata":{},"spec":{%s,"user":"user-%d","groups":["group-%d",' ..
			'"system:authenticated"]},"status":{"allowed":false}}\n',
			attrs, i % 200, i % 50)
	end
end

function request()
	n = n + 1
	local body = bodies[n % #bodies + 1]
	return wrk.format("POST", nil, {
		["Content-Type"] = "application/json",
		["Accept"] = "application/json, */*",
		["User-Agent"] = "Go-http-client/1.1",
	}, body)
end

local failed = 0
function response(status, headers, body)
	if status ~= 200 then
		failed = failed + 1
	end
end
