#!/usr/bin/env python3
"""Runs restic, borg and triplicate side by side on one generated photo set and prints a table.

Steps, each run by every tool on the same source state: the initial backup; a backup after editing
session 1; a backup after editing session 2; a no-change rescan; a restore of the latest snapshot;
and a no-change rescan of a tree of many small files. Then a Lightroom catalog alone (`--catalog-size`, default
700MB of photos with small RAW files, about 7,000 images and a 120 MB catalog; `--catalog-only` runs only this): each
tool backs up the catalog, then the catalog after each of `--catalog-sessions` editing sessions (default 8), and the
table gives what each backup added to each repository, against the target of at most 1/8 of restic's bytes for a day
of edits. All three tools encrypt and compress
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

With `--cloud` (or COMPARE_CLOUD=1; `make compare-cloud`), restic and triplicate then also back up to and restore
from an S3 bucket: one moto_server on a free 127.0.0.1 port, reached through scripts/shape-proxy.py at three link
settings (no shaping; 40 ms RTT; 40 ms RTT and 100 Mbit/s per connection and direction). For each setting and tool:
init into a new bucket (not timed), the initial backup of a new source of `--cloud-size` (default 150MB, photos or
random per `--data`), and a restore of the latest snapshot into an empty folder, checked file by file (SHA-256)
against the source. restic keeps its usual local cache (index and snapshots) between the backup and the restore;
triplicate has none. The table also counts the S3 requests of each step (from moto's log): moto closes the
connection after every answer, so each request pays a handshake through the proxy. Borg has no S3 backend (only
local and SSH repositories), so it is left out. `--cloud-only` skips the local steps; `--triplicate BINARY` measures
another build (its triplicate-photoset, when beside it, generates the photo set).

    make compare                      # 1 GB photo set in /tmp/triplicate-compare
    COMPARE_SIZE=4GB make compare
    COMPARE_DATA=random COMPARE_BEFORE=/path/to/old/triplicate make compare
    make compare-cloud                # the above, then the cloud steps on 150MB
    python3 scripts/compare.py --cloud-only --data random --cloud-size 300MB --triplicate /tmp/triplicate
"""
import argparse, hashlib, os, re, shutil, signal, socket, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRIPLICATE = os.path.join(ROOT, ".build", "release", "triplicate")
PHOTOSET = os.path.join(ROOT, ".build", "release", "triplicate-photoset")
PROXY = os.path.join(ROOT, "scripts", "shape-proxy.py")
PASSWORD = "compare-password"
# The link settings of the cloud steps: label, RTT in ms, Mbit/s per connection and direction (None: no cap).
LINKS = (("0 ms", 0, None), ("40 ms RTT", 40, None), ("40 ms RTT, 100 Mbit/s", 40, 100))
# Any key will do for moto; the B2_* variables would take precedence over AWS_* in triplicate, so they are unset.
S3_ENV = {"AWS_ACCESS_KEY_ID": "compare", "AWS_SECRET_ACCESS_KEY": "compare-secret", "AWS_REGION": "us-east-1",
          "AWS_DEFAULT_REGION": "us-east-1", "AWS_SESSION_TOKEN": None, "AWS_PROFILE": None,
          "B2_APPLICATION_KEY_ID": None, "B2_APPLICATION_KEY": None, "B2_REGION": None, "B2_ENDPOINT": None}


def run(cmd, env=None, cwd=None):
    """Runs cmd, returns (seconds, peak RSS in MiB); raises on failure.

    The peak RSS comes from GNU time, which starts the tool from its own small process: Linux counts in a child's
    peak the memory of the process it was forked from, so a figure taken here would include this script's."""
    full_env = {k: v for k, v in dict(os.environ, **(env or {})).items() if v is not None}  # None unsets
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
    def __init__(self, work, binary=None, name="triplicate"):
        self.name = name
        self.binary = binary or TRIPLICATE
        self.repo = os.path.join(work, name + "-repo")
        # Its block cache (the last version of each database stored) lives in the work folder, as ~/.cache would.
        self.env = {"TRIPLICATE_PASSWORD": PASSWORD, "TRIPLICATE_REPOSITORY": self.repo,
                    "XDG_CACHE_HOME": os.path.join(work, name + "-cache")}
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


