#!/usr/bin/env bash
# Start the assistant: action server, Rasa server (HTTP API; web chat, Telegram,
# Messenger and REST channels), the demo shop page with the chat bubble, and the agent
# console. Everything listens on 127.0.0.1 only: a reverse proxy publishes the public paths
# (SECURITY.md). Ports and addresses come from the environment (defaults in brackets):
#   RASA_PORT [5005]  ACTION_PORT [5055]  WEB_PORT [8080]  HANDOFF_PORT [5070]
#   RASA_PUBLIC_URL [the page's own host on RASA_PORT]: Rasa as browsers reach it
#   SEBA_ENDPOINTS [endpoints.yml]; DATABASE_URL [sqlite:///var/shop.db]: see README, Scaling out
# Secrets: var/secrets.env (0600, created by `make secrets`), exported to the servers'
# environments, never put on a command line. Channel tokens: var/channels.env if present
# (docs/channels.md). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/log
BIN=.venv/bin
RASA_PORT=${RASA_PORT:-5005}
ACTION_PORT=${ACTION_PORT:-5055}
WEB_PORT=${WEB_PORT:-8080}
HANDOFF_PORT=${HANDOFF_PORT:-5070}
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
if [ -f var/channels.env ]; then set -a; source var/channels.env; set +a; fi

# The installation's shared secrets (Rasa's API, the action server, web-chat sessions).
$BIN/python -m seba.secrets 2>/dev/null
set -a
# shellcheck disable=SC1091
source var/secrets.env
set +a
# The demo page may open the chat bubble (the shop's own origins are in shop.yml).
export SEBA_ALLOWED_ORIGINS="${SEBA_ALLOWED_ORIGINS:+$SEBA_ALLOWED_ORIGINS,}http://localhost:${WEB_PORT},http://127.0.0.1:${WEB_PORT}"

# endpoints.yml (SQLite) unless SEBA_ENDPOINTS names another file, e.g.
# deploy/endpoints.postgres.yml. It names the default action server port; follow
# ACTION_PORT if changed.
ENDPOINTS=${SEBA_ENDPOINTS:-endpoints.yml}
if [ "$ENDPOINTS" = endpoints.yml ] && [ "$ACTION_PORT" != 5055 ]; then
  ENDPOINTS=var/endpoints.runtime.yml
  sed "s#http://localhost:5055/webhook#http://localhost:${ACTION_PORT}/webhook#" endpoints.yml > "$ENDPOINTS"
fi

pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT

$BIN/python -m seba.action_server --port "$ACTION_PORT" --actions actions > var/log/actions.log 2>&1 &
pids+=($!)
# seba.server adds --interface 127.0.0.1, the JWT secret and the allowed origins (--cors).
$BIN/python -m seba.server run --enable-api \
  --port "$RASA_PORT" --model models/seba.tar.gz --endpoints "$ENDPOINTS" \
  --credentials credentials.yml > var/log/rasa.log 2>&1 &
pids+=($!)
# The shop page + chat bubble; the bubble talks to Rasa's socket.io channel.
$BIN/python -m web.serve --port "$WEB_PORT" --rasa-port "$RASA_PORT" \
  ${RASA_PUBLIC_URL:+--rasa-url "$RASA_PUBLIC_URL"} > var/log/web.log 2>&1 &
pids+=($!)
# The agent console (handoff/): the queue and conversations, via Rasa's HTTP API.
RASA_URL="http://localhost:${RASA_PORT}" $BIN/python -m handoff serve --port "$HANDOFF_PORT" \
  > var/log/handoff.log 2>&1 &
pids+=($!)

echo "Starting Seba (logs in var/log/) ..."
for _ in $(seq 1 180); do
  if curl -fsS "http://localhost:${RASA_PORT}/" >/dev/null 2>&1; then break; fi
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "A server exited; see var/log/"; tail -20 var/log/*.log; exit 1; }; done
  sleep 1
done
cat <<MSG

Seba is running.
  Shop page + bubble: http://localhost:${WEB_PORT}/
  Agent console:      http://localhost:${HANDOFF_PORT}/  (add agents: make agent AGENT=rina AGENT_NAME="Rina")
  In a terminal:      make shell   (in a second terminal, while this runs)
  Rasa HTTP API:      http://localhost:${RASA_PORT}  (JWT bearer tokens: .venv/bin/python -m seba.secrets token)
  Action server:      http://localhost:${ACTION_PORT}/health  (Rasa only: shared secret)
  REST channel:       off until SEBA_REST_SECRET is set in var/channels.env (docs/channels.md)
  Telegram webhook:   /webhooks/telegram/webhook   Messenger webhook: /webhooks/facebook/webhook
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
echo "A server stopped; see var/log/." >&2
exit 1
