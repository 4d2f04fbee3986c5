#!/usr/bin/env bash
# Unit tests (no services): see t/unit/t-policy.c. `t/unit/t-policy --bench`
# times decisions over 1,000 rules instead.
top=$(cd "$(dirname "$0")/.." && pwd)
export KA_SRCDIR=${KA_SRCDIR:-$top}
exec "${KA_BUILDDIR:-$top}/t/unit/t-policy"
