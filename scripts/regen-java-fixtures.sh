#!/usr/bin/env bash
# Regenerate crates/proto/tests/fixtures/java_interop.json with the JDK's own RSA code
# (interop/java/Interop.java). New keys are generated on every run, so the whole file changes:
# commit it only when the fixture's shape or contents are meant to change.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v java >/dev/null || { echo "java (JDK 11+) is required" >&2; exit 1; }
java interop/java/Interop.java gen crates/proto/tests/fixtures
echo "now run: cargo test -p cmcc-proto --test java_interop"
