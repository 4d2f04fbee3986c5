#!/usr/bin/env python3
"""ha-load.py - load and truth checks for the HA lab (t/lib/lib-halab.sh).

Counts requests, failures (an HTTP status other than 2xx, or no answer) and
WRONG answers: answers that contradict what is known to be true (a valid
token not authenticated, a revoked one authenticated, a SubjectAccessReview
allowed that must be denied or denied that must be allowed, a token that
was created and then does not authenticate).

The admin token and the CA come from the environment, as in .ha-lab/env:
K8S_AUTH_ADMIN_TOKEN, K8S_AUTH_CACERT. Never on a command line.

  setup STATE --url URL
      users alice/bob/carol@example.org, 3 tokens each, 3 revoked tokens,
      two rules (admins may do anything; bob may not touch secrets);
      writes what is true to STATE (JSON)
  run STATE LOG --url URL [--rate R] [--conns C] [--max-seconds S] [--create P]
      a steady mixed load (TokenReview of valid and revoked tokens, allowed
      and denied SubjectAccessReviews, POST /tokens) at R requests/s over C
      connections, until SIGTERM/SIGINT or S seconds; one line per request
      to LOG: start end kind status verdict served-by [token-id token]
  summary LOG [--events FILE]
      key=value lines: requests, failed, wrong, per kind and host, and for
      each event "NAME EPOCH" of FILE the requests in flight at that moment
  verify STATE LOG --url URL
      every token LOG's POST /tokens made must authenticate now (lost=N)
  pairs STATE --create-url A --review-url B [--count N] [--conns C]
      N times: create a token through A, review it at once through B
  policies --url-a A --url-b B --prefix P [--count N] [--retries R]
      N POST /policies through each host at once (rule P-a-I lets user
      P-user-a-I get configmaps); a 503 is sent again, up to R times
  policies-check --url-a A --url-b B --prefix P [--count N]
      every rule P-x-I allows its user through both hosts
"""
import argparse
import http.client
import json
import os
import random
import signal
import ssl
import sys
import threading
import time
import urllib.parse

USERS = {
    "alice@example.org": "alice@example.org",
    "bob@example.org": "bob@example.org",
    "carol@example.org": "carol@example.org",
}


class Client:
    """One keep-alive HTTPS connection; reconnects after any error."""

    def __init__(self, url, timeout=30):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 443
        self.timeout = timeout
        self.ctx = ssl.create_default_context(cafile=os.environ["K8S_AUTH_CACERT"])
        self.conn = None

    def request(self, method, path, body=None, admin=False):
        """-> (status, parsed JSON or None, served-by); status 0: no answer."""
        headers = {"Content-Type": "application/json"}
        if admin:
            headers["x-auth-token"] = os.environ["K8S_AUTH_ADMIN_TOKEN"]
        data = json.dumps(body) if body is not None else None
        try:
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(
                    self.host, self.port, context=self.ctx, timeout=self.timeout)
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            raw = resp.read()
            served = resp.getheader("X-Served-By") or self.host
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, None, "-"
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = None
        return resp.status, doc, served

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None


def tokenreview(token):
    return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
            "spec": {"token": token}}


def sar(user, groups, verb, resource):
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
            "spec": {"user": user, "groups": groups,
                     "resourceAttributes": {"namespace": "default", "verb": verb,
                                            "resource": resource}}}


def authenticated_as(doc):
    """The username a TokenReview answer authenticates, or None."""
    st = (doc or {}).get("status") or {}
    if st.get("authenticated") is True:
        return (st.get("user") or {}).get("username", "")
    return None


def allowed(doc):
    return ((doc or {}).get("status") or {}).get("allowed") is True


def die(msg):
    print("ha-load: " + msg, file=sys.stderr)
    sys.exit(1)


# --- setup ---------------------------------------------------------------------

def user_id(c, username):
    st, doc, _ = c.request("GET", "/users?" + urllib.parse.urlencode({"username": username}), admin=True)
    if st == 200 and doc:
        return doc[0]["id"]
    st, doc, _ = c.request("POST", "/users", {"username": username}, admin=True)
    if st != 201:
        die("POST /users %s: %s %s" % (username, st, doc))
    return doc["id"]


