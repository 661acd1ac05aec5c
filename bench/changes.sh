#!/usr/bin/env bash
# Change detection against git: the changed paths across 1, 50 and 200 commits of a generated
# repository of 50,000 files (bench/generate-repo.py), lockstep's Repository::ChangedPaths
# (through bench/changed_paths.cc) side by side with `git diff --name-only` (renames on, as
# git's default), timed with hyperfine. Goal: at most 1.2x git. First checks that both list
# the same changes (modes, kinds, renames) on every range.
#
#   bench/changes.sh        (needs g++, libgit2 1.5, fmt, hyperfine, python3)
#
# Data and results: bench/out/changes-repo, bench/out/changes.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
repo=$out/changes-repo
helper=$out/changed_paths
mkdir -p "$out"
[ -d "$repo" ] || bench/generate-repo.py "$repo"
# Built directly (optimised, no sanitizers) from the few sources it needs.
g++ -std=c++23 -O2 -DNDEBUG -Isrc bench/changed_paths.cc src/git/changes.cc \
  src/git/tree_diff.cc src/git/repository.cc src/git/git_handle.cc src/git/tree_writer.cc \
  src/git/shallow_history.cc src/base/error.cc src/base/strings.cc -lgit2 -lfmt -o "$helper"

for n in 1 50 200; do
  RAW=1 "$helper" "$repo" "HEAD~$n" | sort >"$out/changes-ours-$n.txt"
  git -C "$repo" diff -M --raw --no-abbrev "HEAD~$n" HEAD | python3 -c '
import sys
for line in sys.stdin:  # ":old new id id STATUS\tpath[\tpath]" -> "old new S\tpath..."
    line = line.rstrip("\n"); tab = line.index("\t")
    print(line[1:15] + line[line.rindex(" ", 0, tab) + 1] + "\t" + line[tab + 1:])' |
    sort >"$out/changes-git-$n.txt"
  if ! cmp -s "$out/changes-ours-$n.txt" "$out/changes-git-$n.txt"; then
    echo "bench/changes.sh: HEAD~$n..HEAD differs from git diff -M:" >&2
    diff "$out/changes-ours-$n.txt" "$out/changes-git-$n.txt" | head -20 >&2
    exit 1
  fi
  echo "HEAD~$n..HEAD: $(wc -l <"$out/changes-ours-$n.txt") changes, same as git diff -M"
done

args=()
for n in 1 50 200; do
  args+=(-n "git diff, $n commits" "git -C $repo diff --name-only HEAD~$n HEAD")
  args+=(-n "lockstep, $n commits" "$helper $repo HEAD~$n")
done
hyperfine -N --warmup 2 --runs 10 --export-markdown "$out/changes.md" "${args[@]}"
