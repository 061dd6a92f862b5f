#!/usr/bin/env python3
"""Runs restic, borg and triplicate side by side on one generated photo set and prints a table.

Steps, each run by every tool on the same source state: the initial backup; a backup after editing
session 1; a backup after editing session 2; a no-change rescan; a restore of the latest snapshot;
and a no-change rescan of a tree of many small files. All three tools encrypt and compress
(restic 0.14: AES-256 + Poly1305-AES, repository version 2 with its default zstd compression "auto";
borg 1.2: repokey-blake2, zstd,3; triplicate: AES-256-GCM, zstd level 1 where it shrinks, its default).
For each step it reports wall time, peak RSS of the tool's process and the repository size after
the step, and the ratio of triplicate to restic and to borg. Then triplicate alone: the initial backup
pinned to one core (taskset) against all cores, and at zstd level 3, each into a new repository.

The data is the generated photo set by default (its sensor data compresses, slowly at zstd level 3); with
`--data random` it is files of 20-60 MB of random bytes (like already-compressed RAW, which no tool can
shrink), edited by adding files, rewriting a megabyte inside two files and deleting one. Measure on both:
each flatters a different tool. `--before BINARY` also runs an older triplicate build in the same run, as a
fourth tool, and adds a table of before against after.

    make compare                      # 1 GB photo set in /tmp/triplicate-compare
    COMPARE_SIZE=4GB make compare
    COMPARE_DATA=random COMPARE_BEFORE=/path/to/old/triplicate make compare
"""
import argparse, os, shutil, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRIPLICATE = os.path.join(ROOT, ".build", "release", "triplicate")
PHOTOSET = os.path.join(ROOT, ".build", "release", "triplicate-photoset")
PASSWORD = "compare-password"


def run(cmd, env=None, cwd=None):
    """Runs cmd, returns (seconds, peak RSS in MiB); raises on failure.

    The peak RSS comes from GNU time, which starts the tool from its own small process: Linux counts in a child's
    peak the memory of the process it was forked from, so a figure taken here would include this script's."""
    full_env = dict(os.environ, **(env or {}))
    rss_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"compare-rss-{os.getpid()}")
    start = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd, env=full_env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, _ = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {code}: {err[-2000:]}")
    with open(rss_file) as f:
        kib = int(f.read().split()[-1])
    os.remove(rss_file)
    return seconds, kib / 1024