def new_token(c, uid, description):
    st, doc, _ = c.request("POST", "/tokens", {"user_id": uid, "description": description}, admin=True)
    return (doc["id"], doc["token"]) if st == 201 and doc and "token" in doc else (None, None)


def ensure_policy(c, rule):
    st, doc, _ = c.request("GET", "/policies", admin=True)
    if st == 200 and any(p.get("name") == rule["name"] for p in doc):
        return
    st, doc, _ = c.request("POST", "/policies", rule, admin=True)
    if st != 201:
        die("POST /policies %s: %s %s" % (rule["name"], st, doc))


def cmd_setup(a):
    c = Client(a.url)
    state = {"users": {}, "valid": [], "revoked": []}
    for username, expect in USERS.items():
        uid = user_id(c, username)
        state["users"][username] = uid
        for i in range(3):
            tid, tok = new_token(c, uid, "ha-load valid %d" % i)
            if tok is None:
                die("could not create a token for " + username)
            state["valid"].append({"token": tok, "username": expect})
    for i in range(3):
        tid, tok = new_token(c, state["users"]["bob@example.org"], "ha-load revoked %d" % i)
        st, _, _ = c.request("DELETE", "/tokens/" + tid, admin=True)
        if tok is None or st != 200:
            die("could not revoke a token")
        state["revoked"].append(tok)
    ensure_policy(c, {"name": "ha-load-admins", "groups": ["admins"], "verbs": ["*"],
                      "apiGroups": ["*"], "resources": ["*"], "effect": "allow"})
    ensure_policy(c, {"name": "ha-load-no-secrets-for-bob", "users": ["bob@example.org"],
                      "verbs": ["*"], "apiGroups": [""], "resources": ["secrets"], "effect": "deny"})
    with open(a.state, "w") as f:
        json.dump(state, f)


# --- run -----------------------------------------------------------------------

KINDS = [("tr-valid", 40), ("tr-revoked", 10), ("sar-allow", 20), ("sar-deny", 20), ("token-create", 10)]


def one_request(c, state, kind):
    """-> (status, verdict, served, extra)"""
    extra = ""
    if kind == "tr-valid":
        t = random.choice(state["valid"])
        st, doc, served = c.request("POST", "/authenticate/token", tokenreview(t["token"]))
        who = authenticated_as(doc)
        verdict = "fail" if st != 200 else "ok" if who == t["username"] else "wrong"
    elif kind == "tr-revoked":
        st, doc, served = c.request("POST", "/authenticate/token",
                                    tokenreview(random.choice(state["revoked"])))
        verdict = "fail" if st != 200 else "wrong" if authenticated_as(doc) is not None else "ok"
    elif kind == "sar-allow":
        st, doc, served = c.request("POST", "/authorize",
                                    sar("alice@example.org", ["admins"], "delete", "pods"))
        verdict = "fail" if st != 200 else "ok" if allowed(doc) else "wrong"
    elif kind == "sar-deny":
        st, doc, served = c.request("POST", "/authorize",
                                    sar("bob@example.org", ["developers"], "get", "secrets"))
        verdict = "fail" if st != 200 else "wrong" if allowed(doc) else "ok"
    else:
        uid = random.choice(list(state["users"].values()))
        st, doc, served = c.request("POST", "/tokens", {"user_id": uid, "description": "ha-load"}, admin=True)
        verdict = "ok" if st == 201 and doc and doc.get("token") else "fail"
        if verdict == "ok":
            extra = "%s %s" % (doc["id"], doc["token"])
    return st, verdict, served, extra


