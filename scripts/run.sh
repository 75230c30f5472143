#!/usr/bin/env bash
# Start the assistant: action server, Rasa server (HTTP API; REST, socket.io,
# Telegram and Messenger channels), the demo shop page with the chat bubble, and
# the agent console. Ports and addresses come from the environment (defaults in brackets):
#   RASA_PORT [5005]  ACTION_PORT [5055]  WEB_PORT [8080]  HANDOFF_PORT [5070]
#   RASA_AUTH_TOKEN [generated into var/secrets.env]
#   RASA_PUBLIC_URL [the page's own host on RASA_PORT]: Rasa as browsers reach it
#   SEBA_ENDPOINTS [endpoints.yml]; DATABASE_URL [sqlite:///var/shop.db]: see README, Scaling out
# Channel tokens and secrets: var/channels.env if present (docs/channels.md).
# Ctrl-C stops everything.
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

# A token for Rasa's HTTP API (the handoff console uses it); generated once.
if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
  [ -f var/secrets.env ] || echo "RASA_AUTH_TOKEN=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')" > var/secrets.env
  # shellcheck disable=SC1091
  source var/secrets.env
fi
export RASA_AUTH_TOKEN

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

$BIN/rasa run actions --port "$ACTION_PORT" --actions actions > var/log/actions.log 2>&1 &
pids+=($!)
$BIN/python -m seba.server run --enable-api --auth-token "$RASA_AUTH_TOKEN" --cors "*" \
  --port "$RASA_PORT" --model models/seba.tar.gz --endpoints "$ENDPOINTS" \
  --credentials credentials.yml > var/log/rasa.log 2>&1 &
pids+=($!)
# The shop page + chat bubble; the bubble talks to Rasa's socket.io channel (hence --cors).
$BIN/python -m web.serve --port "$WEB_PORT" --rasa-port "$RASA_PORT" \
  ${RASA_PUBLIC_URL:+--rasa-url "$RASA_PUBLIC_URL"} > var/log/web.log 2>&1 &
pids+=($!)
# The agent console (handoff/): the queue and conversations, via Rasa's HTTP API.
RASA_URL="http://localhost:${RASA_PORT}" $BIN/python -m handoff serve --port "$HANDOFF_PORT" \
  > var/log/handoff.log 2>&1 &
pids+=($!)

echo "Starting Seba (logs in var/log/) ..."
for _ in $(seq 1 180); do
  if curl -fsS "http://localhost:${RASA_PORT}/status?token=${RASA_AUTH_TOKEN}" >/dev/null 2>&1; then break; fi
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "A server exited; see var/log/"; tail -20 var/log/*.log; exit 1; }; done
  sleep 1
done
cat <<MSG

Seba is running.
  Shop page + bubble: http://localhost:${WEB_PORT}/
  Agent console:      http://localhost:${HANDOFF_PORT}/  (add agents: make agent AGENT=rina AGENT_NAME="Rina")
  Talk to it (REST):  curl -s localhost:${RASA_PORT}/webhooks/rest/webhook -d '{"sender":"me","message":"আমার অর্ডার কোথায়?"}'
  In a terminal:      .venv/bin/python -m seba.server shell --port 5006 --endpoints endpoints.yml
  Rasa HTTP API:      http://localhost:${RASA_PORT}  (token in var/secrets.env)
  Action server:      http://localhost:${ACTION_PORT}/health
  Telegram webhook:   /webhooks/telegram/webhook   Messenger webhook: /webhooks/facebook/webhook
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
echo "A server stopped; see var/log/." >&2
exit 1
