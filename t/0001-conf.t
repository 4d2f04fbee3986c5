#!/usr/bin/env bash
# Unit tests of the configuration loader (t/unit/t-conf.c); it prints TAP.
: "${KA_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export KA_SRCDIR
exec "${KA_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}/t/unit/t-conf"
