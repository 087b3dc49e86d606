#!/usr/bin/env python3
"""A/B of two ebb revisions on the ops workload: the before-and-after of a change.

    bench/ab.py [--rounds R] [--kind u64|str|big] [--n N] [--reps K] [--vs boost] A B

A and B are git revisions, or "work" for the working tree. Each is exported into
build/ab/<name>/ and its library and bench driver built there (make, then bench/bench.mk). The two
drivers then run alternately, R rounds of `drv_ebb ops KIND N K` each (plus boost's driver with
--vs boost, installed by make bench-boost), and the report gives, per operation, each side's median
ns/op and the median of the per-round ratios B/A.

Why this shape: timings on these shared VMs drift by 10% and more within minutes, so two builds
measured one after the other compare the machine's moods, not the builds. Alternating rounds and
taking the ratio within each round cancels what the two runs share; the median drops the rounds a
neighbour disturbed. Run the same revision as A and B to see how far apart noise alone puts them.
"""
import argparse
import os
import statistics
import subprocess
import sys

OPS = ["insert", "lookup_hit", "lookup_miss", "replace", "iterate", "churn", "delete"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fail(msg):
    print("ab: " + msg, file=sys.stderr)
    sys.exit(2)


def export(rev, dest):
    """The tree of rev (or the working tree for "work") in dest, replacing what was there."""
    subprocess.run(["rm", "-rf", dest], check=True)
    os.makedirs(dest)
    if rev == "work":
        files = subprocess.run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"],
                               check=True, capture_output=True).stdout.split(b"\0")
        for f in filter(None, files):
            f = f.decode()
            if not os.path.exists(os.path.join(ROOT, f)):
                continue  # deleted in the working tree
            os.makedirs(os.path.join(dest, os.path.dirname(f)), exist_ok=True)
            subprocess.run(["cp", "-p", os.path.join(ROOT, f), os.path.join(dest, f)], check=True)
        return
    if subprocess.run(["git", "-C", ROOT, "rev-parse", "--verify", "-q", rev + "^{commit}"],
                      capture_output=True).returncode != 0:
        fail("not a revision: " + rev)
    archive = subprocess.Popen(["git", "-C", ROOT, "archive", rev], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", dest], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        fail("git archive failed for " + rev)


def clean_env():
    """The environment without what `make bench-ab A=.. B=..` passes down to sub-makes: the
    revision's own Makefiles must not see A and B as variable overrides (older bench.mk files
    named their output folder B)."""
    drop = ("MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL")
    return {k: v for k, v in os.environ.items() if k not in drop}


def build(rev, name):
    dest = os.path.join(ROOT, "build", "ab", name)
    export(rev, dest)
    with open(os.path.join(ROOT, "build", "ab", name + ".log"), "w") as log:
        for cmd in (["make", "-C", dest, "build/libebb.a"],
                    ["make", "-C", dest, "-f", "bench/bench.mk", "build/bench/drv_ebb"]):
            if subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=clean_env()).returncode != 0:
                fail("building %s failed: see build/ab/%s.log" % (rev, name))
    return os.path.join(dest, "build", "bench", "drv_ebb")


def run(driver, kind, n, reps):
    """Median ns/op per operation over the driver's timed repetitions."""
    out = subprocess.run([driver, "ops", kind, str(n), str(reps)], capture_output=True, text=True)
    if out.returncode != 0:
        fail("%s failed: %s" % (driver, out.stderr.strip()))
    got = {}
    for line in out.stdout.splitlines():
        f = line.split(",")
        if f[0] == "ops":
            got.setdefault(f[4], []).append(float(f[6]))
    return {op: statistics.median(v) for op, v in got.items()}


def main():
    ap = argparse.ArgumentParser(description="A/B of two ebb revisions (see the file's head)")
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--kind", default="u64", choices=["u64", "str", "big"])
    ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--vs", choices=["boost"], help="also run a peer's driver each round")
    args = ap.parse_args()
    if args.rounds < 1 or args.n < 1 or args.reps < 1:
        fail("--rounds, --n and --reps must be at least 1")
    drivers = {"A": build(args.a, "a"), "B": build(args.b, "b")}
    if args.vs:
        peer = os.path.join(ROOT, "build", "bench", "drv_" + args.vs)
        if not os.access(peer, os.X_OK):
            fail("no %s driver: run make bench-boost first" % peer)
        drivers[args.vs] = peer
    rounds = []
    for r in range(args.rounds):
        order = list(drivers) if r % 2 == 0 else list(reversed(drivers))
        rounds.append({d: run(drivers[d], args.kind, args.n, args.reps) for d in order})
        print("round %d/%d done" % (r + 1, args.rounds), file=sys.stderr)
    print("A = %s, B = %s: %s, n=%d, %d rounds, median ns/op (ratio: median of per-round ratios)"
          % (args.a, args.b, args.kind, args.n, args.rounds))
    cols = list(drivers) + ["B/A"] + (["A/" + args.vs, "B/" + args.vs] if args.vs else [])
    print("%-12s" % "op" + "".join("%10s" % c for c in cols))
    for op in OPS:
        if op not in rounds[0]["A"]:
            continue
        row = [statistics.median(r[d][op] for r in rounds) for d in drivers]
        row.append(statistics.median(r["B"][op] / r["A"][op] for r in rounds))
        if args.vs:
            row += [statistics.median(r[s][op] / r[args.vs][op] for r in rounds) for s in "AB"]
        print("%-12s" % op + "".join("%10.2f" % x for x in row))


if __name__ == "__main__":
    main()
