#!/usr/bin/env bash
# Load benchmark of the runtime against this machine's HTTP limit (issue 8).
#
# Starts the release runtime on MariaDB + Redis twice, with its rate limits on (every limit of the
# spec at 1,000,000 requests per 2 s, a budget no client here reaches, so the limiter runs on
# every request and refuses none) and off, a static responder (runtime/examples/
# static_responder.rs: the machine's HTTP limit) that answers with the bytes the runtime sent for
# the same request, and the salvo floor (runtime/examples/salvo_floor.rs: the runtime's HTTP
# stack replaying the same bytes, without the application), then, for ROUNDS rounds in rotating
# order, runs every scenario with wrk against all four: a WARMUP, then DURATION seconds measured.
# A full run writes every run to tests/load/runs.tsv, the medians to tests/load/results.md and
# into BENCHMARKS.md between the load-results markers.
#
# Traffic goes to 127.0.0.1 only; each wrk run stops after its duration. Needs wrk (Debian's
# package; installed here when missing and run as root), the mysql client, MariaDB and Redis.
#
#   tests/load/run.sh                          # 3 rounds x 5 scenarios x 3 servers, 15 s each
#   ROUNDS=1 DURATION=5 SCENARIOS="list" tests/load/run.sh   # a quick look (printed only)
#   BASELINE=/tmp/old-expense-backend tests/load/run.sh      # A/B: another build of the runtime,
#       measured in the same rounds (limits on and off) on its own databases and Redis key
#       prefixes (printed only)
#   SPEC=/tmp/older-expense.toml BASELINE=... tests/load/run.sh  # the spec both start from, when
#       the baseline predates a key the current spec uses
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
SCENARIOS=${SCENARIOS:-health list byid mixed post}
MYSQL_HOST=${MYSQL_HOST:-127.0.0.1}
MYSQL_PORT=${MYSQL_PORT:-3306}
DATABASE=${DATABASE:-expense_load}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
RUNTIME_PORT=${RUNTIME_PORT:-18080}
LIMIT_PORT=${LIMIT_PORT:-18081}
FLOOR_PORT=${FLOOR_PORT:-18082}
BASELINE=${BASELINE:-}
# RUNTIME: a runtime binary to measure instead of this tree's release build.
RUNTIME=${RUNTIME:-}
# SPEC: the spec the benchmark spec is made from.
SPEC=${SPEC:-specs/expense.toml}
BASELINE_PORT=${BASELINE_PORT:-18083}
UNLIMITED_PORT=${UNLIMITED_PORT:-18084}
BASELINE_UNLIMITED_PORT=${BASELINE_UNLIMITED_PORT:-18085}
SEED_ROWS=100
WORK=$(mktemp -d)
# A full run (the defaults) writes the committed results files and BENCHMARKS.md; a partial one
# writes its files to the scratch directory (removed at exit) and only prints its table, so the
# committed files always agree with BENCHMARKS.md's table.
full_run=$([[ $ROUNDS -ge 3 && $DURATION -ge 15 && "$SCENARIOS" == "health list byid mixed post" \
  && -z $BASELINE && $SPEC == specs/expense.toml ]] && echo yes || echo no)
out=$([[ $full_run == yes ]] && echo tests/load || echo "$WORK")
RUNS=$out/runs.tsv
RESULTS=$out/results.md

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  else
    echo "run.sh: wrk is missing: apt-get install wrk" >&2
    exit 2
  fi
fi
sql() { mysql -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u root "$@"; }

echo "== build (release)"
cargo build -q --release -p runtime --bin expense-backend --example static_responder \
  --example salvo_floor
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]*)".*/\1/')
runtime_bin=${RUNTIME:-$target_dir/release/expense-backend}
responder_bin=$target_dir/release/examples/static_responder
floor_bin=$target_dir/release/examples/salvo_floor

# The benchmark specs, from the example spec, since 64 connections from one address would be
# throttled after 100 requests a minute: limits on, every budget (the service's and each route's)
# at 1,000,000 per 2 s (the schema's largest budget, in a window short enough that no client
# here reaches it; routes without a limit keep none); limits off, `rate_limit = false` on every
# route. (Routes are `[[services.<name>.routes]]`; a baseline's older spec has `[[routes]]`.)
sed -E 's/^rate_limit *= *\{[^}]*\}/rate_limit = { requests = 1000000, window = "2s" }/' \
  "$SPEC" >"$WORK/spec-on.toml"
