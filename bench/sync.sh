#!/usr/bin/env bash
# `lockstep sync` against the usual ways of copying a tree, on a generated repository whose
# subtree tree/ holds 20,000 files of 1-200 KB, about 600 MB, 80% text and 20% random bytes
# (bench/generate-sync-tree.py; packed by git gc, with its work tree checked out):
#
#  1. full sync of tree/ into an empty directory: `lockstep sync REPO:tree DEST` (reading the
#     packed repository) against `cp -a` and `rsync -a` of the checked-out work tree.
#     Goals: lockstep at least as fast as rsync -a, and within 1.2x of cp -a.
#  2. incremental sync after 10 files changed (branch `changed`), into a copy of a directory
#     synced from the first commit. Goal: under 2% of the full sync's mean time.
#  3. `lockstep sync verify` of the synced tree against sha256sum and cat of the same files
#     (find | xargs). Goals: at least 4x faster than sha256sum, within 1.3x of cat.
#  4. peak memory (maximum RSS) of one full sync. Goal: under 64 MB.
#
# Before timing it checks that a synced tree has the work tree's content and executable bits
# and a manifest listing exactly its files, that verify accepts it and rejects a damaged copy,
# and that the incremental sync leaves exactly the second commit's content. Every timed
# command runs with a warm page cache; before each run the previous run's output is removed
# (and dirty pages flushed with sync(1), so no write-back of it overlaps the next run).
#
#   scripts/bootstrap bench && make release && bench/sync.sh
#
# LOCKSTEP=path/to/lockstep overrides build/release/lockstep. BENCH_DIR=dir moves the data
# (default bench/out; e.g. /dev/shm/lockstep-sync to take the disk out of it): the repository
# (~0.9 GB: work tree and pack), a synced tree and a destination (0.6 GB each), lockstep's
# state directory (sync-state, which may hold a mirror of the repository): about 2.5 GB.
# The path may not contain ':' or '@' (they separate REPO:PATH@REF), nor spaces.
# Results: bench/out/sync-{full,incremental,verify}.{md,json}, sync-summary.md.
set -euo pipefail
cd "$(dirname "$0")/.."
lockstep=${LOCKSTEP:-build/release/lockstep}
out=bench/out
data=${BENCH_DIR:-$out}
repo=$data/sync-repo  # tree/ checked out at branch main; branch changed = 10 files rewritten
base=$data/sync-base  # synced once from main: what verify reads, incremental runs start from
dest=$data/sync-dest  # where the timed copies go
manifest=.lockstep-sync.json
changed=10
export LOCKSTEP_HOME=$data/sync-state

fail() {
  echo "bench/sync.sh: $*" >&2
  exit 1
}

# `lockstep --help` lists the subcommands; `sync --help` alone would print the top-level help
# (exit 0) from a binary without one.
help=$("$lockstep" --help 2>/dev/null || true)
if ! grep -qE '^ +sync( |$)' <<<"$help"; then
  fail "$lockstep is missing or has no 'sync' command: run 'make release' first"
fi
if [ -z "${LOCKSTEP:-}" ] && [ -n "$(find src CMakeLists.txt -newer "$lockstep" -print -quit)" ]; then
  echo "bench/sync.sh: warning: src/ is newer than $lockstep; 'make release' to measure it" >&2
fi
for tool in hyperfine rsync git python3 sha256sum /usr/bin/time; do
  command -v "$tool" >/dev/null || fail "no $tool: scripts/bootstrap bench"
done
case "$data" in *:* | *@* | *[[:space:]]*) fail "BENCH_DIR=$data contains ':', '@' or a space" ;; esac
mkdir -p "$out" "$data"
available_kb=$(df -Pk "$data" | awk 'NR == 2 {print $4}')
if [ "$available_kb" -lt $((2500 * 1024)) ]; then
  echo "bench/sync.sh: warning: $((available_kb / 1024)) MiB free in $data, about 2.5 GB needed" >&2
