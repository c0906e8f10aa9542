#!/usr/bin/env python3
"""Writes a deterministic tree of files for the benchmarks.

usage: make-tree.py DIR mixed-1g    ~1 GiB: many small files, some medium, a few large
       make-tree.py DIR small N     N files of 200 B to 20 KiB in nested folders (a site)
"""
import os
import random
import sys

def write(path, size, rng):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        remaining = size
        while remaining > 0:
            n = min(remaining, 1 << 20)
            f.write(rng.randbytes(n))
            remaining -= n

def main():
    root, kind = sys.argv[1], sys.argv[2]
    rng = random.Random(42)
    if kind == "mixed-1g":
        plan = [(4000, 1024, 64 * 1024), (300, 256 * 1024, 2 * 1024 * 1024), (12, 40 << 20, 60 << 20)]
        i = 0
        for count, low, high in plan:
            for _ in range(count):
                write(os.path.join(root, f"d{i % 37}", f"f{i}.bin"), rng.randint(low, high), rng)
                i += 1
    elif kind == "small":
        n = int(sys.argv[3])
        exts = [".html", ".css", ".js", ".png", ".svg", ".json", ".woff2", ".txt"]
        for i in range(n):
            path = os.path.join(root, f"section{i % 50}", f"page{i % 400}", f"file{i}{exts[i % len(exts)]}")
            write(path, rng.randint(200, 20 * 1024), rng)
    else:
        sys.exit("unknown kind " + kind)

main()
