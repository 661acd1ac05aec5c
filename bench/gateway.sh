#!/usr/bin/env bash
# lockstep's gateway and deployments against nginx, side by side in one run, on loopback only
# (temporary directories, free ports, every process stopped on exit):
#
#  1. throughput and latency: wrk (2 threads, 64 connections, 10 s, after a 3 s warm-up)
#     against (a) the backend directly, (b) nginx as a reverse proxy in front of it (upstream
#     keep-alive, a worker per core, a buffered access log) and (c) lockstep's gateway in front
#     of it, deployed as a release. The backend is one nginx process answering a small fixed
#     body (bench/gateway-backend.sh): the handler lockstep started is the one all three reach.
#     Goals: lockstep ≥ 0.8× nginx's requests/s, p99 ≤ 1.5× nginx's.
#  2. zero downtime: wrk through the gateway, counting non-2xx answers (a Lua hook) and
#     socket errors, while 20 deploys (releases B and A in turn, each a real cutover to a new
#     handler) and 20 rollbacks (each within the warm window) run; then the same load through
#     nginx doing blue/green (two backends, the upstream swapped in the config and
#     `nginx -s reload`, 40 times over the same length of time). Goal: 0 and 0.
#  3. cutover and rollback timing: the "switched NNNus after its health check passed" of the
#     20 deploys' cutover events; each warm rollback's finished_at - started_at and the wall
#     time of `lockstep rollback` (under the load of 2, and idle through hyperfine).
#     Goals: cutover < 5 ms, warm rollback < 50 ms.
#  4. idle memory: VmRSS of `lockstep serve` with one service deployed, idle. Goal: < 30 MB.
#
#   scripts/bootstrap bench && make release && bench/gateway.sh
#
# The three targets of 1 are measured in turn, BENCH_ROUNDS times (default 3), and the table shows
# each one's median, so that a burst of other work on the machine does not land on one target.
#
# LOCKSTEP=path/to/lockstep overrides build/release/lockstep; BENCH_DURATION (default 10s),
# BENCH_CONNECTIONS (64) and BENCH_ROUNDS (3) change the load of 1; BENCH_KEEP=1 keeps the
# temporary directory.
# Results: bench/out/gateway-*.txt (wrk), gateway-*.json, gateway-summary.md (the table).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
lockstep=$(realpath -m "${LOCKSTEP:-build/release/lockstep}")
out=$root/bench/out
duration=${BENCH_DURATION:-10s}
connections=${BENCH_CONNECTIONS:-64}
load_rounds=${BENCH_ROUNDS:-3}  # part 1 runs the three targets in turn this many times
warmup=3s
service=app
deploy_rounds=10  # each: deploy B, deploy A, rollback, rollback

fail() {
  echo "bench/gateway.sh: $*" >&2
  exit 1
}

help=$("$lockstep" --help 2>/dev/null || true)
grep -qE '^ +serve( |$)' <<<"$help" ||
  fail "$lockstep is missing or has no 'serve' command: run 'make release' first"
if [ -z "${LOCKSTEP:-}" ] && [ -n "$(find src CMakeLists.txt -newer "$lockstep" -print -quit)" ]; then
  echo "bench/gateway.sh: warning: src/ is newer than $lockstep; 'make release' to measure it" >&2
fi
for tool in nginx wrk hyperfine curl python3 ps; do
  command -v "$tool" >/dev/null || fail "no $tool: scripts/bootstrap bench"
done
mkdir -p "$out"

work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-gateway.XXXXXX")
export LOCKSTEP_HOME=$work/state
serve_pid=""
wrk_pid=""
nginx_pids=()    # nginx masters this script started (proxies and blue/green backends)
handler_pids=()  # handler process groups lockstep reported, checked after it stops

