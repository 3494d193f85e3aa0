#!/usr/bin/env bash
# Intake under concurrency (see BENCHMARKS.md): PagerDuty Events v2
# triggers posted to `/v2/enqueue` by wrk from 16, 64 and 256 connections,
# 6 s each, once with a distinct dedup key per request (every request opens
# a new alert) and once with one new dedup key per run (one alert, counted).
#
#   bash benches/intake.sh postgres      # or: sqlite
#
# Needs wrk (apt-get install wrk). The server is a release build on a fresh
# database; the dispatcher pages the console, so sends cost nothing here.
set -euo pipefail
backend=${1:-postgres}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release -q --manifest-path "$root/Cargo.toml"
bin="$root/target/release/vigil"
work=$(mktemp -d)
port=18282
base="http://127.0.0.1:$port"
cd "$work"
if [ "$backend" = postgres ]; then
  db="vigil_intake_$$"
  psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $db"
  url="postgres://postgres@127.0.0.1:5432/$db"
else
  url="sqlite://$work/vigil.db"
fi
cp -r "$root/schedules" "$work/"
RUST_LOG=warn "$bin" serve --listen "127.0.0.1:$port" --database-url "$url" >/dev/null 2>"$work/serve.log" &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$backend" = postgres ]; then psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; fi
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 50); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
auth="Authorization: Bearer $(cat vigil-admin-token)"
json="Content-Type: application/json"
curl -sf -X PUT -H "$auth" -H "$json" "$base/api/v1/services/bench" \
  -d '{"team":"payments","ladder":{"stages":[{"timeout":"1h","targets":["person:alice"]}]}}' >/dev/null
key=$(curl -sf -X POST -H "$auth" -H "$json" "$base/api/v1/services/bench/keys" -d '{}' | sed 's/.*"key":"\([^"]*\)".*/\1/')

cat > trigger.lua <<LUA
-- mode "distinct": a new dedup key per request (thread id + counter);
-- mode "shared": one dedup key for the whole run.
local mode = os.getenv("MODE")
local run = os.getenv("RUN")
local n = 0
local id = 0
setup = function(thread) thread:set("id", id); id = id + 1 end
request = function()
  n = n + 1
  local dk = run
  if mode == "distinct" then dk = run .. "-" .. id .. "-" .. n end
  local body = '{"routing_key":"$key","event_action":"trigger","dedup_key":"' .. dk ..
    '","payload":{"summary":"bench","source":"wrk","severity":"critical"}}'
  return wrk.format("POST", "/v2/enqueue", {["Content-Type"] = "application/json"}, body)
end
LUA

for mode in distinct shared; do
  for c in 16 64 256; do
    echo "== [$backend] $mode dedup keys, $c connections, 2 wrk threads, 6 s"
    MODE=$mode RUN="$mode-$c" wrk -t2 -c"$c" -d6s --timeout 10s --latency -s trigger.lua "$base" \
      | grep -E "Requests/sec|Non-2xx|Socket errors|50%|90%|99%|requests in"
  done
done
echo "== server log lines at warn or above: $(wc -l < serve.log)"
grep -c "intake answered 503" serve.log || true
