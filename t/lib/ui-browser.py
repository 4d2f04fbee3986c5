#!/usr/bin/env python3
# ui-browser.py — the browser half of t/7001-web-ui.t: headless Chromium,
# driven by Selenium, uses the page /ui/ as a person would, and each outcome
# is checked where it lands (the admin API, the TokenReview webhook, the
# downloaded file). Prints "ok DESC", "not ok DESC", "# ..." and
# "secret HEX" lines; the shell test turns them into TAP.
#
# Environment (set by the test): UI_URL (the site), UI_DOWN_URL (the same
# site with no service behind it), UI_LIMITED_URL (the same site, the
# loopback address rate-limited), UI_SPKI (the server key's SHA-256, the
# one certificate Chromium accepts), UI_SHOTS, UI_DOWNLOADS, UI_PROFILE,
# UI_CHROMIUM, UI_CHROMEDRIVER, UI_ALICE and UI_BOB (user ids),
# KA_ADMIN_TOKEN, KA_CACERT, TEST_TIME_FACTOR.
#
# No timed assertions: every wait is for a state, bounded and scaled.
import base64
import datetime
import http.client
import json
import os
import re
import signal
import ssl
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ENV = os.environ
URL = ENV["UI_URL"]
FACTOR = int(ENV.get("TEST_TIME_FACTOR", "1"))
BOUND = 20 * FACTOR  # seconds, for any one wait
SHOTS = ENV["UI_SHOTS"]
DOWNLOADS = ENV["UI_DOWNLOADS"]
TLS = ssl.create_default_context(cafile=ENV["KA_CACERT"])

failed = 0


def out(line):
    print(line, flush=True)


def ok(cond, desc, got=None):
    global failed
    out(("ok " if cond else "not ok ") + desc)
    if not cond:
        failed += 1
        if got is not None:
            out("#   got: %r" % (got,))
    return cond


def diag(text):
    for line in str(text).splitlines():
        out("# " + line)


# --- the service, directly ---------------------------------------------------

def request(method, path, body=None, headers=None, base=URL):
    """(status, parsed JSON or text, headers)"""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, context=TLS, timeout=BOUND) as res:
            status, raw, hdrs = res.status, res.read(), res.headers
    except urllib.error.HTTPError as e:
        status, raw, hdrs = e.code, e.read(), e.headers
    try:
        return status, json.loads(raw), hdrs
    except ValueError:
        return status, raw.decode(errors="replace"), hdrs


def admin(method, path, body=None):
    return request(method, path, body, {"x-auth-token": ENV["KA_ADMIN_TOKEN"]})


def live_tokens(user_id):
    status, body, _ = admin("GET", "/tokens?user_id=" + user_id)
    if status != 200 or not isinstance(body, list):
        raise RuntimeError("GET /tokens: %s %r" % (status, body))
    return body


def review(token, cluster=None):
    """The TokenReview an API server would send: its status object."""
    path = "/authenticate/token" + ("/" + cluster if cluster else "")
    status, body, _ = request("POST", path, {
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
        "spec": {"token": token}})
    return body.get("status", {}) if isinstance(body, dict) else {"error": "HTTP %s" % status}


def eventually(what, check):
    """Poll check() until true, at most BOUND seconds."""
    end = time.monotonic() + BOUND
    while True:
        if check():
            return True
        if time.monotonic() > end:
            diag("gave up waiting for " + what)
            return False
        time.sleep(0.1)


# --- the browser -------------------------------------------------------------

