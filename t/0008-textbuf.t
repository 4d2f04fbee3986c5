#!/usr/bin/env bash
# Unit tests (no services): see t/unit/t-textbuf.c.
top=$(cd "$(dirname "$0")/.." && pwd)
export KA_SRCDIR=${KA_SRCDIR:-$top}
exec "${KA_BUILDDIR:-$top}/t/unit/t-textbuf"
