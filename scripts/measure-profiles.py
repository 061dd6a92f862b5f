#!/usr/bin/env python3
"""Measures FastCDC chunk-size candidates on a generated photo set and its editing sessions.

For each file class (RAW/media, catalog/database, everything else) and each candidate (min/avg/max),
it chunks every file of every version with `triplicate debug chunk`, and reports the bytes a
deduplicating repository stores for all versions together, the number of distinct chunks (index
entries). Chunker speed is measured by the benchmark package, not here. The figures in FORMAT.md §12.8 come from this script:

    scripts/measure-profiles.py --size 400MB --sessions 2
"""
import argparse, hashlib, json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release")
# The extension lists of Sources/TriplicateCore/Chunking/ChunkingProfile.swift.
MEDIA = {"nef", "nrw", "cr2", "cr3", "crw", "arw", "srf", "sr2", "dng", "raf", "orf", "rw2", "pef", "srw", "x3f", "3fr",
         "iiq", "erf", "mef", "mos", "kdc", "dcr", "rwl", "gpr", "mov", "mp4", "m4v", "avi", "mts", "m2ts", "mkv",
         "braw", "r3d", "psb", "tif", "tiff", "psd"}
DATABASE = {"lrcat", "sqlite", "sqlite3", "db", "lrcat-wal", "lrcat-journal", "lrcat-data"}

CANDIDATES = {
    "media": [(256 << 10, 1 << 20, 4 << 20), (512 << 10, 2 << 20, 8 << 20), (1 << 20, 4 << 20, 16 << 20)],
    "database": [(4 << 10, 16 << 10, 64 << 10), (8 << 10, 32 << 10, 128 << 10), (16 << 10, 64 << 10, 256 << 10),
                 (64 << 10, 256 << 10, 1 << 20)],
    # Sidecars and previews are mostly smaller than any minimum: one chunk each whatever the candidate.
    "general": [(64 << 10, 256 << 10, 1 << 20)],
}


def kind(name):
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return "media" if ext in MEDIA else "database" if ext in DATABASE else "general"


def files_of(root):
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            if os.path.isfile(p) and not os.path.islink(p):
                yield p


def chunk(path, params):
    mn, avg, mx = params
    out = subprocess.run([os.path.join(BIN, "triplicate"), "debug", "chunk", path, "--min", str(mn), "--avg", str(avg),
                          "--max", str(mx)], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="400MB")
    ap.add_argument("--sessions", type=int, default=2)
    ap.add_argument("--seed", default="7")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="triplicate-profiles-")
    try:
        versions = []
        src = os.path.join(work, "Photos")
        subprocess.run([os.path.join(BIN, "triplicate-photoset"), "generate", src, "--size", args.size, "--seed", args.seed],
                       check=True, stdout=subprocess.DEVNULL)
        for s in range(args.sessions + 1):
            if s > 0:
                subprocess.run([os.path.join(BIN, "triplicate-photoset"), "edit", src, "--session", str(s), "--seed", args.seed],
                               check=True, stdout=subprocess.DEVNULL)
            snap = os.path.join(work, f"v{s}")
            shutil.copytree(src, snap, symlinks=True)
            versions.append(snap)
        print(f"photo set {args.size}, seed {args.seed}, {args.sessions} editing sessions")
        print("| class | min / avg / max | bytes of all versions | stored after dedup | distinct chunks |")
        print("| --- | --- | ---: | ---: | ---: |")
        for cls, candidates in CANDIDATES.items():
            for params in candidates:
                seen, stored, total = set(), 0, 0
                for v in versions:
                    for p in files_of(v):
                        if kind(p) != cls:
                            continue
                        data = open(p, "rb").read()
                        chunks = chunk(p, params)
                        total += len(data)
                        for c in chunks:
                            piece = data[c["offset"]:c["offset"] + c["length"]]
                            h = hashlib.blake2b(piece, digest_size=32).digest()
                            if h not in seen:
                                seen.add(h)
                                stored += len(piece)
                fmt = "/".join(f"{x >> 10}K" if x < 1 << 20 else f"{x >> 20}M" for x in params)
                print(f"| {cls} | {fmt} | {total / 1e6:.1f} MB | {stored / 1e6:.2f} MB | {len(seen)} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
