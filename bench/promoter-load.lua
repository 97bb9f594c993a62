-- promoter-load.lua - wrk script for bench/promoter-load: CI jobs posting
-- results while dashboards and snapshot-promote read status.
--
-- Environment: TOKEN (a reporter token), SNAPSHOT (an existing snapshot
-- ID), POST_EVERY (one request in POST_EVERY is a POST; default 4).
-- Every thread counts answers by class; done() prints the totals.

local token = os.getenv("TOKEN") or "none"
local snapshot = os.getenv("SNAPSHOT") or "00000000T000000Z"
local post_every = tonumber(os.getenv("POST_EVERY") or "4")

local threads = {}
local counter = 0

function setup(thread)
	thread:set("id", counter)
	table.insert(threads, thread)
	counter = counter + 1
end

function init(args)
	n = 0
	posts = 0
	gets = 0
	c2xx = 0
	c4xx = 0
	c5xx = 0
	cother = 0
	jobs = { "a", "b", "c", "d" }
	reads = {
		"/api/v1/snapshots",
		"/api/v1/environments",
		"/api/v1/snapshots/" .. snapshot,
		"/metrics",
	}
end

function request()
	n = n + 1
	if n % post_every == 0 then
		posts = posts + 1
		-- The four jobs that gate staging (the promoter refuses
		-- results for jobs no environment requires); one result in
		-- three is a failure, so staging is blocked and unblocked
		-- over and over.  Counted by POST, not by request: with one
		-- request in four a POST, n % 4 would name one job only.
		local body = string.format(
		    '{"job": "load-%s", "result": "%s", "url": "http://ci.invalid/%d/%d"}',
		    jobs[(posts % #jobs) + 1],
		    (posts % 3 == 0) and "failure" or "success", id, n)
		return wrk.format("POST",
		    "/api/v1/snapshots/" .. snapshot .. "/results",
		    { ["Content-Type"] = "application/json",
		      ["Authorization"] = "Bearer " .. token }, body)
	end
	gets = gets + 1
	return wrk.format("GET", reads[(n % #reads) + 1])
end

function response(status, headers, body)
	if status >= 200 and status < 300 then
		c2xx = c2xx + 1
	elseif status >= 400 and status < 500 then
		c4xx = c4xx + 1
	elseif status >= 500 then
		c5xx = c5xx + 1
	else
		cother = cother + 1
	end
end

function done(summary, latency, requests)
	local t = { posts = 0, gets = 0, c2xx = 0, c4xx = 0, c5xx = 0,
	    cother = 0 }
	for _, thread in ipairs(threads) do
		for k, _ in pairs(t) do
			t[k] = t[k] + (thread:get(k) or 0)
		end
	end
	io.write(string.format("requests: %d (%d POST results, %d GET)\n",
	    summary.requests, t.posts, t.gets))
	io.write(string.format("answers: 2xx %d, 4xx %d, 5xx %d, other %d; " ..
	    "socket errors: connect %d read %d write %d timeout %d\n",
	    t.c2xx, t.c4xx, t.c5xx, t.cother, summary.errors.connect,
	    summary.errors.read, summary.errors.write, summary.errors.timeout))
	io.write(string.format("throughput: %.0f requests/s\n",
	    summary.requests / (summary.duration / 1e6)))
	io.write(string.format("latency: p50 %.2f ms, p90 %.2f ms, " ..
	    "p99 %.2f ms, max %.2f ms\n",
	    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
	    latency:percentile(99) / 1000, latency.max / 1000))
end
