#!/usr/bin/env bash
# The audit chain against its goals (issue 6): appending over 10,000 records a second, and
# `lockstep audit verify` over a chain of 1,000,000 records in under 2 s.
#
#  1. append rate: 20,000 appends through the real AuditLog::Append (one store transaction and
#     one line of audit.jsonl each, under the file lock), by bench/audit_bench.cc, three times
#     on a fresh state directory; then two processes appending 10,000 each to one chain at
#     once, and one process with two threads.
#  2. the 1,000,000-record chain, built by the same Append path (its rate is reported too);
#     `lockstep audit verify` over it timed with hyperfine, beside `sha256sum audit.jsonl`
#     (hashing the file once, with no SQLite and no comparison) for scale; its peak memory.
#
# Before timing it checks that a chain verifies, and that verify finds one edited byte and
# names its line. Every state directory is on BENCH_DIR's filesystem, page cache warm.
#
#   scripts/bootstrap bench && make release && bench/audit.sh      (or: make bench-audit)
#
# Builds build/release/lockstep_audit_bench (configuring the release tree with
# -DLOCKSTEP_BENCH=ON) and, unless LOCKSTEP=path/to/lockstep is given, build/release/lockstep.
# BENCH_DIR=dir moves the data (default bench/out; about 700 MB for the large chain: 330 MB of
# audit.jsonl and 380 MB of state.db). AUDIT_RECORDS=n changes the size of the large chain.
# Results: bench/out/audit-verify.{md,json}, audit-summary.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
data=${BENCH_DIR:-$out}
records=${AUDIT_RECORDS:-1000000}
lockstep=${LOCKSTEP:-build/release/lockstep}
helper=build/release/lockstep_audit_bench

fail() {
  echo "bench/audit.sh: $*" >&2
  exit 1
}

for tool in cmake hyperfine python3 sha256sum /usr/bin/time; do
  command -v "$tool" >/dev/null || fail "no $tool: scripts/bootstrap bench"
done
cmake --preset release -DLOCKSTEP_BENCH=ON >/dev/null
targets=(lockstep_audit_bench)
[ -n "${LOCKSTEP:-}" ] || targets+=(lockstep)
cmake --build --preset release -j "${JOBS:-2}" --target "${targets[@]}" >/dev/null
mkdir -p "$out" "$data"
filesystem=$(df -PT "$data" | awk 'NR == 2 {print $2}')

rate() { sed -n 's/.*: \([0-9]*\) records\/s.*/\1/p'; }

# --- Correctness, before any timing -------------------------------------------------------
small=$data/audit-small
rm -rf "$small"
"$helper" append "$small" 1000 >/dev/null
LOCKSTEP_HOME=$small "$lockstep" audit verify | grep -q "^audit chain intact: 1000 records" ||
  fail "lockstep audit verify does not accept a fresh chain of 1000 records"
cp "$small/audit.jsonl" "$small/audit.jsonl.good"
sed -i '500s/"actor":"a/"actor":"b/' "$small/audit.jsonl"
status=0
report=$(LOCKSTEP_HOME=$small "$lockstep" audit verify) || status=$?
[ "$status" -eq 1 ] || fail "verify exits $status, not 1, after one byte of line 500 changed"
grep -q "^audit.jsonl:500: record 500: content does not match its hash (edited)$" <<<"$report" ||
  fail "verify does not name line 500: $report"
mv "$small/audit.jsonl.good" "$small/audit.jsonl"
echo "verify: a fresh chain of 1000 records intact; one byte edited on line 500 found there"

# --- Append rate ----------------------------------------------------------------------------
echo "load before: $(uptime)"
append_rates=()
for run in 1 2 3; do
  rm -rf "$data/audit-append"
  line=$("$helper" append "$data/audit-append" 20000)
  echo "one process, run $run: $line"
  append_rates+=("$(rate <<<"$line")")
