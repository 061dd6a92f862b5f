#!/usr/bin/env python3
"""Forget and prune side by side with restic and borg, on one history of 50 snapshots.

Each tool backs up the same source 50 times: a first set of `--size` (default 1 GB) of random files of 20-60 MB
(already-compressed RAW files, which no tool can shrink), then 49 working days, each adding a file of 5-25 MB,
rewriting a megabyte inside one file, and every fifth day deleting one. With `--data photos`, the first set is the
generated photo set (RAW files whose sensor data compresses, sidecars, previews, a Lightroom catalog) and each day is
one of its editing sessions (new photos, edited sidecars and catalog, rebuilt previews). Then each tool keeps the last 10 snapshots
and deletes the data of the other 40: `restic forget --keep-last 10 --prune` (restic 0.14: at most 5 % unused, its
default), `borg prune --keep-last 10` then `borg compact` (borg 1.2), and `triplicate forget --keep-last 10 --prune`
(at most 5 % unused, its default). Reported: wall time and peak RSS of that step (borg's two commands summed, the
larger peak), and the repository's size before and after, next to what a new repository of the kept data takes.

    make compare-prune                 # 1 GB, in /tmp/triplicate-compare-prune
    COMPARE_SIZE=4GB make compare-prune
"""
import argparse, os, random, shutil, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Borg, Restic, Triplicate, du, prepare, run, write_random, PHOTOSET, TRIPLICATE, PASSWORD  # noqa: E402

SNAPSHOTS = 50
KEEP = 10


def working_day(src, day, rng):
    """A day of work: a new file of 5-25 MB, a megabyte rewritten inside one file, and every fifth day one deleted."""
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs)
    new = os.path.join(src, "days", f"{day:03}")
    os.makedirs(new, exist_ok=True)
    write_random(os.path.join(new, f"DSC_day{day:03}.NEF"), rng.randint(5, 25) * 10**6)
    path = rng.choice(files)
    with open(path, "r+b") as f:
        f.seek(rng.randrange(max(1, os.path.getsize(path) - 10**6)))
        f.write(os.urandom(10**6))
    if day % 5 == 0:
        os.remove(rng.choice([f for f in files if f != path]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default=os.environ.get("COMPARE_SIZE", "1GB"))
    ap.add_argument("--work", default=os.environ.get("COMPARE_DIR", "/tmp/triplicate-compare-prune"))
    ap.add_argument("--data", choices=["photos", "random"], default=os.environ.get("COMPARE_DATA", "random"))
    args = ap.parse_args()
    src = prepare(args.work, args.size, args.data, 17)
    tools = [Restic(args.work), Borg(args.work), Triplicate(args.work)]
    for t in tools:
        t.init()
    rng = random.Random(17)
    backup_seconds = {t.name: 0.0 for t in tools}
    for day in range(SNAPSHOTS):
        if day > 0:
            if args.data == "random":
                working_day(src, day, rng)
            else:
                subprocess.run([PHOTOSET, "edit", src, "--session", str(day), "--seed", "17"], check=True, stdout=subprocess.DEVNULL)
        time.sleep(1.1)  # past triplicate's racy-timestamp second, as files on a real disk are
        print(f"snapshot {day + 1} of {SNAPSHOTS} ...", file=sys.stderr)
        for t in tools:
            backup_seconds[t.name] += t.backup(src)[0]
    source_bytes = du(src)
    before = {t.name: du(t.repo) for t in tools}

    results = {}
    os.sync()
    print("forget and prune ...", file=sys.stderr)
    for t in tools:
        if t.name == "restic":
            seconds, rss = run(["restic", "forget", "--keep-last", str(KEEP), "--prune"], t.env)
        elif t.name == "borg":
            s1, r1 = run(["borg", "prune", "--keep-last", str(KEEP)], t.env)
            s2, r2 = run(["borg", "compact"], t.env)
            seconds, rss = s1 + s2, max(r1, r2)
        else:
            seconds, rss = run([TRIPLICATE, "forget", "--keep-last", str(KEEP), "--prune"], t.env)
        results[t.name] = (seconds, rss, du(t.repo))

    # What the kept data takes in a new repository: the latest state alone, as a floor (the kept snapshots differ
    # from it by a few files).
    fresh = os.path.join(args.work, "triplicate-fresh")
    env = {"TRIPLICATE_PASSWORD": PASSWORD, "TRIPLICATE_REPOSITORY": fresh}
    run([TRIPLICATE, "init"], env)
    run([TRIPLICATE, "backup", "--quiet", src], env)
    fresh_bytes = du(fresh)
    check_seconds, _ = run([TRIPLICATE, "check", "--read-data"], tools[2].env)

    what = "Random (incompressible) data" if args.data == "random" else "Photo set"
    print(f"{what}: {args.size} requested, {source_bytes / 1e9:.2f} GB at the last of {SNAPSHOTS} "
          f"snapshots; keep the last {KEEP}; {os.cpu_count()} cores. Times in seconds, peak RSS in MiB, sizes in MB.\n")
    print("| tool | 50 backups s | forget + prune s | peak RSS | repo before | repo after | freed |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for t in tools:
        s, r, after = results[t.name]
        print(f"| {t.name} | {backup_seconds[t.name]:.1f} | {s:.1f} | {r:.0f} | {before[t.name] / 1e6:.0f} | {after / 1e6:.0f} | "
              f"{(before[t.name] - after) / 1e6:.0f} |")
    tr, rs = results["triplicate"], results["restic"]
    print(f"\ntriplicate's forget + prune took {tr[0] / rs[0]:.2f}x restic's time and {tr[1] / rs[1]:.2f}x its peak memory. "
          f"A new triplicate repository of the latest state alone takes {fresh_bytes / 1e6:.0f} MB; "
          f"`check --read-data` after the prune passed in {check_seconds:.1f} s.")
    shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