grep -q '^rate_limit = { requests = 1000000, window = "2s" }' "$WORK/spec-on.toml"
awk '
  /^\[\[(services\.[^]]+\.)?routes\]\]/ { in_route = 1 }
  /^\[/ && !/^\[\[(services\.[^]]+\.)?routes\]\]/ { in_route = 0 }
  in_route && /^rate_limit *=/ { next }
  { print }
  in_route && /^handler *=/ { print "rate_limit = false" }
' "$SPEC" >"$WORK/spec-off.toml"

declare -A port_of pid_of database_of
# start_runtime name binary port database spec: a runtime on its own database and key prefix.
start_runtime() {
  local name=$1 bin=$2 port=$3 database=$4 spec=$5
  sql -e "DROP DATABASE IF EXISTS $database; CREATE DATABASE $database"
  PLATFORM_SPEC=$spec ENVIRONMENT=prod LISTEN_ADDR=127.0.0.1:$port \
    DATABASE_URL="mysql://root@$MYSQL_HOST:$MYSQL_PORT/$database" \
    REDIS_URL=$REDIS_URL REDIS_KEY_PREFIX="load-$name-$$-$(date +%s):" \
    "$bin" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$port/ready" >/dev/null
  port_of[$name]=$port
  pid_of[$name]=$pid
  database_of[$name]=$database
}

echo "== start the runtime (prod settings, MariaDB, Redis), limits on and off"
start_runtime runtime "$runtime_bin" "$RUNTIME_PORT" "$DATABASE" "$WORK/spec-on.toml"
start_runtime unlimited "$runtime_bin" "$UNLIMITED_PORT" "${DATABASE}_unlimited" "$WORK/spec-off.toml"
base=http://127.0.0.1:$RUNTIME_PORT
runtimes=(runtime unlimited)
servers=(limit runtime floor unlimited)
if [[ -n $BASELINE ]]; then
  echo "== start the baseline ($BASELINE), limits on and off"
  start_runtime baseline "$BASELINE" "$BASELINE_PORT" "${DATABASE}_baseline" "$WORK/spec-on.toml"
  start_runtime baseline_unlimited "$BASELINE" "$BASELINE_UNLIMITED_PORT" \
    "${DATABASE}_baseline_unlimited" "$WORK/spec-off.toml"
  runtimes+=(baseline baseline_unlimited)
  servers+=(baseline baseline_unlimited)
fi

json=(-H 'Content-Type: application/json')
# Empties the table through the API (so the cache is invalidated), restarts the ids at 1 and
# seeds SEED_ROWS transactions: every round reads the same 100 rows (on every runtime's
# database).
reseed_one() { # base url, database
  curl -fsS -X DELETE "$1/transaction" >/dev/null
  sql "$2" -e "ALTER TABLE transactions AUTO_INCREMENT = 1"
  for i in $(seq "$SEED_ROWS"); do
    curl -fsS "${json[@]}" -d "{\"amount\": $i.25, \"description\": \"seeded transaction $i\"}" \
      "$1/transaction" >/dev/null
  done
}
reseed() {
  for name in "${runtimes[@]}"; do
    reseed_one "http://127.0.0.1:${port_of[$name]}" "${database_of[$name]}"
  done
}
reseed
first_id=$(curl -fsS "$base/transaction" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
last_id=$((first_id + SEED_ROWS - 1))

echo "== capture the runtime's responses for the static responder"
capture() { # name, curl arguments...
  local name=$1
  shift
  curl -fsS --include "$@" >"$WORK/$name.http"
}
capture health "$base/health"
capture list "$base/transaction"
capture byid -X GET "${json[@]}" -d "{\"id\": $first_id}" "$base/transaction/id"
capture post "${json[@]}" -d '{"amount": 12.5, "description": "load test"}' "$base/transaction"
id=$(grep -o '"id":[0-9]*' "$WORK/post.http" | cut -d: -f2)
capture delete -X DELETE "${json[@]}" -d "{\"id\": $id}" "$base/transaction/id"
replayed=("GET /health=$WORK/health.http" "GET /transaction=$WORK/list.http"
  "GET /transaction/id=$WORK/byid.http" "POST /transaction=$WORK/post.http"
  "DELETE /transaction/id=$WORK/delete.http")
"$responder_bin" "127.0.0.1:$LIMIT_PORT" "${replayed[@]}" >/dev/null &
responder_pid=$!
pids+=("$responder_pid")
"$floor_bin" "127.0.0.1:$FLOOR_PORT" "${replayed[@]}" >/dev/null &
floor_pid=$!
pids+=("$floor_pid")
sleep 0.3
kill -0 "$responder_pid"
kill -0 "$floor_pid"
port_of[limit]=$LIMIT_PORT pid_of[limit]=$responder_pid
port_of[floor]=$FLOOR_PORT pid_of[floor]=$floor_pid

scenario_args() { # scenario -> script, path, script arguments
  case $1 in
    health) echo "tests/load/get.lua /health" ;;
    list) echo "tests/load/get.lua /transaction" ;;
    byid) echo "tests/load/byid.lua /transaction/id -- $first_id $last_id" ;;
    mixed) echo "tests/load/mixed.lua /transaction" ;;
    post) echo "tests/load/post.lua /transaction" ;;
  esac
}