done
LOCKSTEP_HOME=$data/audit-append "$lockstep" audit verify >/dev/null ||
  fail "the appended chain does not verify"

rm -rf "$data/audit-append"
"$helper" append "$data/audit-append" 1 >/dev/null  # the store exists before both start
start=$(date +%s.%N)
"$helper" append "$data/audit-append" 10000 >"$data/audit-process-1.txt" &
first=$!
"$helper" append "$data/audit-append" 10000 >"$data/audit-process-2.txt"
wait "$first"
end=$(date +%s.%N)
two_processes=$(python3 -c "print(round(20000 / ($end - $start)))")
LOCKSTEP_HOME=$data/audit-append "$lockstep" audit verify | grep -q "^audit chain intact: 20001 records" ||
  fail "two processes appending at once did not make one intact chain of 20001 records"
echo "two processes, 10,000 each at once: $two_processes records/s together, one intact chain"

rm -rf "$data/audit-append"
line=$("$helper" append "$data/audit-append" 20000 2)
two_threads=$(rate <<<"$line")
echo "one process, two threads: $line"

# --- The large chain: built, then verified ---------------------------------------------------
large=$data/audit-large
rm -rf "$large"
line=$("$helper" append "$large" "$records")
large_rate=$(rate <<<"$line")
echo "large chain: $line"
echo "  audit.jsonl $(du -h "$large/audit.jsonl" | cut -f1), state.db $(du -h "$large/state.db" | cut -f1)"
LOCKSTEP_HOME=$large "$lockstep" audit verify | grep -q "^audit chain intact: $records records" ||
  fail "the large chain does not verify"
export LOCKSTEP_HOME=$large
hyperfine --warmup 1 --runs 5 \
  --export-json "$out/audit-verify.json" --export-markdown "$out/audit-verify.md" \
  -n "lockstep audit verify ($records records)" "$lockstep audit verify" \
  -n "sha256sum audit.jsonl" "sha256sum $large/audit.jsonl"
/usr/bin/time -f %M -o "$out/audit-memory.txt" "$lockstep" audit verify >/dev/null
peak_kb=$(tail -1 "$out/audit-memory.txt")
echo "load after: $(uptime)"

python3 - "$out" "$peak_kb" "$records" "$lockstep" "$(git describe --always --dirty)" \
  "$filesystem" "$large_rate" "$two_processes" "$two_threads" "${append_rates[@]}" <<'EOF'
import json, statistics, sys
out, peak_kb, records, lockstep, commit, filesystem = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:7]
large_rate, two_processes, two_threads = (int(x) for x in sys.argv[7:10])
rates = [int(x) for x in sys.argv[10:]]
results = json.load(open(f"{out}/audit-verify.json"))["results"]
verify, verify_sd = results[0]["mean"], results[0]["stddev"] or 0.0
sha, sha_sd = results[1]["mean"], results[1]["stddev"] or 0.0
median = statistics.median(rates)
goal = lambda met: "met" if met else "**missed**"
lines = [
    f"{lockstep} (source tree at {commit}), data on {filesystem}",
    f"Append, one process: {', '.join(f'{r:,}' for r in rates)} records/s (median {median:,.0f}; "
    f"goal > 10,000: {goal(median > 10_000)})",
    f"Append, two processes at once: {two_processes:,} records/s together; one process with two "
    f"threads: {two_threads:,} records/s",
    f"Append while building the {records:,}-record chain: {large_rate:,} records/s",
    f"Verify {records:,} records: {verify * 1000:.0f} ± {verify_sd * 1000:.0f} ms "
    f"(goal < 2 s: {goal(verify < 2.0)}); sha256sum of audit.jsonl alone: "
    f"{sha * 1000:.0f} ± {sha_sd * 1000:.0f} ms",
    f"Peak RSS of verify: {peak_kb / 1024:.1f} MiB",
]
text = "\n".join(lines)
print(text)
open(f"{out}/audit-summary.md", "w").write(text + "\n")
EOF
