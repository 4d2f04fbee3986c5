#!/usr/bin/env bash
# src/'s modules include only their own layer or below, and no circle
# (contrib/layers.sh): a handler header in a backend, the router in a
# handler, or a new module without a layer fails here.
top=$(cd "$(dirname "$0")/.." && pwd)
echo "1..1"
if out=$("$top/contrib/layers.sh" 2>&1); then
	echo "ok 1 - include graph: every arrow points down, no circle"
else
	echo "not ok 1 - include graph: every arrow points down, no circle"
	printf '%s\n' "$out" | sed 's/^/# /'
	exit 1
fi
