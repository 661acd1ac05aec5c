#!/usr/bin/env python3
"""A repository for the sync benchmark: a subtree `tree/` of FILES files (default 20,000)
of 1 KB to 200 KB, about 600 MB in all, plus a few files outside it, in two commits:

  main     the tree (checked out in DIR's work tree, so `cp -a DIR/tree` copies the same files)
  changed  main with CHANGED files of tree/ (default 10) rewritten with new content and sizes

Sizes are 1 KB * 200^(u^1.4) for u uniform in [0, 1): median about 7 KB, mean about 29 KB,
a few files near 200 KB, like a source tree. 80% of the files are text made of lines drawn
from pools of generated source code, prose and CSV (gzip makes them 2.2-2.9 times smaller);
20% are random bytes (incompressible, like images and archives); 2% of the rest are executable
scripts. Folders: about FILES / 20 of them, up to 6 deep.
Written with `git fast-import`, then `git gc` so that the objects are packed (zlib and deltas)
as in a real repository. Deterministic for a given seed (the commit ids too). Built in
DIR.partial and renamed to DIR when complete, so an interrupted run leaves no DIR behind.

    bench/generate-sync-tree.py DIR [--files 20000] [--changed 10] [--seed 1]
"""
import argparse
import itertools
import os
import random
import shutil
import subprocess

KB = 1024
BINARY_SHARE = 0.2
EXECUTABLE_SHARE = 0.02
POOL_LINES = 20000  # distinct lines per kind of text

TEXT_KINDS = {  # kind -> file extensions
    "code": ["cc", "h", "py", "js", "go", "rs", "java"],
    "prose": ["md", "txt", "rst"],
    "data": ["csv", "tsv"],
}
BINARY_EXTENSIONS = ["png", "jpg", "gz", "bin", "woff2", "pdf"]


def make_words(rng, count):
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["th", "st", "er", "on"]
    words = set()
    while len(words) < count:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randrange(1, 4))))
    return sorted(words)


def make_pools(rng, words):
    """Distinct lines per kind of text; files are sequences of them. Words are drawn with
    Zipf's law (the n-th most common one n times rarer than the first), as in real text."""
    words = rng.sample(words, len(words))  # ranks in random order, not alphabetical
    weights = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))

    def word():
        return rng.choices(words, cum_weights=weights)[0]

    def some_words(low, high):
        return " ".join(rng.choices(words, cum_weights=weights, k=rng.randrange(low, high)))

    def ident():
        shape = rng.randrange(3)
        if shape == 0:
            return word()
        if shape == 1:
            return word() + "_" + word()
        return word() + word().capitalize()

    def code_line():
        indent = "  " * rng.randrange(0, 5)
        shape = rng.randrange(8)
        if shape == 0:
            return f"{indent}auto {ident()} = {ident()}({ident()}, {rng.randrange(1000)});"
        if shape == 1:
            return f"{indent}if ({ident()}.{ident()}() != {ident()}) {{"
        if shape == 2:
            return f"{indent}return {ident()}->{ident()}[{rng.randrange(64)}];"
        if shape == 3:
            return f"{indent}// " + some_words(3, 12)
        if shape == 4:
            return f"{indent}}}"
        if shape == 5:
            return ""
        if shape == 6:
            args = ", ".join(f"const {ident()}& {ident()}" for _ in range(rng.randrange(4)))
            return f"{indent}{ident()} {ident()}({args}) {{"
        return f'{indent}{ident()}("{some_words(1, 6)}");'

    def prose_line():
        return some_words(6, 16).capitalize() + "."

    def data_line():
        return ",".join([word(), str(rng.randrange(100000)), f"{rng.random() * 1000:.3f}",
                         word(), ident()])

    makers = {"code": code_line, "prose": prose_line, "data": data_line}
    return {kind: [(makers[kind]() + "\n").encode() for _ in range(POOL_LINES)]
            for kind in TEXT_KINDS}


def file_size(rng):
    return int(KB * 200 ** (rng.random() ** 1.4))


