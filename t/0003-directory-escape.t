#!/usr/bin/env bash
# RFC 4515 / RFC 4514 escaping and user_filter expansion (t/unit/t-directory.c).
exec "${KA_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}/t/unit/t-directory"