def cmd_run(a):
    with open(a.state) as f:
        state = json.load(f)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    kinds = [k for k, w in KINDS for _ in range(w if k != "token-create" else a.create)]
    records, lock = [], threading.Lock()
    interval = a.conns / float(a.rate)
    deadline = time.time() + a.max_seconds

    def worker():
        c = Client(a.url)
        nxt = time.time() + random.random() * interval
        while not stop.is_set() and time.time() < deadline:
            now = time.time()
            if nxt > now:
                stop.wait(nxt - now)
                continue
            # Behind (slow answers): no burst to catch up.
            nxt = max(nxt + interval, now)
            kind = random.choice(kinds)
            t0 = time.time()
            st, verdict, served, extra = one_request(c, state, kind)
            with lock:
                records.append("%.6f %.6f %s %d %s %s %s" % (t0, time.time(), kind, st, verdict, served, extra))
        c.close()

    threads = [threading.Thread(target=worker) for _ in range(a.conns)]
    for t in threads:
        t.start()
    # A test killed without running its traps leaves no load behind.
    parent = os.getppid()
    while any(t.is_alive() for t in threads):
        threads[0].join(1) if threads[0].is_alive() else time.sleep(0.2)
        if os.getppid() != parent:
            stop.set()
    for t in threads:
        t.join()
    with open(a.log, "w") as f:
        f.write("\n".join(records) + ("\n" if records else ""))


# --- summary, verify -----------------------------------------------------------

def read_log(path):
    out = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 6:
                out.append({"start": float(p[0]), "end": float(p[1]), "kind": p[2],
                            "status": int(p[3]), "verdict": p[4], "served": p[5],
                            "token": p[7] if len(p) >= 8 else None})
    return out


def cmd_summary(a):
    recs = read_log(a.log)
    count = lambda pred: sum(1 for r in recs if pred(r))
    print("requests=%d" % len(recs))
    print("failed=%d" % count(lambda r: r["verdict"] == "fail"))
    print("wrong=%d" % count(lambda r: r["verdict"] == "wrong"))
    for kind, _ in KINDS:
        print("%s=%d/%d/%d" % (kind, count(lambda r: r["kind"] == kind),
                               count(lambda r: r["kind"] == kind and r["verdict"] == "fail"),
                               count(lambda r: r["kind"] == kind and r["verdict"] == "wrong")))
    for host in sorted({r["served"] for r in recs}):
        print("served_%s=%d" % (host.replace(".", "_").replace("-", "none"), count(lambda r: r["served"] == host)))
    if recs:
        print("seconds=%.1f" % (max(r["end"] for r in recs) - min(r["start"] for r in recs)))
    if a.events and os.path.exists(a.events):
        with open(a.events) as f:
            for line in f:
                p = line.split()
                if len(p) == 2:
                    t = float(p[1])
                    print("inflight_%s=%d" % (p[0], count(lambda r: r["start"] <= t < r["end"])))
    bad = [r for r in recs if r["verdict"] != "ok"][:10]
    for r in bad:
        print("example=%.3f %s %d %s %s" % (r["start"], r["kind"], r["status"], r["verdict"], r["served"]))


def cmd_verify(a):
    recs = [r for r in read_log(a.log) if r["kind"] == "token-create" and r["verdict"] == "ok"]
    c = Client(a.url)
    lost = failed = 0
    for r in recs:
        for _ in range(3):
            st, doc, _ = c.request("POST", "/authenticate/token", tokenreview(r["token"]))
            if st == 200:
                break
        if st != 200:
            failed += 1
        elif authenticated_as(doc) is None:
            lost += 1
    print("created=%d" % len(recs))
    print("lost=%d" % lost)
    print("verify_failed=%d" % failed)


# --- pairs, policies -----------------------------------------------------------