fi
[ -d "$repo" ] || bench/generate-sync-tree.py "$repo" --changed "$changed"
first=$(git -C "$repo" rev-parse --verify main)
second=$(git -C "$repo" rev-parse --verify changed)
[ "$(git -C "$repo" rev-parse HEAD)" = "$first" ] || fail "$repo: HEAD is not branch main"
[ -z "$(git -C "$repo" status --porcelain)" ] || fail "$repo: the work tree has changes"
filesystem=$(df -PT "$data" | awk 'NR == 2 {print $2}')
echo "data in $data ($filesystem):" \
  "$(find "$repo/tree" -type f | wc -l) files, $(du -sh "$repo/tree" | cut -f1) in tree/," \
  "pack $(du -sh "$repo/.git/objects/pack" | cut -f1)"

# --- Correctness, before any timing -------------------------------------------------------

# Same content, same executable bits, and a manifest that lists exactly the files.
check_synced() {  # TREE SYNCED
  local differences
  differences=$(diff -rq --exclude="$manifest" "$1" "$2") ||
    fail "$2 differs from $1: $(head -5 <<<"$differences")"
  diff <(cd "$1" && find . -type f -perm -u+x | sort) \
    <(cd "$2" && find . -type f -perm -u+x ! -name "$manifest" | sort) >/dev/null ||
    fail "$2: executable files differ from $1's"
  [ -f "$2/$manifest" ] || fail "$2: no $manifest"
  python3 - "$2" "$manifest" <<'EOF' || fail "$2/$manifest does not list exactly the files"
import json, os, sys
root, name = sys.argv[1], sys.argv[2]
listed = {entry["path"] for entry in json.load(open(os.path.join(root, name)))["files"]}
present = {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}
present.discard(name)
sys.exit(0 if listed == present else 1)
EOF
}

rm -rf "$LOCKSTEP_HOME" "$base" "$dest"
# The first sync also pays for whatever lockstep sets up once in its state directory (such as
# a mirror of the repository); the timed runs below reuse it, as a long-running server would.
"$lockstep" sync "$repo:tree" "$base" >/dev/null
check_synced "$repo/tree" "$base"
"$lockstep" sync verify "$base" >/dev/null || fail "sync verify rejects a fresh sync"
echo "full sync: same files as the work tree, manifest complete, verify clean"

# Incremental: the changed files (and only they) become the second commit's; note which files
# the sync rewrote (a new inode or a new ctime).
rm -rf "$dest" && cp -a "$base" "$dest"
stat_files() { find "$dest" -type f ! -path "$dest/$manifest" -printf '%i %C@ %P\n' | sort; }
stat_files >"$data/sync-before.txt"
"$lockstep" sync "$repo:tree@$second" "$dest" >/dev/null
expected=$(git -C "$repo" diff --name-only "$first" "$second" -- tree | sed 's|^tree/||' | sort)
[ "$(wc -l <<<"$expected")" -eq "$changed" ] || fail "$repo: branch changed does not change $changed files"
differing=$(diff -rq --exclude="$manifest" "$repo/tree" "$dest" |
  sed "s|^Files $repo/tree/\(.*\) and $dest/\1 differ\$|\1|" | sort || true)
[ "$differing" = "$expected" ] || fail "after the incremental sync, $dest differs from the" \
  "first commit in: $(tr '\n' ' ' <<<"$differing")(expected the $changed changed files)"
while read -r path; do
  git -C "$repo" cat-file blob "$second:tree/$path" | cmp -s - "$dest/$path" ||
    fail "$dest/$path is not the second commit's"
done <<<"$expected"
"$lockstep" sync verify "$dest" >/dev/null || fail "sync verify rejects an incremental sync"
rewritten=$(stat_files | comm -13 "$data/sync-before.txt" - | wc -l)
rm "$data/sync-before.txt"
echo "incremental sync: the $changed changed files updated, the rest untouched in content," \
  "verify clean; files rewritten: $rewritten"
[ "$rewritten" -le "$changed" ] ||
  echo "bench/sync.sh: warning: the incremental sync rewrote $rewritten files, not $changed" >&2