# Waits up to $2 seconds for process $1 to end, then kills it.
stop_process() {
  local pid=$1 bound=$2 waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((bound * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  set +e
  [ -n "$wrk_pid" ] && kill -TERM "$wrk_pid" 2>/dev/null && stop_process "$wrk_pid" 2
  for pid in "${nginx_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null && stop_process "$pid" 5
  done
  if [ -n "$serve_pid" ]; then
    # lockstep stops its handlers on SIGTERM; any group still alive after is reported.
    kill -TERM "$serve_pid" 2>/dev/null && stop_process "$serve_pid" 15
    for group in "${handler_pids[@]}"; do
      if kill -0 -- "-$group" 2>/dev/null; then
        echo "bench/gateway.sh: handler process group $group outlived lockstep serve" >&2
        kill -KILL -- "-$group" 2>/dev/null
      fi
    done
  fi
  # Backends whose lockstep serve died before it could stop them: found by their pid files,
  # and only while that pid is still an nginx started with that directory.
  for pid_file in "$work"/state/data/*/backend-*/nginx.pid; do
    [ -f "$pid_file" ] || continue
    pid=$(cat "$pid_file")
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$(dirname "$pid_file")/"; then
      echo "bench/gateway.sh: stopping backend $pid, left behind by lockstep serve" >&2
      kill -TERM "$pid" 2>/dev/null
    fi
  done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (at most 10 s) until URL answers 200 with a body containing TEXT.
wait_for() {  # URL TEXT
  local tries=0
  until curl -sf --max-time 1 "$1" 2>/dev/null | grep -qF "$2"; do
    tries=$((tries + 1))
    [ "$tries" -lt 200 ] || fail "$1 did not answer '$2' within 10 s"
    sleep 0.05
  done
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# The RSS of an nginx master and its workers together.
nginx_rss_kb() {
  local total
  total=$(rss_kb "$1")
  for child in $(ps -o pid= --ppid "$1"); do total=$((total + $(rss_kb "$child"))); done
  echo "$total"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# CPU time (user + system, all threads) of the given processes, in clock ticks.
cpu_ticks() {
  local total=0
  for pid in "$@"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo "$total"
}

api() { curl -sf --max-time 10 "http://$api_address$1"; }

# --- The releases and the load scripts ---------------------------------------------------------

make_release() {  # DIR BODY
  mkdir -p "$1"
  cp bench/gateway-backend.sh "$1/run.sh"
  chmod 755 "$1/run.sh"
  printf '%s' "$2" >"$1/body"
  printf 'handlers:\n  - name: web\n    command: [./run.sh]\n' >"$1/lockstep.release.yaml"
}
make_release "$work/release-a" "hello from release A"
make_release "$work/release-b" "hello from release B"

# Part 1: only a done() hook, so that wrk's own speed is untouched.
cat >"$work/stats.lua" <<'EOF'
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%.0f max_us=%d " ..
    "connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.timeout, e.status))
end
EOF

# Part 2: every answer that is not a 2xx, counted per thread and added up at the end.
cat >"$work/count.lua" <<'EOF'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0; s502 = 0; s503 = 0; s504 = 0; other = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if status == 502 then s502 = s502 + 1
    elseif status == 503 then s503 = s503 + 1
    elseif status == 504 then s504 = s504 + 1
    else other = other + 1 end
  end
end
function done(summary, latency, requests)
  local n, a, b, c, d = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    n = n + t:get("non2xx"); a = a + t:get("s502"); b = b + t:get("s503")
    c = c + t:get("s504"); d = d + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d non2xx=%d " ..
    "s502=%d s503=%d s504=%d other=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, n, a, b, c, d, e.connect, e.read, e.write, e.timeout))
end
EOF

# --- nginx as a reverse proxy ----------------------------------------------------------------

# Writes DIR/nginx.conf: a proxy on PORT for /app/ (prefix stripped, as lockstep's route) to
# 127.0.0.1:UPSTREAM, with the headers lockstep's gateway adds and an access log to a file.
write_proxy_conf() {  # DIR PORT UPSTREAM
  mkdir -p "$1"
  cat >"$1/nginx.conf.new" <<EOF
worker_processes 2;  # a worker per core, as lockstep serve runs a thread per core
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
  log_format timed '\$time_iso8601 \$remote_addr "\$request" \$status \$request_length '
                   '\$bytes_sent \$request_time \$request_id';
  access_log $1/access.log timed buffer=32k flush=1s;
  keepalive_requests 1000000;
  upstream backend {
    server 127.0.0.1:$3;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$2;
    location /app/ {
      proxy_pass http://backend/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$host;
      proxy_set_header X-Request-Id \$request_id;
      add_header X-Request-Id \$request_id;
    }
  }
}
EOF
  mv "$1/nginx.conf.new" "$1/nginx.conf"
}

start_nginx() {  # DIR (with nginx.conf); sets started_pid
  nginx -p "$1/" -e "$1/error.log" -c "$1/nginx.conf" -g 'daemon off;' &
  started_pid=$!
  nginx_pids+=("$started_pid")
}

start_backend() {  # RELEASE_DIR; sets started_pid and started_port
  started_port=$(free_port)
  PORT=$started_port DATA_DIR=$work/backends "$1/run.sh" &
  started_pid=$!
  nginx_pids+=("$started_pid")
}

# --- wrk ---------------------------------------------------------------------------------------

# Runs wrk with the load of part 1 against URL; its output goes to bench/out/gateway-NAME.txt,
# with the CPU time that PROCESSES (the proxy) spent during the measured run.
run_wrk() {  # NAME URL PROCESSES...
  local name=$1 url=$2 before
  shift 2
  wrk -t2 -c"$connections" -d"$warmup" "$url" >/dev/null
  before=$(cpu_ticks "$@")
  wrk -t2 -c"$connections" -d"$duration" --latency -s "$work/stats.lua" "$url" \
    >"$out/gateway-$name.txt" 2>&1
  echo "CPU ticks=$(($(cpu_ticks "$@") - before)) hz=$(getconf CLK_TCK)" >>"$out/gateway-$name.txt"
  grep -q '^RESULT ' "$out/gateway-$name.txt" || fail "wrk against $url printed no result"
}

# Starts wrk with the counting script against URL in the background, for at most 5 minutes;
# stop_counting ends it (wrk prints its results on SIGINT).
start_counting() {  # NAME URL
  counting_file=$out/gateway-$1.txt
  wrk -t2 -c"$connections" -d300s --latency -s "$work/count.lua" "$2" >"$counting_file" 2>&1 &
  wrk_pid=$!
  sleep 1  # let every connection open before the first change
}

stop_counting() {
  sleep 1  # and keep the load on a moment after the last one
  kill -INT "$wrk_pid"
  wait "$wrk_pid" || true
  wrk_pid=""
  grep -q '^RESULT ' "$counting_file" || fail "wrk printed no result in $counting_file"
}

now_ns() { date +%s%N; }

# --- 4 and the setup of 1: lockstep serve with release A ----------------------------------------

echo "machine: $(nproc) cores, $(uname -r), load $(loadavg)"
"$lockstep" serve --api 127.0.0.1:0 --gateway 127.0.0.1:0 --shutdown-grace 10s \
  >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 200); do
  [ -s "$LOCKSTEP_HOME/serve.json" ] && break
  kill -0 "$serve_pid" 2>/dev/null || fail "lockstep serve ended: $(cat "$work/serve.log")"
  sleep 0.05
done
[ -s "$LOCKSTEP_HOME/serve.json" ] || fail "lockstep serve wrote no serve.json within 10 s"
read -r api_address gateway_address < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["api"], s["gateway"])' "$LOCKSTEP_HOME/serve.json")

deploy() {  # DIR
  "$lockstep" deploy "$service" "$1" --route /app --strip-prefix --health /healthz --json
}
deploy "$work/release-a" >"$work/deploy-a.json" || fail "deploying release A failed: $(cat "$work/deploy-a.json")"
gateway_url=http://$gateway_address/app/
wait_for "$gateway_url" "release A"
active_port() {
  api "/api/v1/services/$service" | python3 -c '
import json, sys
print(next(p["port"] for p in json.load(sys.stdin)["processes"] if p["role"] == "active"))'
}
backend_port=$(active_port)
handler_pids+=($(api "/api/v1/services/$service" |
  python3 -c 'import json, sys; print(*[p["pid"] for p in json.load(sys.stdin)["processes"]])'))
sleep 2  # idle
idle_rss_kb=$(rss_kb "$serve_pid")
echo "lockstep serve (pid $serve_pid): API $api_address, gateway $gateway_address;" \
  "release A's handler on port $backend_port; idle VmRSS $idle_rss_kb kB"

# --- 1. Throughput and latency -----------------------------------------------------------------

proxy_port=$(free_port)
write_proxy_conf "$work/proxy" "$proxy_port" "$backend_port"
start_nginx "$work/proxy"
proxy_pid=$started_pid
nginx_url=http://127.0.0.1:$proxy_port/app/
direct_url=http://127.0.0.1:$backend_port/
wait_for "$nginx_url" "release A"
wait_for "$direct_url" "release A"
for url in "$direct_url" "$nginx_url" "$gateway_url"; do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ] || fail "$url does not answer 200"
done

load_before_1=$(loadavg)
echo "1. wrk -t2 -c$connections -d$duration --latency (after a $warmup warm-up), $load_rounds rounds," \
  "load $load_before_1"
backend_pids=$(api "/api/v1/services/$service" | python3 -c '
import json, sys
print(next(p["pid"] for p in json.load(sys.stdin)["processes"] if p["role"] == "active"))')
backend_pids="$backend_pids $(ps -o pid= --ppid "$backend_pids")"
proxy_pids="$proxy_pid $(ps -o pid= --ppid "$proxy_pid")"
rm -f "$out"/gateway-{direct,nginx,lockstep}-*.txt
for round in $(seq "$load_rounds"); do
  # shellcheck disable=SC2086 # lists of pids
  run_wrk "direct-$round" "$direct_url" $backend_pids
  # shellcheck disable=SC2086
  run_wrk "nginx-$round" "$nginx_url" $proxy_pids
  run_wrk "lockstep-$round" "$gateway_url" "$serve_pid"
  grep -H '^RESULT' "$out"/gateway-{direct,nginx,lockstep}-"$round".txt | sed "s|^$out/||"
done
load_after_1=$(loadavg)
loaded_rss_kb=$(rss_kb "$serve_pid")
proxy_rss_kb=$(nginx_rss_kb "$proxy_pid")

# --- 2 and 3. Deploys and rollbacks under load ---------------------------------------------------

echo "2. $((deploy_rounds * 2)) deploys and $((deploy_rounds * 2)) rollbacks under wrk through the" \
  "gateway, load $(loadavg)"
printf 'step\tkind\texit\twall_ms\n' >"$work/steps.tsv"
step_number=0
step() {  # KIND COMMAND...
  local kind=$1 start status=0 elapsed_us
  shift
  step_number=$((step_number + 1))
  start=$(now_ns)
  "$@" >"$work/step-$step_number.json" 2>"$work/step-$step_number.err" || status=$?
  elapsed_us=$((($(now_ns) - start) / 1000))
  printf '%d\t%s\t%d\t%d.%03d\n' "$step_number" "$kind" "$status" $((elapsed_us / 1000)) \
    $((elapsed_us % 1000)) >>"$work/steps.tsv"
}
start_counting lockstep-deploys "$gateway_url"
loop_start=$(now_ns)
for _ in $(seq "$deploy_rounds"); do
  step deploy deploy "$work/release-b"
  step deploy deploy "$work/release-a"
  step rollback "$lockstep" rollback "$service" --json
  step rollback "$lockstep" rollback "$service" --json
done
loop_ms=$((($(now_ns) - loop_start) / 1000000))
stop_counting
kill -0 "$serve_pid" 2>/dev/null ||
  fail "lockstep serve died during the deploys and rollbacks; its log: $(tail -20 "$work/serve.log")"
grep -h '^RESULT' "$counting_file"
cp "$work/steps.tsv" "$out/gateway-steps.tsv"
python3 - "$work" "$step_number" >"$out/gateway-steps.json" <<'EOF'
import json, sys
work, count = sys.argv[1], int(sys.argv[2])
steps = []
for n in range(1, count + 1):
    try:
        steps.append(json.load(open(f"{work}/step-{n}.json")))
    except ValueError:
        steps.append({"error": open(f"{work}/step-{n}.err").read().strip()})
json.dump(steps, sys.stdout, indent=1)
EOF

# Idle rollbacks: each one brings back the release the one before replaced, still warm.
echo "3. lockstep rollback, idle (hyperfine), load $(loadavg)"
hyperfine -N --warmup 2 --runs 20 --export-json "$out/gateway-rollback.json" \
  -n "lockstep rollback" "$lockstep rollback $service" \
  -n "lockstep status (a read through the API, for scale)" "$lockstep status $service"
api "/api/v1/services/$service/events?limit=1000" >"$out/gateway-events.json"
api "/api/v1/deployments?service=$service&limit=1000" >"$out/gateway-deployments.json"
handler_pids+=($(api "/api/v1/services/$service" |
  python3 -c 'import json, sys; print(*[p["pid"] for p in json.load(sys.stdin)["processes"]])'))
final_rss_kb=$(rss_kb "$serve_pid")

# The same load through nginx doing blue/green: the upstream swapped 40 times over the time the
# lockstep loop took.
start_backend "$work/release-a"
blue_port=$started_port
start_backend "$work/release-b"
green_port=$started_port
bluegreen_port=$(free_port)
write_proxy_conf "$work/bluegreen" "$bluegreen_port" "$blue_port"
start_nginx "$work/bluegreen"
bluegreen_url=http://127.0.0.1:$bluegreen_port/app/
wait_for "http://127.0.0.1:$blue_port/" "release A"
wait_for "http://127.0.0.1:$green_port/" "release B"
wait_for "$bluegreen_url" "release A"
swaps=$((deploy_rounds * 4))
interval=$(python3 -c "print(f'{max(0.05, $loop_ms / 1000 / $swaps):.3f}')")
echo "2. nginx blue/green: $swaps reloads, one every ${interval}s, under the same wrk, load $(loadavg)"
start_counting nginx-reloads "$bluegreen_url"
reload_failures=0
for swap in $(seq "$swaps"); do
  if [ $((swap % 2)) = 1 ]; then upstream=$green_port; else upstream=$blue_port; fi
  write_proxy_conf "$work/bluegreen" "$bluegreen_port" "$upstream"
  nginx -p "$work/bluegreen/" -e "$work/bluegreen/error.log" -c "$work/bluegreen/nginx.conf" \
    -s reload 2>>"$work/reload.err" || reload_failures=$((reload_failures + 1))
  sleep "$interval"
done
stop_counting
grep -h '^RESULT' "$counting_file"
load_end=$(loadavg)

# --- The table -----------------------------------------------------------------------------------

python3 - "$out" "$idle_rss_kb" "$loaded_rss_kb" "$final_rss_kb" "$proxy_rss_kb" "$loop_ms" \
  "$swaps" "$reload_failures" "$load_before_1" "$load_after_1" "$load_end" "$connections" \
  "$duration" "$(git describe --always --dirty)" "$load_rounds" <<'EOF'
import json, re, statistics, sys
from datetime import datetime

(out, idle_rss, loaded_rss, final_rss, proxy_rss, loop_ms, swaps, reload_failures, load_before,
 load_after, load_end, connections, duration, commit, rounds) = sys.argv[1:]
rounds = int(rounds)

def result(name):
    values = {}
    for line in open(f"{out}/gateway-{name}.txt"):
        if line.startswith("RESULT ") or line.startswith("CPU "):
            values.update({k: float(v) for k, v in (f.split("=") for f in line.split()[1:])})
    return values

def cpu_per_request(r):
    return r["ticks"] / r["hz"] * 1e6 / r["requests"]

def rps(r):
    return r["requests"] / (r["duration_us"] / 1e6)

def ms(us):
    return f"{us / 1000:.2f} ms"

def goal(met):
    return "met" if met else "**missed**"

def when(text):
    return datetime.fromisoformat(text.rstrip("Z"))

lines = [f"lockstep at {commit}; load average before / after part 1: {load_before} / "
         f"{load_after}; at the end: {load_end}", ""]

# 1. Each figure is the median over the rounds; errors are added up.
def medians(name):
    runs = [result(f"{name}-{n}") for n in range(1, rounds + 1)]
    merged = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    merged["max_us"] = max(r["max_us"] for r in runs)
    for k in ("connect", "read", "write", "timeout", "status"):
        merged[k] = sum(r[k] for r in runs)
    merged["rps"] = statistics.median(rps(r) for r in runs)
    merged["cpu"] = statistics.median(cpu_per_request(r) for r in runs)
    merged["rounds"] = [rps(r) for r in runs]
    return merged

direct, nginx, lockstep = medians("direct"), medians("nginx"), medians("lockstep")
lines += [f"### 1. Throughput and latency (wrk -t2 -c{connections} -d{duration} --latency; "
          f"median of {rounds} rounds)", "",
          "| target | requests/s | p50 | p99 | max | socket errors | non-2xx/3xx | CPU per request |",
          "| --- | --- | --- | --- | --- | --- | --- | --- |"]
for name, r in [("backend directly (nginx, 1 worker)", direct),
                ("nginx reverse proxy (2 workers)", nginx),
                ("lockstep gateway (2 threads)", lockstep)]:
    errors = int(r["connect"] + r["read"] + r["write"] + r["timeout"])
    lines.append(f"| {name} | {r['rps']:,.0f} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | "
                 f"{ms(r['max_us'])} | {errors} | {int(r['status'])} | {r['cpu']:.0f} µs |")
rps_ratio = lockstep["rps"] / nginx["rps"]
p99_ratio = lockstep["p99_us"] / nginx["p99_us"]
lines += ["", f"lockstep / nginx: requests/s **{rps_ratio:.2f}×** (goal ≥ 0.8: "
          f"{goal(rps_ratio >= 0.8)}), p50 {lockstep['p50_us'] / nginx['p50_us']:.2f}×, "
          f"p99 **{p99_ratio:.2f}×** (goal ≤ 1.5: {goal(p99_ratio <= 1.5)}), CPU per request "
          f"{lockstep['cpu'] / nginx['cpu']:.2f}×", "",
          "Requests/s of each round: " + "; ".join(
              f"{label} {', '.join(f'{v:,.0f}' for v in r['rounds'])}"
              for label, r in [("direct", direct), ("nginx", nginx), ("lockstep", lockstep)]),
          "",
          "CPU per request: user + system time of the process(es) in the row (the backend's nginx "
          "for the first, the proxy for the others) during the measured run, over its requests.", ""]

# 2.
steps = json.load(open(f"{out}/gateway-steps.json"))
table = [l.rstrip("\n").split("\t") for l in open(f"{out}/gateway-steps.tsv")][1:]
failed = [t for t in table if t[2] != "0"]
lines += ["### 2. Zero downtime under the same load (wrk with a Lua hook counting non-2xx)", "",
          "| through | requests | requests/s | non-2xx | socket errors (connect/read/write/timeout) "
          "| p99 | max |", "| --- | --- | --- | --- | --- | --- | --- |"]
for name, label in [("lockstep-deploys", f"lockstep: {sum(t[1] == 'deploy' for t in table)} "
                     f"deploys + {sum(t[1] == 'rollback' for t in table)} rollbacks in "
                     f"{int(loop_ms) / 1000:.1f} s"),
                    ("nginx-reloads", f"nginx: {swaps} upstream swaps + `nginx -s reload`")]:
    r = result(name)
    errors = "/".join(str(int(r[k])) for k in ("connect", "read", "write", "timeout"))
    detail = ", ".join(f"{int(r[k])}× {k[1:]}" for k in ("s502", "s503", "s504") if r[k])
    if r["other"]:
        detail += (", " if detail else "") + f"{int(r['other'])} other"
    lines.append(f"| {label} | {int(r['requests']):,} | {rps(r):,.0f} | {int(r['non2xx'])}"
                 f"{f' ({detail})' if detail else ''} | {errors} | {ms(r['p99_us'])} | "
                 f"{ms(r['max_us'])} |")
if failed:
    lines.append(f"\n**{len(failed)} of the lockstep steps failed** (exit codes "
                 f"{', '.join(t[2] for t in failed)}).")
if int(reload_failures):
    lines.append(f"\n**{reload_failures} nginx reloads failed.**")
lines.append("")

# 3.
events = json.load(open(f"{out}/gateway-events.json"))["events"]
deployments = json.load(open(f"{out}/gateway-deployments.json"))["deployments"]
by_id = {d["id"]: d for d in deployments}
loop_ids = [s["id"] for s in steps if "id" in s]
switched = {}
for event in events:
    match = re.search(r"switched (\d+)us after", event["message"])
    if event["kind"] == "cutover" and match and event["deployment"] is not None:
        switched[event["deployment"]] = int(match.group(1))
def cutovers(kind, ids):
    return [switched[i] for i in ids if i in switched and by_id.get(i, {}).get("kind") == kind]
deploy_cut = cutovers("deploy", loop_ids)
rollback_cut = cutovers("rollback", loop_ids)
def server_ms(d):
    return (when(d["finished_at"]) - when(d["started_at"])).total_seconds() * 1000
def warm(d):
    return any("kept warm" in (c.get("outcome") or "") for c in d.get("candidates", []))
loop_rollbacks = [by_id[i] for i in loop_ids if by_id.get(i, {}).get("kind") == "rollback"]
idle_rollbacks = [d for d in deployments
                  if d["kind"] == "rollback" and d["id"] > max(loop_ids, default=0)]
walls = [float(t[3]) for t in table if t[1] == "rollback"]
deploy_walls = [float(t[3]) for t in table if t[1] == "deploy"]
hyper = json.load(open(f"{out}/gateway-rollback.json"))["results"]
def spread(values, unit=""):
    if not values:
        return "none"
    return (f"median {statistics.median(values):.1f}{unit}, max {max(values):.1f}{unit} "
            f"(n = {len(values)})")
lines += ["### 3. Cutover and rollback timing", "", "| measure | value | goal |",
          "| --- | --- | --- |",
          f"| cutover of the deploys: switched after the health check | "
          f"{spread([v / 1000 for v in deploy_cut], ' ms')} | < 5 ms: "
          f"{goal(bool(deploy_cut) and max(deploy_cut) < 5000)} |",
          f"| cutover of the rollbacks: switched after the health check | "
          f"{spread([v / 1000 for v in rollback_cut], ' ms')} | |",
          f"| `lockstep deploy` wall time, under load | {spread(deploy_walls, ' ms')} | |",
          f"| warm rollback, finished_at − started_at, under load | "
          f"{spread([server_ms(d) for d in loop_rollbacks], ' ms')} | < 50 ms: "
          f"{goal(bool(loop_rollbacks) and max(server_ms(d) for d in loop_rollbacks) < 50)} |",
          f"| `lockstep rollback` wall time, under load | {spread(walls, ' ms')} | |",
          f"| warm rollback, finished_at − started_at, idle | "
          f"{spread([server_ms(d) for d in idle_rollbacks], ' ms')} | < 50 ms: "
          f"{goal(bool(idle_rollbacks) and max(server_ms(d) for d in idle_rollbacks) < 50)} |"]
for h in hyper:
    lines.append(f"| `{h['command'].split(' (')[0]}` wall time, idle (hyperfine, {len(h['times'])} runs) | "
                 f"{h['mean'] * 1000:.1f} ± {h['stddev'] * 1000:.1f} ms (max "
                 f"{h['max'] * 1000:.1f}) | |")
warm_count = sum(warm(d) for d in loop_rollbacks + idle_rollbacks)
lines += ["", f"Rollbacks that were route switches to a warm handler: {warm_count} of "
          f"{len(loop_rollbacks) + len(idle_rollbacks)}.", ""]

# 4.
lines += ["### 4. Memory", "", "| process | VmRSS | goal |", "| --- | --- | --- |",
          f"| lockstep serve, one service deployed, idle | {int(idle_rss) / 1024:.1f} MiB | "
          f"< 30 MB: {goal(int(idle_rss) * 1024 < 30e6)} |",
          f"| lockstep serve after part 1's load | {int(loaded_rss) / 1024:.1f} MiB | |",
          f"| lockstep serve after the deploys and rollbacks | {int(final_rss) / 1024:.1f} MiB | |",
          f"| nginx proxy (master + 2 workers) after part 1's load | "
          f"{int(proxy_rss) / 1024:.1f} MiB | |", ""]

text = "\n".join(lines)
print(text)
open(f"{out}/gateway-summary.md", "w").write(text + "\n")
EOF
