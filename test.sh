#!/usr/bin/env bash
# Runs Kehu's whole test suite: formatting, lints, unit and integration tests on SQLite
# and PostgreSQL, and the browser test in Chromium.
#
# Needs: a PostgreSQL server (KEHU_TEST_PG_URL, default the local one), Node.js + npm,
# and Chromium at /usr/bin/chromium (or CHROMIUM_PATH). `.ci/run` installs them.
set -euo pipefail
cd "$(dirname "$0")"

export KEHU_TEST_PG_URL="${KEHU_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== pure crates must not depend on the database layer"
for crate in kehu-core kehu-search kehu-analytics kehu-io; do
  if cargo tree -p "$crate" --edges normal --prefix none | grep -Eq '^(kehu-db|sqlx) '; then
    echo "$crate depends on the database layer" >&2
    exit 1
  fi
done

echo "== cargo test (SQLite and PostgreSQL at $KEHU_TEST_PG_URL)"
cargo test --workspace --locked

echo "== browser test (Chromium)"
cargo build --locked -p kehu
(cd e2e && npm ci --no-audit --no-fund && node --test --test-reporter=spec)
