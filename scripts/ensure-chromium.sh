#!/usr/bin/env bash
# The e2e tests and the benchmark drive Debian's Chromium (a test tool cannot download its own browser on
# these machines). Install it when it is missing; CHROMIUM_PATH overrides the location.
set -euo pipefail
bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$bin" ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing at $bin: run 'sudo apt-get install -y chromium' (or set CHROMIUM_PATH)." >&2
  exit 1
fi
echo "Installing Debian chromium (needed by the e2e tests and the benchmark)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