def du(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            p = os.path.join(d, f)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


class Restic:
    name = "restic"
    def __init__(self, work):
        self.repo = os.path.join(work, "restic-repo")
        self.env = {"RESTIC_PASSWORD": PASSWORD, "RESTIC_REPOSITORY": self.repo, "RESTIC_CACHE_DIR": os.path.join(work, "restic-cache")}
    def init(self): return run(["restic", "init"], self.env)
    def backup(self, src): return run(["restic", "backup", "--quiet", src], self.env)
    def restore(self, target): return run(["restic", "restore", "latest", "--target", target], self.env)


class Borg:
    name = "borg"
    def __init__(self, work):
        self.repo = os.path.join(work, "borg-repo")
        self.env = {"BORG_PASSPHRASE": PASSWORD, "BORG_REPO": self.repo, "BORG_BASE_DIR": os.path.join(work, "borg-base")}
        self.n = 0
    def init(self): return run(["borg", "init", "--encryption=repokey-blake2"], self.env)
    def backup(self, src):
        self.n += 1
        return run(["borg", "create", "--compression", "zstd,3", f"::s{self.n}", src], self.env)
    def restore(self, target):
        os.makedirs(target, exist_ok=True)
        return run(["borg", "extract", f"::s{self.n}"], self.env, cwd=target)


class Triplicate:
    def __init__(self, work, binary=TRIPLICATE, name="triplicate"):
        self.name = name
        self.binary = binary
        self.repo = os.path.join(work, name + "-repo")
        self.env = {"TRIPLICATE_PASSWORD": PASSWORD, "TRIPLICATE_REPOSITORY": self.repo}
    def init(self): return run([self.binary, "init"], self.env)
    def backup(self, src): return run([self.binary, "backup", "--quiet", src], self.env)
    def restore(self, target): return run([self.binary, "restore", "latest", "--target", target], self.env)


def parse_size(text):
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
    for u, m in units.items():
        if text.upper().endswith(u):
            return int(float(text[:-2]) * m)
    return int(text)


def write_random(path, n):
    """Writes n random bytes in 4 MB pieces: the tools are started by fork, and the peak RSS the kernel reports for
    them counts what this process holds when they start."""
    with open(path, "wb") as f:
        while n > 0:
            piece = min(n, 4 << 20)
            f.write(os.urandom(piece))
            n -= piece


def random_generate(src, size, seed):
    """Files of 20-60 MB of random bytes until `size`, in folders of ten."""
    import random
    rng = random.Random(seed)
    written, i = 0, 0
    while written < size:
        n = min(rng.randint(20, 60) * 10**6, max(size - written, 1))
        d = os.path.join(src, f"{i // 10:03}")
        os.makedirs(d, exist_ok=True)
        write_random(os.path.join(d, f"DSC_{i:05}.NEF"), n)
        written += n
        i += 1


def random_edit(src, session, seed):
    """A working day on incompressible data: 5% new files, a megabyte rewritten inside two files, one file deleted."""
    import random
    rng = random.Random(seed * 1000 + session)
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs)
    total = sum(os.path.getsize(f) for f in files)
    new = os.path.join(src, f"import-{session}")
    os.makedirs(new)
    added = 0
    while added < total // 20:
        n = rng.randint(20, 60) * 10**6
        write_random(os.path.join(new, f"DSC_{session}_{added}.NEF"), n)
        added += n
    for path in rng.sample(files, min(2, len(files))):
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            f.write(os.urandom(10**6))
    os.remove(rng.choice(files))