def local(args):
    """The local steps: restic, borg and triplicate into folders on this disk."""
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, what, log):
    """Waits until 127.0.0.1:port accepts connections; raises if `proc` exits or 30 s pass."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited {proc.returncode}; see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} is not listening on {port} after 30 s; see {log}")


def stop(proc):
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_proxy(upstream, rtt, rate, work, n):
    """scripts/shape-proxy.py in front of 127.0.0.1:upstream; returns (process, port)."""
    port_file = os.path.join(work, f"proxy-{n}.port")
    log = os.path.join(work, f"proxy-{n}.log")
    cmd = [sys.executable, PROXY, str(upstream), port_file, "--rtt-ms", str(rtt)] + (["--rate-mbit", str(rate)] if rate else [])
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"the shaping proxy did not start; see {log}")
        time.sleep(0.05)
    with open(port_file) as f:
        return proc, int(f.read())


def tree(root):
    """relative path -> (size, SHA-256) of every file under root."""
    out = {}
    for d, _, files in os.walk(root):
        for name in files:
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = (os.path.getsize(path), hashlib.file_digest(f, "sha256").hexdigest())
    return out


def check_restore(target, src, expected):
    """Raises unless the restore in `target` (restic: target/<absolute source path>, triplicate: target/<name>) holds
    exactly the source's files and bytes."""
    for root in (os.path.join(target, src.lstrip("/")), os.path.join(target, os.path.basename(src))):
        if os.path.isdir(root):
            break
    else:
        raise RuntimeError(f"the restore in {target} holds no copy of {src}")
    got = tree(root)
    if got != expected:
        missing = len(expected.keys() - got.keys())
        extra = len(got.keys() - expected.keys())
        differ = sum(1 for k in expected.keys() & got.keys() if expected[k] != got[k])
        raise RuntimeError(f"restore differs from the source: {missing} files missing, {extra} extra, {differ} different")


def requests(log, bucket):
    """How many requests on `bucket` moto_server has logged (werkzeug's access log: "GET /bucket/key HTTP/1.1" 200)."""
    time.sleep(0.1)  # the line of the last request is written just after its answer
    pattern = re.compile(r'"[A-Z]+ /' + re.escape(bucket) + r'[/? ]')
    with open(log, errors="replace") as f:
        return sum(1 for line in f if pattern.search(line))


class CloudRestic(Restic):
    def __init__(self, work, endpoint, bucket):
        super().__init__(work)
        self.bucket = bucket
        self.env.update(S3_ENV, RESTIC_REPOSITORY=f"s3:{endpoint}/{bucket}",
                        RESTIC_CACHE_DIR=os.path.join(work, f"restic-cache-{bucket}"))


class CloudTriplicate(Triplicate):
    def __init__(self, work, endpoint, bucket):
        super().__init__(work)
        self.bucket = bucket
        self.env.update(S3_ENV, TRIPLICATE_REPOSITORY=f"s3:{endpoint}/{bucket}/triplicate")


