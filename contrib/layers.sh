#!/usr/bin/env bash
# contrib/layers.sh — print src/'s include graph by layer, and fail on an
# arrow that points up or sideways across layers, or on a circle.
#
# usage: contrib/layers.sh [--graph]
#   --graph   also print every module's includes, layer by layer
#
# The layers, bottom up (doc/decisions.md, "Layers"): a module may include
# headers of its own layer or below. Within a layer, includes must not
# form a circle. Every module of src/ must have a layer here: a new one
# fails the check until it is placed.
set -euo pipefail
cd "$(dirname "$0")/.."

LAYERS='
1 base      log textbuf json conf crypto hex ktime sig scoreboard counters secret http kubeconfig
2 backends  db store directory dircache dirdn direscape dirsearch migrate admintoken secrets policy
3 request   req router ctx
4 handlers  authn authz admin me policies_api health metrics import
5 process   routes worker master checkconfig main
6 client    plugin
'
# The client layer is another program (kubectl-auth_login): above all the
# others, so that nothing of the service includes it, and it may itself
# include only the base layer (it links nothing of the server's).
CLIENT_MAY_INCLUDE='1'
export LAYERS CLIENT_MAY_INCLUDE

exec python3 - "$@" <<'PY'
import os, re, sys

layers = {}
for line in os.environ["LAYERS"].strip().splitlines():
    n, name, *mods = line.split()
    for m in mods:
        layers[m] = (int(n), name)

def module(f):
    return os.path.splitext(os.path.basename(f))[0]

def owner(m):
    """A module's layer: its own name, or the name it extends with _x."""
    if m in layers:
        return layers[m]
    for k in sorted(layers, key=len, reverse=True):
        if m.startswith(k + "_"):
            return layers[k]
    return None

edges = {}
for f in sorted(os.listdir("src")):
    if not f.endswith((".c", ".h")):
        continue
    m = module(f)
    with open(os.path.join("src", f)) as fh:
        for inc in re.findall(r'^#include "([^"]+)\.h"', fh.read(), re.M):
            if inc != m:
                edges.setdefault(m, set()).add(inc)
        edges.setdefault(m, set())

bad = []
for m in sorted(edges):
    if owner(m) is None:
        bad.append(f"src/{m}: no layer: add it to contrib/layers.sh")
for m, incs in sorted(edges.items()):
    lm = owner(m)
    for i in sorted(incs):
        li = owner(i)
        if lm is None or li is None:
            continue
        if li[0] > lm[0]:
            bad.append(f"src/{m} ({lm[1]}) includes {i}.h ({li[1]}): an arrow up")
        elif lm[1] == "client" and li[1] != "client" and \
                str(li[0]) not in os.environ["CLIENT_MAY_INCLUDE"].split():
            bad.append(f"src/{m} (client) includes {i}.h ({li[1]}): the "
                       "plugin may use the base layer only")

# Circles, module by module (a .c and its .h are one module).
def cycle_from(start):
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                return path + [start]
            if nxt not in seen and nxt in edges:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None

reported = set()
for m in sorted(edges):
    c = cycle_from(m)
    if c and frozenset(c) not in reported:
        reported.add(frozenset(c))
        bad.append("a circle: " + " -> ".join(c))

if "--graph" in sys.argv:
    for n in sorted({v[0] for v in layers.values()}):
        mods = sorted(m for m in edges if owner(m) and owner(m)[0] == n)
        name = next(v[1] for v in layers.values() if v[0] == n)
        print(f"{n} {name}")
        for m in mods:
            print(f"    {m:14} -> {' '.join(sorted(edges[m])) or '-'}")

for b in bad:
    print("layers: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
