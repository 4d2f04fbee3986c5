#!/usr/bin/env python3
"""apiserver-standin.py -- a small HTTPS stand-in for a Kubernetes API server.

It authenticates every request the way kube-apiserver does with
--authentication-token-webhook-config-file: the bearer token goes in a
TokenReview (authentication.k8s.io/v1) to the URL of the webhook
kubeconfig (GET /clusters/{id}/webhook-kubeconfig), and the user in the
answer is who made the request. It answers:

  GET /version              the version, and who asked ("user")
  GET /api/v1/namespaces    a NamespaceList of one namespace, "default",
                            whose annotations say who asked
  anything else             404; no or a refused token: 401 (a Status)

Python's standard library only. One line per request on stdout:
"METHOD PATH STATUS user=NAME" (or "user=-").

usage: apiserver-standin.py --port PORT --cert PEM --key PEM
           --webhook-kubeconfig FILE [--webhook-ca PEM] [--bind ADDRESS]
--webhook-ca is used when the kubeconfig's certificate-authority file is
not there (the service writes a path under /etc/kubernetes/pki/ for the
operator to fill).
"""
import argparse
import http.server
import json
import os
import ssl
import sys
import urllib.error
import urllib.request

USER_ANNOTATION = "kubernetes-auth.example.org/user"
GROUPS_ANNOTATION = "kubernetes-auth.example.org/groups"


def load_webhook(path, fallback_ca):
    with open(path) as f:
        config = json.load(f)
    cluster = config["clusters"][0]["cluster"]
    ca = cluster.get("certificate-authority")
    if not ca or not os.path.exists(ca):
        ca = fallback_ca
    context = ssl.create_default_context(cafile=ca)
    return cluster["server"], context


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason,
            "code": code}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    webhook_url = None
    webhook_tls = None

    def log_message(self, fmt, *args):
        pass

    def review(self, token):
        """The user the webhook says TOKEN is, or None."""
        body = json.dumps({"apiVersion": "authentication.k8s.io/v1",
                           "kind": "TokenReview",
                           "spec": {"token": token}}).encode()
        request = urllib.request.Request(
            self.webhook_url + "?timeout=30s", data=body, method="POST",
            headers={"Content-Type": "application/json",
                     "Accept": "application/json, */*",
                     "User-Agent": "kubernetes-auth-standin"})
        try:
            with urllib.request.urlopen(request, context=self.webhook_tls,
                                        timeout=30) as answer:
                review = json.load(answer)
        except (urllib.error.URLError, ValueError) as e:
            sys.stderr.write(f"standin: TokenReview failed: {e}\n")
            return None
        st = review.get("status", {})
        return st.get("user") if st.get("authenticated") else None

    def answer(self, code, obj, user):
        data = (json.dumps(obj) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        name = user.get("username", "-") if user else "-"
        print(f"{self.command} {self.path} {code} user={name}", flush=True)

    def do_GET(self):
        header = self.headers.get("Authorization", "")
        user = None
        if header.startswith("Bearer ") and header[7:].strip():
            user = self.review(header[7:].strip())
        if user is None:
            return self.answer(401, status(401, "Unauthorized", "Unauthorized"),
                               None)
        path = self.path.split("?")[0]
        if path == "/version":
            return self.answer(200, {
                "major": "1", "minor": "20",
                "gitVersion": "v1.20.0-kubernetes-auth-standin",
                "platform": "linux/amd64", "user": user}, user)
        if path == "/api/v1/namespaces":
            return self.answer(200, {
                "kind": "NamespaceList", "apiVersion": "v1",
                "metadata": {"resourceVersion": "1"},
                "items": [{"metadata": {"name": "default", "annotations": {
                    USER_ANNOTATION: user.get("username", ""),
                    GROUPS_ANNOTATION: json.dumps(user.get("groups", []))}},
                    "status": {"phase": "Active"}}]}, user)
        return self.answer(404, status(404, "NotFound", "not found"), user)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--webhook-kubeconfig", required=True)
    p.add_argument("--webhook-ca")
    a = p.parse_args()
    Handler.webhook_url, Handler.webhook_tls = load_webhook(
        a.webhook_kubeconfig, a.webhook_ca)
    server = http.server.ThreadingHTTPServer((a.bind, a.port), Handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(a.cert, a.key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    print(f"standin: https://{a.bind}:{a.port}, webhook {Handler.webhook_url}",
          flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
