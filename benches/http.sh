#!/usr/bin/env bash
# HTTP benchmarks of `vigil serve` (see BENCHMARKS.md). The load comes from
# wrk, a separate process on loopback; the server runs a release build on a
# fresh database with the example rotas.
#
#   bash benches/http.sh sqlite      # or: postgres (needs 127.0.0.1:5432, trust auth)
#
# Needs wrk (apt-get install wrk). Prints wrk's reports; nothing is kept.
set -euo pipefail
backend=${1:-sqlite}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release -q --manifest-path "$root/Cargo.toml"
bin="$root/target/release/vigil"
work=$(mktemp -d)
port=18181
base="http://127.0.0.1:$port"
cp -r "$root/schedules" "$work/"
cd "$work"
if [ "$backend" = postgres ]; then
  db="vigil_bench_$$"
  psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $db"
  url="postgres://postgres@127.0.0.1:5432/$db"
else
  url="sqlite://$work/vigil.db"
fi
RUST_LOG=warn "$bin" serve --listen "127.0.0.1:$port" --database-url "$url" 2>"$work/serve.log" &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$backend" = postgres ]; then psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; fi
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 50); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
token=$(cat vigil-admin-token)
auth="Authorization: Bearer $token"
json="Content-Type: application/json"

# Three 12-hour rotas that all include erin, for a per-person feed.
for r in 1 2 3; do
  curl -sf -X PUT -H "$auth" -H "$json" "$base/api/v1/teams/sre/rotas/twelve-$r" -d "{\"document\":{\"layers\":[{\"name\":\"l$r\",\"rotations\":[{\"cadence\":\"day_night\",\"handoff_times\":[\"0$((6 + r)):00\",\"$((18 + r)):00\"],\"start\":\"2026-01-05\",\"participants\":[\"erin\",\"frank\",\"grace\",\"heidi\",\"ivan\"]}]}]},\"accept_violations\":true}" >/dev/null
done
feed=$(curl -sf -X POST -H "$auth" -H "$json" "$base/api/v1/feeds" -d '{"person":"erin"}' | sed 's/.*"url":"\([^"]*\)".*/\1/')
events=$(curl -sf "$feed" | grep -c BEGIN:VEVENT)

echo "== [$backend] GET on-call, 64 connections, 2 wrk threads, 20 s"
wrk -t2 -c64 -d20s --latency -H "$auth" "$base/api/v1/teams/sre/rotas/sre-day-night/oncall"
echo "== [$backend] GET on-call, 16 connections, 2 wrk threads, 20 s"
wrk -t2 -c16 -d20s --latency -H "$auth" "$base/api/v1/teams/sre/rotas/sre-day-night/oncall"
echo "== [$backend] per-person ICS feed ($events events over 3 rotas), cached (no change since the last fetch), 1 connection, 10 s"
wrk -t1 -c1 -d10s --latency "$feed"
echo "== [$backend] per-person ICS feed, cold: the first fetch after a change (a team update), 50 times"
for _ in $(seq 1 50); do
  curl -sf -o /dev/null -X PUT -H "$auth" -H "$json" "$base/api/v1/teams/sre" -d '{"timezone":"America/New_York","lead":"ivan"}'
  curl -sf -o /dev/null -w '%{time_total}\n' "$feed"
done | sort -n | awk '{ t[NR] = $1 * 1000 } END { printf "cold feed fetch (ms): p50 %.2f  p90 %.2f  max %.2f  (n=%d)\n", t[int(NR * 0.5)], t[int(NR * 0.9)], t[NR], NR }'
echo "== [$backend] per-person ICS feed, first fetch after an edit to another rota (an override in payments), 50 times"
for i in $(seq 1 50); do
  day=$(printf '%02d' $(( (i % 28) + 1 )))
  month=$(printf '%02d' $(( (i / 28) + 1 )))
  curl -sf -o /dev/null -X POST -H "$auth" -H "$json" "$base/api/v1/teams/payments/rotas/payments-weekly/overrides" \
    -d "{\"layer\":\"primary\",\"kind\":\"add\",\"person\":\"erin\",\"start\":\"2028-$month-${day}T10:00:00Z\",\"end\":\"2028-$month-${day}T11:00:00Z\",\"accept_violations\":true}"
  curl -sf -o /dev/null -w '%{time_total}\n' "$feed"
done | sort -n | awk '{ t[NR] = $1 * 1000 } END { printf "feed fetch after an edit elsewhere (ms): p50 %.2f  p90 %.2f  max %.2f  (n=%d)\n", t[int(NR * 0.5)], t[int(NR * 0.9)], t[NR], NR }'
echo "== [$backend] override writes (POST, each validated and checked), 1 connection, 10 s"
cat > post.lua <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  local start = os.time({year = 2027, month = 1, day = 1, hour = 0}) + counter * 7200
  local body = string.format('{"layer":"on-call","kind":"add","person":"erin","start":"%s","end":"%s"}',
    os.date("!%Y-%m-%dT%H:%M:%SZ", start), os.date("!%Y-%m-%dT%H:%M:%SZ", start + 3600))
  return wrk.format("POST", "/api/v1/teams/sre/rotas/sre-day-night/overrides", nil, body)
end
response = function(status, headers, body)
  if status ~= 201 then io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n") end
end
LUA
wrk -t1 -c1 -d10s --latency -s post.lua -H "$auth" -H "$json" "$base"
echo "== [$backend] overrides stored: $(curl -sf -H "$auth" "$base/api/v1/teams/sre/rotas/sre-day-night/overrides" | grep -o '"id"' | wc -l)"