def cloud(args):
    """The cloud steps: restic and triplicate against one moto_server, through the shaping proxy at each of LINKS."""
    if shutil.which("moto_server") is None:
        raise SystemExit("moto_server not found: python3 -m pip install 'moto[server]'")
    work = os.path.join(args.work, "cloud")
    src = prepare(work, args.cloud_size, args.data, 12)
    expected = tree(src)
    source_bytes = sum(size for size, _ in expected.values())
    time.sleep(1.2)  # past triplicate's racy-timestamp second
    results = {}  # (setting, step) -> tool -> (seconds, rss) or an error message
    moto, proxy = None, None
    moto_log = os.path.join(work, "moto.log")
    try:
        moto_port = free_port()
        with open(moto_log, "w") as f:
            moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)], stdout=f, stderr=subprocess.STDOUT)
        wait_listening(moto_port, moto, "moto_server", moto_log)
        for n, (label, rtt, rate) in enumerate(LINKS):
            proxy, port = start_proxy(moto_port, rtt, rate, work, n)
            endpoint = f"http://127.0.0.1:{port}"
            slug = f"link{n}-{rtt}ms" + (f"-{rate}mbit" if rate else "")
            tools = [CloudRestic(work, endpoint, f"restic-{slug}"), CloudTriplicate(work, endpoint, f"triplicate-{slug}")]
            failed = {}
            for t in tools:
                try:
                    t.init()
                except RuntimeError as e:
                    failed[t.name] = f"init failed: {e}"
                    print(f"{label}: {t.name} init failed: {e}", file=sys.stderr)

            def step(name, action):
                print(f"{label}: {name} ...", file=sys.stderr)
                for t in tools:
                    if t.name in failed:
                        results.setdefault((label, name), {})[t.name] = failed[t.name]
                        continue
                    os.sync()
                    try:
                        before = requests(moto_log, t.bucket)
                        seconds, rss = action(t)
                        results.setdefault((label, name), {})[t.name] = (seconds, rss, requests(moto_log, t.bucket) - before)
                    except RuntimeError as e:
                        failed[t.name] = f"{name} failed: {e}"
                        results.setdefault((label, name), {})[t.name] = failed[t.name]
                        print(f"{label}: {t.name} {name} failed: {e}", file=sys.stderr)

            def restore(t):
                target = os.path.join(work, f"restore-{t.name}-{slug}")
                try:
                    r = t.restore(target)
                    check_restore(target, src, expected)
                    return r
                finally:
                    shutil.rmtree(target, ignore_errors=True)

            step(f"initial backup of {args.cloud_size}", lambda t: t.backup(src))
            step("restore latest", restore)
            stop(proxy)
            proxy = None
    finally:
        stop(proxy)
        stop(moto)

    what = "photo set" if args.data == "photos" else "random (incompressible) data"
    print(f"\nCloud: {args.cloud_size} of {what} ({source_bytes / 1e6:.0f} MB in {len(expected)} files) to a moto_server "
          f"on 127.0.0.1 through scripts/shape-proxy.py; {os.cpu_count()} cores. Times in seconds, peak RSS in MiB. "
          f"Every restore was compared file by file with the source. Borg has no S3 backend, so it is not in this table.\n")
    print("| setting | step | restic s | triplicate s | restic / triplicate | RSS MiB restic / triplicate | S3 requests restic / triplicate |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    errors = []
    for (label, name), r in results.items():
        cells, rss, reqs = [], [], []
        for tool in ("restic", "triplicate"):
            v = r.get(tool)
            if isinstance(v, tuple):
                cells.append(f"{v[0]:.1f}")
                rss.append(f"{v[1]:.0f}")
                reqs.append(str(v[2]))
            else:
                cells.append("failed")
                rss.append("-")
                reqs.append("-")
                if v and v not in errors:
                    errors.append(v)
        rs, tr = r.get("restic"), r.get("triplicate")
        ratio = f"{rs[0] / tr[0]:.2f}x" if isinstance(rs, tuple) and isinstance(tr, tuple) and tr[0] > 0 else "-"
        print(f"| {label} | {name} | {cells[0]} | {cells[1]} | {ratio} | {rss[0]} / {rss[1]} | {reqs[0]} / {reqs[1]} |")
    print("\n\"restic / triplicate\" is how many times faster triplicate was (above 1 is faster). The 100 Mbit/s cap is per "
          "connection: a tool that transfers on several connections at once gets more in all. moto_server (werkzeug) closes "
          "the connection after every answer, so through the proxy each request pays a new handshake, 2 RTT in all, where "
          "S3 or B2 over a kept-alive connection would cost 1 RTT: requests made one after another weigh double here.")
    for e in errors:
        print(f"\nerror: {e}")
    shutil.rmtree(args.work, ignore_errors=True)
    return 1 if errors else 0


def changed_pages(a, b, page=4096):
    """How many `page`-byte pages of file b differ from file a at the same offset (pages past a's end count)."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        n = 0
        while True:
            x, y = fa.read(page), fb.read(page)
            if not y:
                return n
            n += x != y


def catalog(args):
    """A Lightroom catalog alone, as it grows over `--catalog-sessions` editing sessions: what each day of edits adds to each tool's
    repository. The catalog comes from a photo set of many small RAW files (`--catalog-size`, RAW files of 64-80 KB), so
    that it has as many images as a working photographer's (about 10 per MB of set)."""
    work = os.path.join(args.work, "catalog")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    photos = os.path.join(work, "set")
    print(f"generating a photo set of {args.catalog_size} with small RAW files for its catalog ...", file=sys.stderr)
    subprocess.run([PHOTOSET, "generate", photos, "--size", args.catalog_size, "--raw-size", "64KB-80KB", "--seed", "11"],
                   check=True, stdout=subprocess.DEVNULL)
    versions = []
    for session in range(args.catalog_sessions + 1):
        if session:
            subprocess.run([PHOTOSET, "edit", photos, "--session", str(session), "--seed", "11"], check=True, stdout=subprocess.DEVNULL)
        versions.append(os.path.join(work, f"Catalog-{session}.lrcat"))
        shutil.copyfile(os.path.join(photos, "Lightroom", "Catalog.lrcat"), versions[-1])
    shutil.rmtree(photos)
    src = os.path.join(work, "Lightroom")
    os.makedirs(src)
    tools = [Restic(work), Borg(work), Triplicate(work)]
    for t in tools:
        t.init()
    rows = []
    for session, version in enumerate(versions):
        shutil.copyfile(version, os.path.join(src, "Catalog.lrcat"))
        time.sleep(1.2)
        sizes = {}
        for t in tools:
            before = du(t.repo)
            t.backup(src)
            sizes[t.name] = du(t.repo) - before
        pages = changed_pages(versions[session - 1], version) if session else os.path.getsize(version) // 4096
        rows.append((session, os.path.getsize(version), pages, sizes))
    print(f"\nA Lightroom catalog alone (from a {args.catalog_size} photo set of small RAW files), backed up after each editing "
          "session: bytes each repository grew by, in MB. Pages are 4 KiB; the first row counts all of them.\n")
    print("| step | catalog MB | pages changed | restic | borg | triplicate | triplicate / restic | triplicate / borg |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for session, size, pages, sizes in rows:
        name = "initial backup" if session == 0 else f"after editing session {session}"
        tr, rs, bo = sizes["triplicate"], sizes["restic"], sizes["borg"]
        print(f"| {name} | {size / 1e6:.1f} | {pages:,} | {rs / 1e6:.2f} | {bo / 1e6:.2f} | {tr / 1e6:.2f} | "
              f"{tr / rs:.2f} | {tr / bo:.2f} |")
    print("\nThe target for a day of edits is triplicate / restic at most 0.125.")
    shutil.rmtree(work, ignore_errors=True)


def main():
    global TRIPLICATE, PHOTOSET
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default=os.environ.get("COMPARE_SIZE", "1GB"))
    ap.add_argument("--small-files", type=int, default=int(os.environ.get("COMPARE_SMALL_FILES", "100000")))
    ap.add_argument("--work", default=os.environ.get("COMPARE_DIR", "/tmp/triplicate-compare"))
    ap.add_argument("--data", choices=["photos", "random"], default=os.environ.get("COMPARE_DATA", "photos"))
    ap.add_argument("--before", default=os.environ.get("COMPARE_BEFORE"), help="an older triplicate binary to run as well")
    ap.add_argument("--triplicate", default=os.environ.get("COMPARE_TRIPLICATE", TRIPLICATE), metavar="BINARY",
                    help="the triplicate binary to measure (default .build/release/triplicate)")
    ap.add_argument("--photoset", metavar="BINARY", default=os.environ.get("COMPARE_PHOTOSET"),
                    help="the photo set generator (default: triplicate-photoset beside --triplicate, else .build/release's)")
    ap.add_argument("--cloud", action="store_true", default=os.environ.get("COMPARE_CLOUD", "") == "1",
                    help="also back up to and restore from S3 (moto_server) through the shaping proxy")
    ap.add_argument("--cloud-only", action="store_true", help="only the cloud steps")
    ap.add_argument("--cloud-size", default=os.environ.get("COMPARE_CLOUD_SIZE", "150MB"))
    ap.add_argument("--catalog-size", default=os.environ.get("COMPARE_CATALOG_SIZE", "700MB"),
                    help="size of the photo set whose catalog the catalog steps back up (0 skips them)")
    ap.add_argument("--catalog-sessions", type=int, default=8,
                    help="editing sessions after the catalog's first backup, each backed up (default 8)")
    ap.add_argument("--catalog-only", action="store_true", help="only the catalog steps")
    args = ap.parse_args()
    TRIPLICATE = os.path.abspath(args.triplicate)
    beside = os.path.join(os.path.dirname(TRIPLICATE), "triplicate-photoset")
    PHOTOSET = os.path.abspath(args.photoset) if args.photoset else beside if os.path.exists(beside) else PHOTOSET
    if not args.cloud_only and not args.catalog_only:
        local(args)
    if not args.cloud_only and args.catalog_size not in ("0", "0MB"):
        catalog(args)
    if args.cloud or args.cloud_only:
        return cloud(args)


if __name__ == "__main__":
    sys.exit(main())