def text_content(rng, pool, header, size):
    # Lines average about 40 bytes; draw a few more than needed and cut to the exact size.
    lines = [header] + rng.choices(pool, k=size // 30 + 2)
    data = b"".join(lines)
    while len(data) < size:
        data += b"".join(rng.choices(pool, k=64))
    return data[: size - 1] + b"\n"


def make_paths(rng, words, count):
    """`count` unique file paths under tree/, in about count / 20 folders up to 6 deep."""
    dirs = [f"tree/{word}" for word in rng.sample(words, 12)]
    seen = set(dirs)
    while len(dirs) < max(12, count // 20):
        parent = rng.choice(dirs)
        if parent.count("/") >= 6:
            continue
        child = f"{parent}/{rng.choice(words)}"
        if child not in seen:
            seen.add(child)
            dirs.append(child)
    files = []  # (path, kind or None for binary, executable)
    names = set()
    while len(files) < count:
        folder = rng.choice(dirs)
        if rng.random() < BINARY_SHARE:
            kind, executable = None, False
            extension = rng.choice(BINARY_EXTENSIONS)
        elif rng.random() < EXECUTABLE_SHARE:
            kind, executable, extension = "code", True, "sh"
        else:
            kind, executable = rng.choice(sorted(TEXT_KINDS)), False
            extension = rng.choice(TEXT_KINDS[kind])
        path = f"{folder}/{rng.choice(words)}_{rng.choice(words)}.{extension}"
        if path not in names:  # a file name never equals a folder name: it has a dot
            names.add(path)
            files.append((path, kind, executable))
    return files


def content(rng, pools, path, kind, executable, version):
    size = file_size(rng)
    if kind is None:
        return rng.randbytes(size)
    header = b"#!/bin/sh\n" if executable else b""
    header += f"# {path} (version {version})\n".encode()
    return text_content(rng, pools[kind], header, max(size, len(header) + 1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    words = make_words(rng, 3000)
    pools = make_pools(rng, words)
    files = make_paths(rng, words, args.files)

    partial = args.dir.rstrip("/") + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run(["git", "init", "-q", "-b", "main", partial], check=True)
    importer = subprocess.Popen(["git", "-C", partial, "fast-import", "--quiet"],
                                stdin=subprocess.PIPE)
    out = importer.stdin
    totals = {"bytes": 0, "binary": 0, "executable": 0}

    def commit(ref, number, message, parent, entries):
        out.write(b"commit refs/heads/%s\n" % ref.encode())
        out.write(b"committer Bench <bench@lockstep.invalid> %d +0000\n" % (1704067200 + number))
        out.write(b"data %d\n%s\n" % (len(message), message.encode()))
        if parent:
            out.write(b"from refs/heads/%s\n" % parent.encode())
        for path, mode, data in entries:
            out.write(b"M %s inline %s\ndata %d\n%s\n" % (mode, path.encode(), len(data), data))

    def entries(chosen, version):
        for path, kind, executable in chosen:
            data = content(rng, pools, path, kind, executable, version)
            if version == 1:
                totals["bytes"] += len(data)
                totals["binary"] += kind is None
                totals["executable"] += executable
            yield path, b"100755" if executable else b"100644", data

    others = [(f"docs/{word}.md", "prose", False) for word in rng.sample(words, 20)]
    others.append(("README.md", "prose", False))
    commit("main", 0, "tree", None, itertools.chain(entries(others, 0), entries(files, 1)))
    changed = rng.sample(files, args.changed)
    commit("changed", 1, f"change {args.changed} files", "main", entries(changed, 2))
    out.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", partial, "gc", "--quiet"], check=True)
    subprocess.run(["git", "-C", partial, "reset", "-q", "--hard"], check=True)
    os.rename(partial, args.dir)
    pack = sum(entry.stat().st_size
               for entry in os.scandir(os.path.join(args.dir, ".git", "objects", "pack")))
    print(f"{args.dir}: tree/ has {len(files)} files ({totals['binary']} binary, "
          f"{totals['executable']} executable), {totals['bytes'] / 1e6:.0f} MB; "
          f"pack {pack / 1e6:.0f} MB; branch 'changed' rewrites {args.changed} of them")


if __name__ == "__main__":
    main()
