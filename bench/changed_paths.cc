// Benchmark helper: lists the changed paths between each REVISION and HEAD with
// Repository::ChangedPaths, as `git diff -M --name-only REVISION HEAD` would, so hyperfine can
// time the two side by side (bench/changes.sh builds and runs it).
//
//   changed_paths REPO REVISION...    one line per revision: count and milliseconds
//   RAW=1 changed_paths REPO REV      "<old mode> <new mode> <A|M|D|R|M|T>\t<path>[\t<new>]"
#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "git/repository.h"

int main(int argc, char** argv) {
  using lockstep::git::ChangedPath;
  if (argc < 3) {
    std::fprintf(stderr, "usage: changed_paths REPO REVISION...\n");
    return 2;
  }
  auto repository = lockstep::git::Repository::Open(argv[1]);
  if (!repository) {
    std::fprintf(stderr, "%s\n", repository.error().message().c_str());
    return 1;
  }
  bool raw = std::getenv("RAW") != nullptr;
  for (int i = 2; i < argc; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto changes = repository->ChangedPaths(argv[i], "HEAD");
    auto end = std::chrono::steady_clock::now();
    if (!changes) {
      std::fprintf(stderr, "%s\n", changes.error().message().c_str());
      return 1;
    }
    if (!raw) {
      fmt::print("{}..HEAD: {} paths in {:.1f} ms\n", argv[i], changes->size(),
                 std::chrono::duration<double, std::milli>(end - start).count());
      continue;
    }
    for (const ChangedPath& change : *changes) {
      std::string path = change.kind == ChangedPath::Kind::kRenamed
                             ? change.old_path + "\t" + change.path
                             : change.path;
      fmt::print("{:06o} {:06o} {}\t{}\n", change.old_mode, change.new_mode,
                 "AMDRMT"[static_cast<size_t>(change.kind)], path);
    }
  }
}
