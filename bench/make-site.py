#!/usr/bin/env python3
"""Writes a deterministic static site for the deploy benchmark.

usage: make-site.py DIR [--files N] [--big-mib M] [--big-count K] [--small-only] [--seed S]

The default (N=5000, two 100 MiB files) is a site of realistic sizes:
  ~80 % text: html 2-30 KiB, css/js 1-30 KiB, json/xml/svg/txt 1-20 KiB
  ~14 % small images (png/webp/ico) 2-30 KiB
  ~6 %  images (jpg/png/webp) 100 KiB - 2 MiB, log-uniform
  K files of M MiB (downloads/*.zip)
--small-only writes N text files of 1-30 KiB and nothing else (the RSS-flatness tree).
The same arguments give the same bytes, paths and mtimes (fixed at 2024-01-01 00:00 UTC)
on every machine. Prints one summary line (files, bytes) on stdout.
"""
import argparse
import math
import os
import random

MTIME = 1704067200  # 2024-01-01T00:00:00Z
KIB = 1024
MIB = 1 << 20
# Bytes 0-255 mapped onto letters, spaces and newlines: text that looks like text.
TEXT = bytes((b"abcdefghijklmnopqrstuvwxyz      etaoinshr\n<>/=\"" * 6)[:256])
HEADS = {
    ".html": b"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>page</title></head><body>\n",
    ".css": b"/* stylesheet */\n", ".js": b"\"use strict\";\n", ".json": b"{\"data\": \"",
    ".xml": b"<?xml version=\"1.0\"?>\n<urlset>", ".svg": b"<svg xmlns=\"http://www.w3.org/2000/svg\">", ".txt": b"",
}


def write(path, size, rng, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        remaining = size
        if text:
            head = HEADS.get(os.path.splitext(path)[1], b"")[:size]
            f.write(head)
            remaining -= len(head)
        while remaining > 0:
            n = min(remaining, MIB)
            data = rng.randbytes(n)
            f.write(data.translate(TEXT) if text else data)
            remaining -= n
    os.utime(path, (MTIME, MTIME))
    return size


def log_uniform(rng, low, high):
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--big-mib", type=int, default=100)
    parser.add_argument("--big-count", type=int, default=2)
    parser.add_argument("--small-only", action="store_true")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    root = args.root
    total = 0
    count = 0
    for i in range(args.files):
        r = rng.random()
        section = f"s{i % 40:02d}"
        if args.small_only or r < 0.60:
            # Pages: /blog/sNN/post-NNNNN/index.html and a few top-level pages.
            path = f"blog/{section}/post-{i:05d}/index.html" if i % 10 else f"{section}/page-{i:05d}.html"
            total += write(os.path.join(root, path), rng.randint(2 * KIB, 30 * KIB) if not args.small_only else rng.randint(KIB, 30 * KIB), rng, True)
        elif r < 0.68:
            ext = ".css" if i % 2 else ".js"
            total += write(os.path.join(root, "assets", ext[1:], section, f"bundle-{i:05d}{ext}"), rng.randint(KIB, 30 * KIB), rng, True)
        elif r < 0.80:
            ext = (".json", ".xml", ".svg", ".txt")[i % 4]
            total += write(os.path.join(root, "data", section, f"item-{i:05d}{ext}"), rng.randint(KIB, 20 * KIB), rng, True)
        elif r < 0.94:
            ext = (".png", ".webp", ".ico")[i % 3]
            total += write(os.path.join(root, "img", "thumbs", section, f"t-{i:05d}{ext}"), rng.randint(2 * KIB, 30 * KIB), rng, False)
        else:
            ext = (".jpg", ".png", ".webp")[i % 3]
            total += write(os.path.join(root, "img", "full", section, f"photo-{i:05d}{ext}"), log_uniform(rng, 100 * KIB, 2 * MIB), rng, False)
        count += 1
    if not args.small_only:
        for k in range(args.big_count):
            total += write(os.path.join(root, "downloads", f"release-{k + 1}.zip"), args.big_mib * MIB, rng, False)
            count += 1
    print(f"{count} files, {total} bytes")


main()