def start_browser():
    opts = Options()
    opts.binary_location = ENV["UI_CHROMIUM"]
    for arg in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--no-default-browser-check", "--disable-sync",
                "--user-data-dir=" + ENV["UI_PROFILE"], "--window-size=1200,900",
                "--lang=en-US", "--ignore-certificate-errors-spki-list=" + ENV["UI_SPKI"]]:
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {
        "download.default_directory": DOWNLOADS,
        "download.prompt_for_download": False,
        "download.directory_upgrade": True,
        "safebrowsing.enabled": False,
    })
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # Not a *.log: the driver's log holds what was typed (passwords), and
    # the suite's secrets audit reads the service's and nginx's logs.
    service = Service(executable_path=ENV["UI_CHROMEDRIVER"],
                      log_path=os.path.join(ENV["UI_PROFILE"], "..", "chromedriver.out"))
    driver = webdriver.Chrome(service=service, options=opts)
    driver.set_page_load_timeout(BOUND)
    driver.execute_cdp_cmd("Page.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": DOWNLOADS})
    return driver


class Page:
    """One browser; console and network events gathered step by step."""

    def __init__(self, driver):
        self.d = driver
        self.wait = WebDriverWait(driver, BOUND)
        self.console = []   # (step, level, source, message)
        self.requests = []  # (url, headers)
        self.responses = {}  # url -> headers (the last one)
        self.step = "start"
        self.shots = []

    def drain(self):
        for e in self.d.get_log("browser"):
            msg = e.get("message", "")
            source = e.get("source") or ("network" if "Failed to load resource" in msg else "")
            self.console.append((self.step, e.get("level"), source, msg))
        for e in self.d.get_log("performance"):
            m = json.loads(e["message"])["message"]
            p = m.get("params", {})
            if m.get("method") == "Network.requestWillBeSent":
                r = p.get("request", {})
                self.requests.append((r.get("url", ""), r.get("headers", {})))
            elif m.get("method") == "Network.responseReceived":
                r = p.get("response", {})
                self.responses[r.get("url", "")] = {k.lower(): v for k, v in r.get("headers", {}).items()}

    def begin(self, step):
        self.drain()
        self.step = step

    def el(self, element_id):
        return self.d.find_element(By.ID, element_id)

    def visible(self, element_id):
        return self.wait.until(EC.visibility_of_element_located((By.ID, element_id)))

    def hidden(self, element_id):
        return self.wait.until(EC.invisibility_of_element_located((By.ID, element_id)))

    def text(self, element_id, contains):
        self.wait.until(EC.text_to_be_present_in_element((By.ID, element_id), contains))
        return self.el(element_id).text

    def value(self, element_id, pattern):
        self.wait.until(lambda d: re.search(pattern, self.el(element_id).get_attribute("value") or ""))
        return self.el(element_id).get_attribute("value")

    def active_id(self):
        return self.d.switch_to.active_element.get_attribute("id")

    def chips(self, element_id):
        return [li.text for li in self.el(element_id).find_elements(By.TAG_NAME, "li")]

    def table(self):
        """My tokens, read at once: [[id, description, created, expiry,
        last used, clusters, actions], ...]"""
        return self.d.execute_script(
            "return Array.from(document.querySelectorAll('#tokens-body tr'), function (tr) {"
            " return [tr.dataset.id].concat(Array.from(tr.cells, function (td) {"
            " return td.innerText.trim(); })); });")

    def row(self, description):
        for r in self.table():
            if r[1] == description or r[1].startswith(description + " "):
                return r
        return None

    def button(self, description):
        r = self.row(description)
        return self.d.find_element(By.CSS_SELECTOR, '#tokens-body tr[data-id="%s"] button.revoke' % r[0])

    def shot(self, name):
        """A screenshot of the whole page, not just the window."""
        size = self.d.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        png = self.d.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
        with open(os.path.join(SHOTS, name + ".png"), "wb") as f:
            f.write(base64.b64decode(png["data"]))
        self.shots.append(name + ".png")

    def open(self, base):
        self.d.get(base + "/ui/")
        self.visible("sign-in")
        self.wait.until(lambda d: self.active_id() == "username")

    def sign_in(self, user, password):
        self.el("username").clear()
        self.el("username").send_keys(user)
        self.el("password").clear()
        # Enter submits: the keyboard is enough.
        self.el("password").send_keys(password + Keys.ENTER)

    def signed_in(self, user, password, username):
        """Sign in, and wait for Who am I to name USERNAME."""
        self.sign_in(user, password)
        got = self.outcome()
        ok(got == "signed in", user + " signs in", got)
        self.text("me-username", username)

    def outcome(self):
        """Wait for a sign-in to end: "signed in", or the error shown."""
        self.wait.until(lambda d: self.el("app").is_displayed() or
                        (self.el("sign-in-error").is_displayed() and
                         not self.el("sign-in-status").text))
        return "signed in" if self.el("app").is_displayed() else self.el("sign-in-error").text


