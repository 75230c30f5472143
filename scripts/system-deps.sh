#!/usr/bin/env bash
# Install the Debian packages the test suite and benchmarks use, when missing:
# PostgreSQL and Redis (scale-out tests), Chromium + ChromeDriver + fonts (browser tests),
# nginx (the documented reverse proxy).
# Needs root (or sudo) and apt; elsewhere it prints what to install and exits 0,
# and the tests that need a missing program skip with a message saying so.
# `system-deps.sh run` installs only what `make run` uses: Redis, the lock store that lets
# two Rasa processes share the conversations.
set -u
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ "${1:-}" != run ]; then
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# nginx: the documented reverse proxy, tested (tests/e2e/test_reverse_proxy.py).
[ -x /usr/sbin/nginx ] || need+=(nginx)
# Bangla and emoji glyphs for the browser tests' screenshots.
[ -d /usr/share/fonts/truetype/noto ] || need+=(fonts-noto-core fonts-noto-color-emoji)
fi
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
if ! command -v apt-get >/dev/null 2>&1 || { [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; }; then
  if [ "${1:-}" = run ]; then
    echo "system-deps: please install: ${need[*]} (until then make run uses one Rasa worker)" >&2
  else
    echo "system-deps: please install: ${need[*]} (tests that need them will skip)" >&2
  fi
  exit 0
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || echo "system-deps: could not install ${need[*]}" >&2
# Debian starts the services on install; the tests start their own throwaway servers.
$SUDO service postgresql stop >/dev/null 2>&1 || true
$SUDO service redis-server stop >/dev/null 2>&1 || true
$SUDO service nginx stop >/dev/null 2>&1 || true
exit 0