def prepare(work, size, data, seed):
    """Empties `work` and generates the source in work/Photos: the photo set or random files of `size`."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    src = os.path.join(work, "Photos")
    print(f"generating {size} of {data} data ...", file=sys.stderr)
    if data == "random":
        random_generate(src, parse_size(size), seed)
    else:
        subprocess.run([PHOTOSET, "generate", src, "--size", size, "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL)
    return src


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default=os.environ.get("COMPARE_SIZE", "1GB"))
    ap.add_argument("--small-files", type=int, default=int(os.environ.get("COMPARE_SMALL_FILES", "100000")))
    ap.add_argument("--work", default=os.environ.get("COMPARE_DIR", "/tmp/triplicate-compare"))
    ap.add_argument("--data", choices=["photos", "random"], default=os.environ.get("COMPARE_DATA", "photos"))
    ap.add_argument("--before", default=os.environ.get("COMPARE_BEFORE"), help="an older triplicate binary to run as well")
    args = ap.parse_args()
    src = prepare(args.work, args.size, args.data, 11)
    tools = [Restic(args.work), Borg(args.work), Triplicate(args.work)]
    if args.before:
        tools.append(Triplicate(args.work, os.path.abspath(args.before), "before"))
    for t in tools:
        t.init()
    results = {}  # step -> tool -> (seconds, rss, repo bytes)

    def step(name, action):
        print(f"{name} ...", file=sys.stderr)
        os.sync()
        for t in tools:
            seconds, rss = action(t)
            results.setdefault(name, {})[t.name] = (seconds, rss, du(t.repo))

    time.sleep(1.2)  # past triplicate's racy-timestamp second, as files on a real disk are
    step("initial backup", lambda t: t.backup(src))
    for session in (1, 2):
        if args.data == "random":
            random_edit(src, session, 11)
        else:
            subprocess.run([PHOTOSET, "edit", src, "--session", str(session), "--seed", "11"], check=True, stdout=subprocess.DEVNULL)
        time.sleep(1.2)
        step(f"backup after editing session {session}", lambda t: t.backup(src))
    step("no-change rescan", lambda t: t.backup(src))

    def restore(t):
        target = os.path.join(args.work, f"restore-{t.name}")
        r = t.restore(target)
        shutil.rmtree(target, ignore_errors=True)
        return r
    step("restore latest", restore)

    if args.small_files > 0:
        many = os.path.join(args.work, "many")
        print(f"creating {args.small_files} small files ...", file=sys.stderr)
        for i in range(args.small_files):
            d = os.path.join(many, f"{i // 1000:03}")
            if i % 1000 == 0:
                os.makedirs(d)
            with open(os.path.join(d, f"IMG_{i:06}.xmp"), "w") as f:
                f.write(f"<x:xmpmeta rating='{i % 6}'/>\n")
        time.sleep(1.2)
        for t in tools:
            t.backup(many)
        step(f"no-change rescan of {args.small_files:,} files", lambda t: t.backup(many))

    # Triplicate alone: scaling with cores, and what zstd level 3 would cost and save.
    extra = []
    cores = os.cpu_count() or 1
    for label, prefix, args_extra in (("initial backup, 1 core (taskset -c 0)", ["taskset", "-c", "0"], []),
                                      (f"initial backup, {cores} cores", [], []),
                                      (f"initial backup, {cores} cores, --compression-level 3", [], ["--compression-level", "3"])):
        repo = os.path.join(args.work, "triplicate-extra")
        shutil.rmtree(repo, ignore_errors=True)
        env = {"TRIPLICATE_PASSWORD": PASSWORD, "TRIPLICATE_REPOSITORY": repo}
        run([TRIPLICATE, "init"], env)
        os.sync()
        seconds, rss = run(prefix + [TRIPLICATE, "backup", "--quiet"] + args_extra + [src], env)
        extra.append((label, seconds, rss, du(repo)))
        shutil.rmtree(repo, ignore_errors=True)

    source_bytes = du(src)
    what = "Photo set" if args.data == "photos" else "Random (incompressible) data"
    print(f"{what}: {args.size} requested, {source_bytes / 1e9:.2f} GB after two editing sessions; "
          f"{os.cpu_count()} cores. Times in seconds, peak RSS in MiB, repository size in MB after the step.\n")
    print("| step | restic s | borg s | triplicate s | vs restic | vs borg | restic RSS | borg RSS | triplicate RSS | restic repo | borg repo | triplicate repo |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        rs, bo, tr = r["restic"], r["borg"], r["triplicate"]
        print(f"| {name} | {rs[0]:.1f} | {bo[0]:.1f} | {tr[0]:.1f} | {rs[0] / tr[0]:.2f}x | {bo[0] / tr[0]:.2f}x | "
              f"{rs[1]:.0f} | {bo[1]:.0f} | {tr[1]:.0f} | {rs[2] / 1e6:.0f} | {bo[2] / 1e6:.0f} | {tr[2] / 1e6:.0f} |")
    print("\n\"vs restic\" and \"vs borg\" are how many times faster triplicate was (above 1 is faster).")
    if args.before:
        print(f"\nThis build against the one at {args.before}, in the same run:\n")
        print("| step | before s | after s | after / before | before RSS | after RSS | before repo | after repo |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, r in results.items():
            b, a = r["before"], r["triplicate"]
            print(f"| {name} | {b[0]:.2f} | {a[0]:.2f} | {a[0] / b[0]:.2f} | {b[1]:.0f} | {a[1]:.0f} | {b[2] / 1e6:.0f} | {a[2] / 1e6:.0f} |")
    print("\nTriplicate alone, the edited set into a new repository each time:\n")
    print("| run | seconds | peak RSS MiB | repository MB |")
    print("| --- | ---: | ---: | ---: |")
    for label, seconds, rss, size in extra:
        print(f"| {label} | {seconds:.1f} | {rss:.0f} | {size / 1e6:.0f} |")
    if len(extra) >= 2 and extra[1][1] > 0:
        print(f"\nSpeed-up of the whole backup from 1 core to {cores}: {extra[0][1] / extra[1][1]:.2f}x")
    shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