def is_web(description):
    """The page's sign-in token: described "web" (the service may put
    its login tokens' own prefix before it)."""
    return description == "web" or description.endswith(": web")


def hammer(base, stop, seen_429):
    """POST /login with no credentials, as fast as one connection goes, until
    stopped (at most 20000 requests): the client's bucket stays empty."""
    host = urllib.parse.urlsplit(base)
    conn = None
    for _ in range(20000):
        if stop.is_set():
            break
        try:
            if conn is None:
                conn = http.client.HTTPSConnection(host.hostname, host.port, context=TLS,
                                                   timeout=BOUND)
            conn.request("POST", "/login", body=b"", headers={"Content-Length": "0"})
            res = conn.getresponse()
            res.read()
            if res.status == 429:
                seen_429.set()
            if res.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)
    if conn is not None:
        conn.close()


# --- the steps ---------------------------------------------------------------

def main():
    driver = start_browser()
    try:
        steps(Page(driver))
    finally:
        driver.quit()


def steps(p):
    alice, bob = ENV["UI_ALICE"], ENV["UI_BOB"]
    ca_data = base64.b64encode(open(ENV["KA_CACERT"], "rb").read()).decode()
    d = p.d
    expected_network = {}  # step -> statuses its console may report

    # 1. The sign-in form, by keyboard.
    p.begin("sign-in form")
    p.open(URL)
    ok(d.title == "kubernetes-auth", "the page loads: title kubernetes-auth", d.title)
    ok(p.active_id() == "username", "the user name field has the focus")
    d.switch_to.active_element.send_keys(Keys.TAB)
    ok(p.active_id() == "password", "Tab: the password field", p.active_id())
    d.switch_to.active_element.send_keys(Keys.TAB)
    ok(p.active_id() == "sign-in-button", "Tab: the Sign in button", p.active_id())
    labels = {l.get_attribute("for") for l in d.find_elements(By.TAG_NAME, "label")}
    ok({"username", "password"} <= labels, "both fields have labels")
    p.shot("01-sign-in")

    # 2. A wrong password: an error, and no token.
    p.begin("wrong password")
    expected_network[p.step] = {"401"}
    p.sign_in("alice", "not-her-password")
    got = p.outcome()
    ok(got == "Wrong user name or password.", "a wrong password: the page says so", got)
    ok(p.el("sign-in-error").get_attribute("role") == "alert", "... in a role=alert region")
    ok(p.el("password").get_attribute("value") == "" and p.active_id() == "password",
       "... the password field emptied and focused for another try")
    ok(live_tokens(alice) == [], "... and no token was made (admin API: alice has none)")
    p.shot("02-wrong-password")

    # 3. Signed in: who am I.
    p.begin("sign in")
    p.signed_in("alice", "alice-secret", "alice@example.org")
    ok(p.el("me-username").text == "alice@example.org", "Who am I: username alice@example.org")
    ok(p.el("me-uid").text == "500", "... uid 500", p.el("me-uid").text)
    groups = p.chips("me-groups")
    ok(groups == ["admins", "developers", "operators", "All Users"],
       "... groups admins, developers, operators, All Users (as the API server gets them)", groups)
    clusters = p.chips("me-clusters")
    ok(sorted(clusters) == ["prod", "staging"], "... clusters she may use: prod, staging", clusters)
    ok(p.el("session-user").text == "alice", "the header names who is signed in")
    ok(p.active_id() == "whoami-title", "the focus moves to Who am I", p.active_id())
    web = [t for t in live_tokens(alice) if is_web(t.get("description", ""))]
    ok(len(web) == 1, "admin API: one live token for alice, described \"web\"", live_tokens(alice))
    session_id = web[0]["id"] if web else None
    if web:
        expiry = datetime.datetime.fromisoformat(web[0]["expiry"].replace("Z", "+00:00"))
        left = expiry - datetime.datetime.now(datetime.timezone.utc)
        ok(left <= datetime.timedelta(hours=1, minutes=5), "... a short one (1h)", str(left))
    p.shot("03-who-am-i")

    # 4. Get a kubeconfig: the file, and the commands.
    p.begin("kubeconfig")
    Select(p.el("kubeconfig-cluster")).select_by_value("prod")
    p.el("kubeconfig-download").click()
    path = os.path.join(DOWNLOADS, "kubeconfig-prod.json")
    ok(eventually("the download", lambda: os.path.exists(path) and not any(
        f.endswith(".crdownload") for f in os.listdir(DOWNLOADS))), "the kubeconfig downloads")
    try:
        conf = json.load(open(path))
    except (OSError, ValueError) as e:
        conf = {}
        diag("kubeconfig: %s" % e)
    ok(conf.get("kind") == "Config", "... it parses (JSON, which is YAML): a kind Config")
    cl = (conf.get("clusters") or [{}])[0]
    ok(cl.get("name") == "prod" and cl.get("cluster", {}).get("server") == "https://prod.example.org:6443",
       "... it names the cluster prod and its API server", cl)
    ok(cl.get("cluster", {}).get("certificate-authority-data") == ca_data, "... with its CA")
    user = (conf.get("users") or [{}])[0].get("user", {}).get("exec", {})
    ok(user.get("command") == "kubectl-auth_login" and "prod" in user.get("args", []),
       "... its user runs the credential plugin for prod", user)
    ok(conf.get("current-context") == (conf.get("contexts") or [{}])[0].get("name"),
       "... and its context is the current one")
    p.text("kubeconfig-status", "Downloaded kubeconfig-prod.json")
    cmds = [p.el(i).text for i in ("cmd-install", "cmd-use", "cmd-run")]
    ok("kubernetes-auth-client" in cmds[0] and "kubeconfig-prod.json" in cmds[1] and
       cmds[2].startswith("kubectl "), "three commands: install the plugin, use the file, run kubectl", cmds)
    ok(p.el("cmd-setup").text == "kubectl auth-login setup --url %s --cluster prod" % URL,
       "... and the plugin's own setup line", p.el("cmd-setup").text)
    p.shot("04-kubeconfig")

    p.begin("kubeconfig without server")
    expected_network[p.step] = {"409"}
    Select(p.el("kubeconfig-cluster")).select_by_value("staging")
    p.el("kubeconfig-download").click()
    got = p.text("kubeconfig-error", "no API server address")
    ok("staging" in got and "administrator" in got, "a cluster with no server: what to ask for", got)
    p.shot("05-kubeconfig-no-server")

    # 5. Create a token for prod: the secret once, a copy button, a warning.
    p.begin("create token")
    d.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": URL, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    p.el("create-description").send_keys("laptop")
    Select(p.el("create-ttl")).select_by_value("8h")
    box = d.find_element(By.CSS_SELECTOR, "#create-clusters-list input[value=prod]")
    box.click()
    p.el("create-button").click()
    p.visible("new-secret")
    secret = p.value("new-secret-value", r"^[0-9a-f]{64}$")
    out("secret " + secret)
    ok(re.fullmatch(r"[0-9a-f]{64}", secret) is not None, "a token is created: its secret is shown")
    ok("shown only once" in p.el("new-secret").text, "... with the warning that it is shown once")
    ok(p.active_id() == "new-secret-title", "... which gets the focus", p.active_id())
    p.el("new-secret-copy").click()
    p.text("new-secret-status", "Copied")
    copied = d.execute_async_script(
        "var done = arguments[0]; navigator.clipboard.readText().then(done, function (e) { done('!' + e); });")
    ok(copied == secret, "Copy puts the secret on the clipboard", copied[:8] + "...")
    p.shot("06-token-created")
    r = review(secret, "prod")
    ok(r.get("authenticated") is True and r.get("user", {}).get("username") == "alice@example.org"
       and r.get("user", {}).get("groups") == groups,
       "TokenReview on prod: the new token is alice, with the groups the page showed", r)
    r = review(secret)
    ok(r.get("authenticated") is False and r.get("error") == "token not valid for this cluster",
       "... scoped: refused on the global path", r)
    p.el("new-secret-done").click()
    p.hidden("new-secret")
    ok(secret not in d.page_source and p.el("new-secret-value").get_attribute("value") == "",
       "Done: the secret is gone from the page")

    # A second token, for every cluster; the list then shows the first used.
    p.begin("second token")
    p.el("create-description").send_keys("kept")
    p.el("create-button").click()
    p.visible("new-secret")
    kept = p.value("new-secret-value", r"^[0-9a-f]{64}$")
    out("secret " + kept)
    p.el("new-secret-done").click()
    p.hidden("new-secret")
    p.wait.until(lambda d: p.row("kept") is not None)
    table = p.table()
    ok([r[0] for r in table[:1]] == [session_id] and table[0][1].endswith("web this page")
       and [r[1] for r in table[1:]] == ["laptop", "kept"],
       "My tokens: the page's own, laptop and kept, oldest first", table)
    laptop = p.row("laptop")
    ok(laptop[5] == "prod" and laptop[4] != "never" and laptop[3] != "never",
       "... laptop: clusters prod, an expiry, used once", laptop)
    kept_row = p.row("kept")
    ok(kept_row[5] == "all" and kept_row[4] == "never", "... kept: all clusters, never used", kept_row)
    ok(table[0][6] == "", "... the page's own token has no Revoke button (Sign out does that)",
       table[0])
    p.shot("07-tokens")

    # 6. Revoke with confirmation: Escape cancels, Revoke revokes.
    p.begin("revoke")
    button = p.button("laptop")
    ok("laptop" in (button.get_attribute("aria-label") or ""), "Revoke buttons say which token")
    button.click()
    p.visible("confirm")
    ok(p.active_id() == "confirm-cancel", "the confirmation opens on Cancel", p.active_id())
    p.shot("08-revoke-confirm")
    d.switch_to.active_element.send_keys(Keys.ESCAPE)
    p.hidden("confirm")
    ok(p.row("laptop") is not None and review(secret, "prod").get("authenticated") is True,
       "Escape: nothing revoked")
    p.button("laptop").click()
    p.visible("confirm")
    p.el("confirm-ok").click()
    p.hidden("confirm")
    p.text("tokens-status", "Revoked \"laptop\"")
    ok(p.row("laptop") is None, "Revoke: the token leaves the list")
    r = review(secret, "prod")
    ok(r.get("authenticated") is False and r.get("error") == "token revoked",
       "... and the webhook refuses it: token revoked", r)
    p.shot("09-revoked")

    # 7. Sign out: the page's token is revoked.
    p.begin("sign out")
    p.el("sign-out").click()
    p.visible("sign-in")
    p.text("sign-in-status", "Signed out")
    ids = [t["id"] for t in live_tokens(alice)]
    ok(session_id is not None and session_id not in ids,
       "Sign out: the page's token is revoked (admin API)", ids)
    ok(review(kept).get("authenticated") is True, "... the other tokens live on")
    ok(not p.table() and "kept" not in d.page_source, "... and the page forgot alice's data")
    p.shot("10-signed-out")

    # 8. Bob sees his own tokens only.
    p.begin("bob")
    p.signed_in("bob", "bob-secret", "bob@example.org")
    ok(p.chips("me-groups") == ["developers", "All Users"], "... his groups", p.chips("me-groups"))
    p.wait.until(lambda d: len(p.table()) > 0)
    theirs = {t["id"] for t in live_tokens(alice)}
    shown = [r[0] for r in p.table()]
    ok(len(shown) == 1 and not theirs & set(shown) and "kept" not in d.page_source,
       "... and only his own token, none of alice's", shown)
    bob_web = [t["id"] for t in live_tokens(bob)]
    ok(shown == bob_web, "... the one the admin API lists for him", bob_web)
    p.shot("11-bob")

    # 9. Leaving the page revokes its token (keepalive request on pagehide).
    p.begin("leave")
    d.get("about:blank")
    ok(eventually("bob's token to be revoked", lambda: live_tokens(bob) == []),
       "leaving the page revokes bob's token")

    # 10. The service down: nginx answers for it.
    p.begin("service down")
    expected_network[p.step] = {"503"}
    p.open(ENV["UI_DOWN_URL"])
    p.sign_in("alice", "alice-secret")
    got = p.outcome()
    ok(got.startswith("The service is unavailable right now") and "administrator" in got,
       "the service down: the page says so, and what to do", got)
    p.shot("12-service-down")

    # 11. Too many tries: the rate limit's 429, with its wait.
    p.begin("too many tries")
    expected_network[p.step] = {"401", "429"}
    p.open(ENV["UI_LIMITED_URL"])
    stop, seen = threading.Event(), threading.Event()
    worker = threading.Thread(target=hammer, args=(ENV["UI_LIMITED_URL"], stop, seen), daemon=True)
    worker.start()
    got = ""
    try:
        ok(seen.wait(BOUND), "another client's flood from the same address meets the limit")
        for _ in range(10):
            p.wait.until(lambda d: p.el("sign-in-button").is_enabled())
            p.sign_in("alice", "not-her-password")
            got = p.outcome()
            if got.startswith("Too many tries"):
                break
    finally:
        stop.set()
        worker.join(BOUND)
    ok(got == "Too many tries from your address. Wait 1 second and try again.",
       "too many tries: the page gives the wait (Retry-After)", got)
    p.shot("13-too-many-tries")

    # 12. What the browser saw, all along.
    p.begin("end")
    page = p.responses.get(URL + "/ui/", {})
    ok("frame-ancestors 'none'" in page.get("content-security-policy", "") and
       page.get("x-frame-options") == "DENY",
       "the browser got the page with its Content-Security-Policy and X-Frame-Options", page)
    origins = {URL, ENV["UI_DOWN_URL"], ENV["UI_LIMITED_URL"]}
    foreign = [u for u, _ in p.requests
               if not any(u.startswith(o + "/") for o in origins)
               and u.startswith(("http:", "https:", "ws:", "wss:"))]
    ok(not foreign, "every request went to the site itself", foreign)
    # The page's own tokens, as it sent them: the logs must not hold them.
    for token in sorted({v[7:] for _, h in p.requests for k, v in h.items()
                         if k.lower() == "authorization" and v.startswith("Bearer ")}):
        out("secret " + token)
    admin_header = [u for u, h in p.requests if any(k.lower() == "x-auth-token" for k in h)]
    ok(not admin_header, "no request carried an x-auth-token", admin_header)
    bad = []
    for step, level, source, msg in p.console:
        status = re.search(r"status of (\d+)", msg)
        if source == "network" and status and status.group(1) in expected_network.get(step, ()):
            continue
        bad.append("%s: %s %s %s" % (step, level, source, msg))
    ok(not bad, "no console errors or warnings (but the expected HTTP errors)", bad)
    if bad:
        diag("\n".join(bad))
    diag("screenshots: " + " ".join(p.shots))


if __name__ == "__main__":
    # The test's timeout sends TERM: quit the browser on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    except Exception:  # a step that could not go on: say where
        ok(False, "the browser steps ran without an exception")
        diag(traceback.format_exc())
        sys.exit(1)
    sys.exit(1 if failed else 0)