field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" <<<"$2"; }

measure() { # round, scenario, server
  local round=$1 scenario=$2 server=$3
  local port=${port_of[$server]} pid=${pid_of[$server]}
  read -r script path rest <<<"$(scenario_args "$scenario")"
  local url=http://127.0.0.1:$port$path
  # shellcheck disable=SC2086 # rest holds wrk's script arguments
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$script" "$url" $rest >/dev/null
  echo 5 >"/proc/$pid/clear_refs" # resets the peak RSS (VmHWM) to the current RSS
  local out
  # shellcheck disable=SC2086
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -s "$script" "$url" $rest \
    | grep '^{"requests"')
  local rss_kb
  rss_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$scenario" "$server" \
    "$(field rps "$out")" "$(field p50_ms "$out")" "$(field p95_ms "$out")" \
    "$(field p99_ms "$out")" "$(field socket_errors "$out")" "$(field http_errors "$out")" \
    "$rss_kb" | tee -a "$RUNS"
}

printf 'round\tscenario\tserver\trps\tp50_ms\tp95_ms\tp99_ms\tsocket_errors\thttp_errors\tpeak_rss_kb\n' >"$RUNS"
for round in $(seq "$ROUNDS"); do
  echo "== round $round of $ROUNDS"
  [[ $round -gt 1 ]] && reseed
  for scenario in $SCENARIOS; do
    # The servers' order rotates from round to round.
    shift_by=$(((round - 1) % ${#servers[@]}))
    order=("${servers[@]:shift_by}" "${servers[@]:0:shift_by}")
    for server in "${order[@]}"; do measure "$round" "$scenario" "$server"; done
  done
done

# Medians per scenario and server, then one row per scenario with the ratios and the targets:
# the targets hold the runtime as deployed, its limits on; the limiter's cost is limits on over
# limits off.
summarize() {
  awk -F'\t' -v duration="$DURATION" -v rounds="$ROUNDS" '
    function median(key, col,    n, i, j, v, t) {
      n = count[key]
      for (i = 1; i <= n; i++) v[i] = value[key, i, col]
      for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
      return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    NR > 1 {
      key = $2 SUBSEP $3
      if (!(key in count)) { if (!seen[$2]++) order[++scenarios] = $2 }
      n = ++count[key]
      for (c = 4; c <= 10; c++) value[key, n, c] = $c
      errors[key] += $8 + $9
    }
    END {
      print "| scenario | limits on req/s | limit req/s | ratio | limits off req/s (ratio) | limiter cost: on / off | salvo floor req/s (ratio) | limits on p50 / p95 / p99 ms | limit p99 ms | p99 ratio | errors | peak RSS MB | target (limits on) | met |"
      print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
      for (s = 1; s <= scenarios; s++) {
        name = order[s]; r = name SUBSEP "runtime"; l = name SUBSEP "limit"; f = name SUBSEP "floor"
        u = name SUBSEP "unlimited"
        rps = median(r, 4); lrps = median(l, 4); ratio = lrps ? rps / lrps : 0
        urps = (u in count) ? median(u, 4) : 0; uratio = lrps ? urps / lrps : 0; cost = urps ? rps / urps : 0
        frps = (f in count) ? median(f, 4) : 0; fratio = lrps ? frps / lrps : 0
        p99 = median(r, 7); lp99 = median(l, 7); p99ratio = lp99 ? p99 / lp99 : 0
        rss = median(r, 10) / 1024
        if (name == "health") { target = "ratio >= 0.8"; met = ratio >= 0.8 }
        else if (name == "list") { target = "ratio >= 0.5, p99 <= 2x, RSS <= 64 MB"; met = ratio >= 0.5 && p99ratio <= 2 && rss <= 64 }
        else if (name == "byid") { target = "ratio >= 0.5, p99 <= 2x"; met = ratio >= 0.5 && p99ratio <= 2 }
        else if (name == "mixed") { target = "ratio >= 0.3"; met = ratio >= 0.3 }
        else if (name == "post") { target = ">= 6,500 req/s"; met = rps >= 6500 }
        else { target = "-"; met = 1 }
        met = met && errors[r] + errors[u] == 0
        printf "| %s | %.0f | %.0f | %.2f | %.0f (%.2f) | %.2f | %.0f (%.2f) | %.2f / %.2f / %.2f | %.2f | %.2f | %d | %.1f | %s | %s |\n", \
          name, rps, lrps, ratio, urps, uratio, cost, frps, fratio, median(r, 5), median(r, 6), p99, lp99, p99ratio, errors[r] + errors[u], rss, target, met ? "yes" : "**no**"
      }
      printf "\nMedians of %d rounds (server order rotating) of %d s per scenario and server, after a warm-up. The salvo floor is the runtime'"'"'s HTTP stack replaying the same bytes without the application.\n", rounds, duration
    }' "$RUNS"
}

# With a baseline: the runtime against it, limits on and off, and the limiter's cost (limits on
# over off) in each build, scenario by scenario (medians).
compare_baseline() {
  awk -F'\t' '
    function median(key, col,    n, i, j, v, t) {
      n = count[key]
      for (i = 1; i <= n; i++) v[i] = value[key, i, col]
      for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
      return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    NR > 1 {
      key = $2 SUBSEP $3
      if (!(key in count)) { if (!seen[$2]++) order[++scenarios] = $2 }
      n = ++count[key]
      value[key, n, 4] = $4; value[key, n, 7] = $7; value[key, n, 10] = $10
    }
    END {
      print "| scenario | limits on: runtime / baseline req/s | ratio | limits off: runtime / baseline req/s | ratio | limiter cost (on / off): runtime | baseline | limits on p99 ms: runtime / baseline | limits on peak RSS MB: runtime / baseline |"
      print "|---|---:|---:|---:|---:|---:|---:|---|---|"
      for (s = 1; s <= scenarios; s++) {
        name = order[s]; r = name SUBSEP "runtime"; b = name SUBSEP "baseline"
        ru = name SUBSEP "unlimited"; bu = name SUBSEP "baseline_unlimited"
        on = median(r, 4); bon = median(b, 4); off = median(ru, 4); boff = median(bu, 4)
        printf "| %s | %.0f / %.0f | %.3f | %.0f / %.0f | %.3f | %.3f | %.3f | %.2f / %.2f | %.1f / %.1f |\n", name, on, bon, \
          bon ? on / bon : 0, off, boff, boff ? off / boff : 0, off ? on / off : 0, boff ? bon / boff : 0, \
          median(r, 7), median(b, 7), median(r, 10) / 1024, median(b, 10) / 1024
      }
    }' "$RUNS"
}

{
  echo "<!-- written by tests/load/run.sh; do not edit -->"
  echo "Load benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS, runtime on MariaDB + Redis (prod settings), its rate limits on (every budget at 1,000,000 per 2 s, which no client here reaches) and off."
  echo
  summarize
} >"$RESULTS"
cat "$RESULTS"
if [[ -n $BASELINE ]]; then
  echo
  echo "A/B against the baseline, same rounds (${ROUNDS} x ${DURATION} s, order rotating):"
  compare_baseline
fi

if [[ $full_run == yes ]]; then
  awk -v results="$RESULTS" '
    /<!-- load-results:begin -->/ { print; while ((getline line < results) > 0) print line; skip = 1; next }
    /<!-- load-results:end -->/ { skip = 0 }
    !skip { print }
  ' BENCHMARKS.md >"$WORK/BENCHMARKS.md"
  cp "$WORK/BENCHMARKS.md" BENCHMARKS.md
  echo "BENCHMARKS.md updated"
fi
