#!/usr/bin/env bash
# Start the assistant: action server, Rasa server (HTTP API; web chat, Telegram,
# Messenger and REST channels), the demo shop page with the chat bubble, and the agent
# console. Everything listens on 127.0.0.1 only: a reverse proxy publishes the public paths
# (SECURITY.md). Ports and addresses come from the environment (defaults in brackets):
#   RASA_PORT [5005]  ACTION_PORT [5055]  WEB_PORT [8080]  HANDOFF_PORT [5070]
#   MODEL_SERVER_PORT [5077]: the live model for Rasa's workers (docs/content-retrain.md)
#   RASA_PUBLIC_URL [the page's own host on RASA_PORT]: Rasa as browsers reach it
#   SEBA_ENDPOINTS [endpoints.yml]; DATABASE_URL [sqlite:///var/shop.db]: see README, Scaling out
#   RASA_WORKERS [2]: Rasa processes (Sanic workers) sharing the port; more than one needs
#     Redis for Rasa's lock store and the web chat's pushes: SEBA_REDIS_URL, else a local
#     redis-server (Debian package, `scripts/system-deps.sh run`) on REDIS_PORT [6380],
#     loopback only, nothing kept on disk. Without Redis, one worker.
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
  sed "s#http://localhost:5055/webhook#http://localhost:${ACTION_PORT}/webhook#" endpoints.yml \
    > var/endpoints.runtime.yml
  ENDPOINTS=var/endpoints.runtime.yml
fi

pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT

# Two Rasa workers use both cores. They share conversations through Rasa's Redis lock store
# (one message of a conversation at a time, whichever worker has it) and the web chat's
# emits through Redis (an agent's reply reaches the socket on either worker).
WORKERS=${RASA_WORKERS:-2}
REDIS_URL=${SEBA_REDIS_URL:-}
if [ "$WORKERS" -gt 1 ] && [ -z "$REDIS_URL" ]; then
  if command -v redis-server >/dev/null 2>&1; then
    REDIS_PORT=${REDIS_PORT:-6380}
    mkdir -p var/redis
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
      --dir var/redis > var/log/redis.log 2>&1 &
    pids+=($!)
    REDIS_URL="redis://127.0.0.1:${REDIS_PORT}"
    echo "Redis for the $WORKERS Rasa workers: 127.0.0.1:${REDIS_PORT} (var/log/redis.log)"
  else
    echo "redis-server is not installed (scripts/system-deps.sh run): one Rasa worker." >&2
    WORKERS=1
  fi
fi
if [ "$WORKERS" -gt 1 ]; then
  # Rasa's lock store from the endpoints file if it names one (deploy/endpoints.postgres.yml),
  # else this Redis, database 1; the web chat's pub/sub on database 2 (seba/workers.py).
  SOCKETIO_REDIS=$($BIN/python -m seba.workers "$ENDPOINTS" "$REDIS_URL" var/endpoints.workers.yml)
  ENDPOINTS=var/endpoints.workers.yml
  export SANIC_WORKERS=$WORKERS SEBA_SOCKETIO_REDIS_URL="${SEBA_SOCKETIO_REDIS_URL:-$SOCKETIO_REDIS}"
fi

# The live model for every worker (seba/model_server.py): Rasa's model-server protocol on
# loopback. A retrain or a rollback in the console replaces models/seba.tar.gz; each worker
# polls every few seconds and loads the new file without a restart (seba/model_pull.py).
MODEL_SERVER_PORT=${MODEL_SERVER_PORT:-5077}
$BIN/python -m seba.model_server serve --port "$MODEL_SERVER_PORT" > var/log/model-server.log 2>&1 &
pids+=($!)
$BIN/python -m seba.model_server endpoints "$ENDPOINTS" var/endpoints.live.yml \
  --url "http://127.0.0.1:${MODEL_SERVER_PORT}/model"
ENDPOINTS=var/endpoints.live.yml

# One action-server process is enough (its work is a few SQL queries per call).
SANIC_WORKERS=1 $BIN/python -m seba.action_server --port "$ACTION_PORT" --actions actions \
  > var/log/actions.log 2>&1 &
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
# Ready when every worker has loaded the model (each logs it), and Rasa answers.
for _ in $(seq 1 180); do
  up=$(grep -c "Rasa server is up and running" var/log/rasa.log 2>/dev/null || true)
  if [ "${up:-0}" -ge "$WORKERS" ] && curl -fsS "http://localhost:${RASA_PORT}/" >/dev/null 2>&1; then
    break
  fi
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "A server exited; see var/log/"; tail -20 var/log/*.log; exit 1; }; done
  sleep 1
done
cat <<MSG

Seba is running ($WORKERS Rasa worker(s)).
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