# Verify must notice one changed byte (or it would be timed doing nothing).
victim=$(head -1 <<<"$expected")
printf 'x' >>"$dest/$victim"
status=0
"$lockstep" sync verify "$dest" >/dev/null 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "sync verify exits $status, not 1, on a damaged $dest/$victim"
echo "verify of a damaged copy: exit 1"

# --- Timing ----------------------------------------------------------------------------------
echo "load before: $(uptime)"

hyperfine --warmup 1 --runs 5 --prepare "rm -rf $dest && sync" \
  --export-json "$out/sync-full.json" --export-markdown "$out/sync-full.md" \
  -n "lockstep sync" "$lockstep sync $repo:tree $dest" \
  -n "cp -a" "cp -a $repo/tree $dest" \
  -n "rsync -a" "rsync -a $repo/tree/ $dest/"

hyperfine --warmup 1 --runs 10 --prepare "rm -rf $dest && cp -a $base $dest && sync" \
  --export-json "$out/sync-incremental.json" --export-markdown "$out/sync-incremental.md" \
  -n "lockstep sync, $changed files changed" "$lockstep sync $repo:tree@$second $dest"

hyperfine --warmup 1 --runs 10 \
  --export-json "$out/sync-verify.json" --export-markdown "$out/sync-verify.md" \
  -n "lockstep sync verify" "$lockstep sync verify $base" \
  -n "sha256sum" "find $base -type f -print0 | xargs -0 sha256sum >/dev/null" \
  -n "cat" "find $base -type f -print0 | xargs -0 cat >/dev/null"

rm -rf "$dest"
/usr/bin/time -f %M -o "$out/sync-memory.txt" "$lockstep" sync "$repo:tree" "$dest" >/dev/null
peak_kb=$(tail -1 "$out/sync-memory.txt")
echo "load after: $(uptime)"

python3 - "$out" "$peak_kb" "$changed" "$lockstep" "$(git describe --always --dirty)" \
  "$filesystem" <<'EOF'
import json, sys
out, peak_kb, changed, lockstep, commit, filesystem = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
def load(name):
    return [(r["mean"], r["stddev"] or 0.0) for r in json.load(open(f"{out}/sync-{name}.json"))["results"]]
def goal(met):
    return "met" if met else "**missed**"
ms = lambda s: f"{s * 1000:.1f}"
(sync, sync_sd), (cp, cp_sd), (rsync, rsync_sd) = load("full")
(incremental, incremental_sd), = load("incremental")
(verify, verify_sd), (sha, sha_sd), (cat, cat_sd) = load("verify")
lines = [
    f"{lockstep} (source tree at {commit}), data on {filesystem}",
    f"Full sync: lockstep {ms(sync)} ± {ms(sync_sd)} ms, cp -a {ms(cp)} ± {ms(cp_sd)} ms, "
    f"rsync -a {ms(rsync)} ± {ms(rsync_sd)} ms",
    f"  lockstep / rsync -a = {sync / rsync:.2f} (goal ≤ 1: {goal(sync <= rsync)}); "
    f"lockstep / cp -a = {sync / cp:.2f} (goal ≤ 1.2: {goal(sync <= 1.2 * cp)})",
    f"Incremental sync, {changed} files changed: {ms(incremental)} ± {ms(incremental_sd)} ms = "
    f"{incremental / sync * 100:.2f}% of the full sync (goal < 2%: {goal(incremental < 0.02 * sync)})",
    f"Verify: lockstep {ms(verify)} ± {ms(verify_sd)} ms, sha256sum {ms(sha)} ± {ms(sha_sd)} ms, "
    f"cat {ms(cat)} ± {ms(cat_sd)} ms",
    f"  sha256sum / lockstep = {sha / verify:.2f} (goal ≥ 4: {goal(sha >= 4 * verify)}); "
    f"lockstep / cat = {verify / cat:.2f} (goal ≤ 1.3: {goal(verify <= 1.3 * cat)})",
    f"Peak RSS of a full sync: {peak_kb / 1024:.1f} MiB (goal < 64 MB: {goal(peak_kb < 64 * 1024)})",
]
text = "\n".join(lines)
print(text)
open(f"{out}/sync-summary.md", "w").write(text + "\n")
EOF