def parallel(n, conns, fn):
    """fn(i) for i in range(n) over conns threads; -> list of results"""
    results, it, lock = [None] * n, iter(range(n)), threading.Lock()

    def worker():
        ctx = {}
        while True:
            with lock:
                i = next(it, None)
            if i is None:
                return
            results[i] = fn(i, ctx)

    threads = [threading.Thread(target=worker) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def cmd_pairs(a):
    with open(a.state) as f:
        state = json.load(f)
    uid = state["users"]["carol@example.org"]

    def pair(i, ctx):
        ca = ctx.setdefault("a", Client(a.create_url))
        cb = ctx.setdefault("b", Client(a.review_url))
        st, doc, _ = ca.request("POST", "/tokens", {"user_id": uid, "description": "pair %d" % i}, admin=True)
        if st != 201 or not doc or "token" not in doc:
            return "create-failed"
        st, doc, _ = cb.request("POST", "/authenticate/token", tokenreview(doc["token"]))
        if st != 200:
            return "review-failed"
        return "ok" if authenticated_as(doc) == "carol@example.org" else "miss"

    res = parallel(a.count, a.conns, pair)
    for k in ("ok", "miss", "create-failed", "review-failed"):
        print("%s=%d" % (k.replace("-", "_"), res.count(k)))


def policy_rule(prefix, host, i):
    return {"name": "%s-%s-%d" % (prefix, host, i), "users": ["%s-user-%s-%d" % (prefix, host, i)],
            "verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"], "effect": "allow"}


def cmd_policies(a):
    """A 503 changed nothing (the service says so): the writer sends the rule
    again, as a client would. A 409 for a rule sent again means the 503 was
    not clean: the first attempt had been applied."""
    urls = {"a": a.url_a, "b": a.url_b}
    out = {}

    def writer(host):
        c = Client(urls[host])
        created = unavailable = unclean = other = 0
        for i in range(a.count):
            for attempt in range(a.retries + 1):
                st, doc, _ = c.request("POST", "/policies", policy_rule(a.prefix, host, i), admin=True)
                if st == 201:
                    created += 1
                elif st == 409 and attempt > 0:
                    unclean += 1
                elif st in (0, 503):
                    unavailable += 1
                    continue
                else:
                    other += 1
                    print("ha-load: POST /policies: %d %s" % (st, doc), file=sys.stderr)
                break
        out[host] = (created, unavailable, unclean, other)

    threads = [threading.Thread(target=writer, args=(h,)) for h in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for h in sorted(out):
        for k, v in zip(("created", "unavailable", "unclean", "other"), out[h]):
            print("%s_%s=%d" % (k, h, v))


def cmd_policies_check(a):
    rules = [policy_rule(a.prefix, h, i) for h in ("a", "b") for i in range(a.count)]
    for host, url in (("a", a.url_a), ("b", a.url_b)):
        def check(i, ctx):
            c = ctx.setdefault("c", Client(url))
            st, doc, _ = c.request("POST", "/authorize", sar(rules[i]["users"][0], [], "get", "configmaps"))
            return st == 200 and allowed(doc)
        print("allowed_via_%s=%d" % (host, sum(parallel(len(rules), 4, check))))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup"); s.add_argument("state"); s.add_argument("--url", required=True)
    s = sub.add_parser("run"); s.add_argument("state"); s.add_argument("log")
    s.add_argument("--url", required=True); s.add_argument("--rate", type=float, default=100)
    s.add_argument("--conns", type=int, default=8); s.add_argument("--max-seconds", type=float, default=300)
    s.add_argument("--create", type=int, default=10, help="weight of POST /tokens (of 100)")
    s = sub.add_parser("summary"); s.add_argument("log"); s.add_argument("--events")
    s = sub.add_parser("verify"); s.add_argument("state"); s.add_argument("log"); s.add_argument("--url", required=True)
    s = sub.add_parser("pairs"); s.add_argument("state")
    s.add_argument("--create-url", required=True); s.add_argument("--review-url", required=True)
    s.add_argument("--count", type=int, default=1000); s.add_argument("--conns", type=int, default=4)
    for name in ("policies", "policies-check"):
        s = sub.add_parser(name)
        s.add_argument("--url-a", required=True); s.add_argument("--url-b", required=True)
        s.add_argument("--prefix", required=True); s.add_argument("--count", type=int, default=100)
        s.add_argument("--retries", type=int, default=5)
    a = p.parse_args()
    {"setup": cmd_setup, "run": cmd_run, "summary": cmd_summary, "verify": cmd_verify,
     "pairs": cmd_pairs, "policies": cmd_policies, "policies-check": cmd_policies_check}[a.cmd](a)


if __name__ == "__main__":
    main()
