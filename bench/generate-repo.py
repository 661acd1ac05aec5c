#!/usr/bin/env python3
"""A repository for the change-detection benchmark: FILES files in nested folders, then
COMMITS commits that each modify 20 files, add 3, delete 2, rename 1 and chmod 1, written
with `git fast-import` (seconds, not minutes). Deterministic for a given seed.

    bench/generate-repo.py DIR [--files 50000] [--commits 200] [--seed 1]

Afterwards `git -C DIR diff --name-only HEAD~N HEAD` and lockstep's ChangedPaths can be timed
over 1, 50 and 200 commits.
"""
import argparse
import os
import random
import subprocess


def content(rng, path, version):
    lines = [f"// {path} version {version}"]
    lines += [f"line {i} {rng.randrange(1 << 30)}" for i in range(rng.randrange(5, 60))]
    return ("\n".join(lines) + "\n").encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--files", type=int, default=50000)
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    subprocess.run(["git", "init", "-q", "-b", "main", args.dir], check=True)
    importer = subprocess.Popen(["git", "-C", args.dir, "fast-import", "--quiet"],
                                stdin=subprocess.PIPE)
    out = importer.stdin
    files = {}  # path -> [mode, mark of its blob]
    counters = {"path": 0, "mark": 0}

    def new_path():
        counters["path"] += 1
        n = counters["path"]
        return f"mod{n % 50:02d}/pkg{n % 997:03d}/file{n}.txt"

    def blob(data):
        counters["mark"] += 1
        out.write(b"blob\nmark :%d\ndata %d\n%s\n" % (counters["mark"], len(data), data))
        return counters["mark"]

    def write(path, mode, data):
        files[path] = [mode, blob(data)]
        return b"M %s :%d %s\n" % (mode.encode(), files[path][1], path.encode())

    def commit(number, operations):
        message = f"commit {number}".encode()
        out.write(b"commit refs/heads/main\n")
        out.write(b"committer Bench <bench@lockstep.invalid> %d +0000\n" % (1704067200 + 60 * number))
        out.write(b"data %d\n%s\n" % (len(message), message))
        out.write(b"".join(operations))

    commit(0, [write(new_path(), "100644", content(rng, "f", 0)) for _ in range(args.files)])
    for number in range(1, args.commits + 1):
        paths = rng.sample(sorted(files), 24)
        operations = [write(path, files[path][0], content(rng, path, number))
                      for path in paths[:20]]
        for path in paths[20:22]:
            operations.append(b"D %s\n" % path.encode())
            del files[path]
        renamed = new_path()
        operations.append(b"R %s %s\n" % (paths[22].encode(), renamed.encode()))
        files[renamed] = files.pop(paths[22])
        chmod = paths[23]
        files[chmod][0] = "100755" if files[chmod][0] == "100644" else "100644"
        operations.append(b"M %s :%d %s\n" % (files[chmod][0].encode(), files[chmod][1],
                                               chmod.encode()))
        operations += [write(new_path(), "100644", content(rng, "n", number)) for _ in range(3)]
        commit(number, operations)
    out.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", args.dir, "reset", "-q", "--hard"], check=True)
    print(f"{args.dir}: {len(files)} files, {args.commits + 1} commits")


if __name__ == "__main__":
    main()
