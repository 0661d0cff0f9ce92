#!/usr/bin/env bash
# Starts the built steward binary for the browser tests: a fresh data folder, one admin
# (the credentials in tests/fixtures.ts), the site files from target/site.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-3917}
bin=${STEWARD_BIN:-target/debug/steward}
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export STEWARD_DATA_DIR=$data STEWARD_LISTEN=127.0.0.1:$port STEWARD_LOG=${STEWARD_LOG:-warn}
export LEPTOS_SITE_ROOT=$PWD/target/site LEPTOS_OUTPUT_NAME=steward
echo "e2e admin password" | "$bin" admin create --email admin@example.com --name "Avery Admin" --password-stdin
"$bin" serve &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
wait $pid
