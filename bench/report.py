#!/usr/bin/env python3
"""Turns the raw CSVs of bench/run.sh into build/bench/report.md and build/bench/plots/*.svg.

    python3 bench/report.py BUILD/bench [--plots-url PREFIX] [--out PATH]

Every figure is a median over the repetitions; every ns/op figure also appears as a ratio to the
best peer in its row (the fastest table other than ebb), so ebb's ratio < 1 means ebb beat them
all. gnuplot draws the plots when it is installed; the tables do not need it."""
import csv
import os
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict

ORDER = ["ebb", "boost", "absl", "std", "glib", "uthash", "go"]
LONG = {
    "ebb": "ebb",
    "boost": "boost::unordered_flat_map",
    "absl": "absl::flat_hash_map",
    "std": "std::unordered_map",
    "glib": "glib GHashTable",
    "uthash": "uthash",
    "go": "Go map",
}
KINDS = {"u64": "u64 → u64", "str": "string → u64", "big": "u64 → 56-byte struct",
         "strval": "string → heap value, both owned (the incident)"}
OPS = ["insert", "lookup_hit", "lookup_miss", "replace", "iterate", "churn", "delete"]
ALLOCS = ["glibc", "jemalloc", "mimalloc", "go"]


def rows(path, fields):
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for r in csv.reader(f):
            if len(r) < len(fields):
                continue
            d = dict(zip(fields, r))
            for k, v in d.items():
                try:
                    d[k] = float(v) if "." in v else int(v)
                except ValueError:
                    pass
            out.append(d)
    return out


def tables_in(rs):
    seen = {r["table"] for r in rs}
    return [t for t in ORDER if t in seen] + sorted(seen - set(ORDER))


def fmt(x, digits=1):
    if x is None:
        return "—"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.{digits}f}"


def ratio(x, best):
    if x is None or not best:
        return ""
    return f" ({x / best:.2f}×)"


def nice_n(n):
    n = int(n)
    if n >= 1000000 and n % 1000000 == 0:
        return f"{n // 1000000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


class Report:
    def __init__(self, base, plots_url, out_path=None):
        self.out_path = out_path or os.path.join(base, "report.md")
        self.base = base
        self.res = os.path.join(base, "results")
        self.plots = os.path.join(base, "plots")
        self.plots_url = plots_url
        self.out = []
        self.losses = []
        self.headline = []
        self.gnuplot = shutil.which("gnuplot")
        os.makedirs(self.plots, exist_ok=True)
        self.machine = {}
        mpath = os.path.join(self.res, "machine.txt")
        if os.path.exists(mpath):
            for line in open(mpath):
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    self.machine[k] = v

    def w(self, s=""):
        self.out.append(s)

    def table(self, head, body):
        self.w("| " + " | ".join(head) + " |")
        self.w("|" + "---|" * len(head))
        for b in body:
            self.w("| " + " | ".join(b) + " |")
        self.w()

    def plot(self, name, script, caption):
        """Run a gnuplot script writing plots/NAME.svg; link it from the report."""
        if not self.gnuplot:
            return
        ext = os.environ.get("BENCH_PLOT_FORMAT", "svg")  # svg, or png (pngcairo)
        svg = os.path.join(self.plots, f"{name}.{ext}")
        term = "svg size 900,480 dynamic font 'sans,12' background '#ffffff'" if ext == "svg" \
            else "pngcairo size 900,480 font 'sans,10'"
        full = f"set terminal {term}\n" \
               f"set output '{name}.{ext}'\nset key outside right top\nset grid\nset termoption noenhanced\n" + script
        r = subprocess.run([self.gnuplot], input=full, text=True, capture_output=True,
                           cwd=self.plots)
        if r.returncode == 0 and os.path.exists(svg):
            self.w(f"![{caption}]({self.plots_url}{name}.{ext})")
            self.w()
        else:
            sys.stderr.write(f"report: gnuplot failed for {name}: {r.stderr[:300]}\n")

    # ---- header --------------------------------------------------------------------------------
    def command(self):
        """The command that produced these results, as run.sh recorded it."""
        mode = self.machine.get("mode", "?")
        return self.machine.get("command") or ("make bench FULL=1" if mode == "full" else
                                               "make bench" if mode == "quick" else
                                               "bench/run.sh --smoke")

    def header(self):
        m = self.machine
        mode = m.get("mode", "?")
        self.w("# ebb benchmarks: side by side with the maps people use")
        self.w()
        if mode != "full":
            self.w(f"> **{mode.upper()} RUN** — reduced sizes (`{m.get('sizes', '')}`). "
                   "`make bench FULL=1` gives the issue's full sizes.")
            self.w()
        cmd = self.command()
        self.w(f"Command: `{cmd}` (commit `{m.get('commit', '?')}`, {m.get('date', '?')}, "
               f"{int(m.get('elapsed_s', 0)) // 60} min {int(m.get('elapsed_s', 0)) % 60} s).")
        self.w()
        self.w(f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, "
               f"{m.get('mem_gib', '?')} GiB, {m.get('os', '?')}, Linux {m.get('kernel', '?')}. "
               "A shared VM: absolute times drift between runs, so read the ratios (measured "
               "in the same run, rounds interleaved across tables).")
        self.w()
        pk = lambda p: m.get("pkg_" + p, "") or "not installed"
        self.w(f"Compilers and peers: gcc {m.get('gcc', '?')} / g++ {m.get('gxx', '?')}, "
               f"{m.get('go', '?')}; boost {pk('libboost1.81-dev')}, absl {pk('libabsl-dev')}, "
               f"glib {pk('libglib2.0-dev')}, uthash {pk('uthash-dev')}, jemalloc "
               f"{pk('libjemalloc2')}, mimalloc {pk('libmimalloc2.0')} (all Debian packages).")
        self.w()
        self.w(f"Sizes: `{m.get('sizes', '')}`. Flags: {m.get('cflags', '')}, the same for "
               "every C and C++ table. Every table at its default load factor, no `reserve`.")
        self.w()
        self.w("Hashes: every C and C++ table that takes a hash gets ebb's — `ebb_hash_u64` "
               "for integers, `ebb_hash_bytes_inline` for strings (inline, as in ebb's own maps), "
               "under one fixed seed; boost is told "
               "it is avalanching (so it does not mix it again, as ebb does not); glib and "
               "uthash fold it to their 32 bits. ebb's string maps use C strings (`strlen` on "
               "every call), as do glib and uthash; the C++ maps get a `std::string_view` "
               "built from the same C string. Go uses its own hash (it takes no other). The "
               "patterned-key workload gives every C/C++ table the identity instead.")
        self.w()

    # ---- 1. ops ------------------------------------------------------------------------------
    def ops(self):
        rs = rows(os.path.join(self.res, "ops.csv"),
                  ["w", "table", "kind", "n", "op", "rep", "ns"])
        if not rs:
            return
        self.w("## 1. Operations: ns/op")
        self.w()
        self.w("Insert n keys into an empty map, look all of them up (hit), look up n absent "
               "keys (miss), overwrite every value (replace), iterate every entry, then n times "
               "delete a live key and insert an absent one (churn, ns per pair: the table stays "
               "at its size), and delete every key (delete: the table drains, and a map that "
               "gives memory back shrinks through every size). Median of the timed repetitions "
               "(one warm-up discarded per process). Each cell: ns/op (ratio to the best peer "
               "in the row: the fastest table that is not ebb). Bold: the fastest in the row.")
        self.w()
        med = defaultdict(list)
        for r in rs:
            med[(r["kind"], r["n"], r["op"], r["table"])].append(r["ns"])
        tabs = tables_in(rs)
        self.ops_med = {k: statistics.median(v) for k, v in med.items()}
        self.ops_reps = max(len(v) for v in med.values())
        self.w(f"Repetitions per figure: {self.ops_reps}.")
        self.w()
        for kind in ["u64", "str", "big"]:
            for n in sorted({r["n"] for r in rs if r["kind"] == kind}):
                body = []
                for op in OPS:
                    vals = {t: self.ops_med.get((kind, n, op, t)) for t in tabs}
                    peers = [v for t, v in vals.items() if t != "ebb" and v is not None]
                    best_peer = min(peers) if peers else None
                    best = min(v for v in vals.values() if v is not None)
                    cells = []
                    for t in tabs:
                        v = vals[t]
                        c = fmt(v) + ratio(v, best_peer) if v is not None else "—"
                        cells.append(f"**{c}**" if v == best else c)
                    e, b = vals.get("ebb"), vals.get("boost")
                    cells.append(f"{e / b:.2f}" if e and b else "—")
                    body.append([op.replace("_", " ")] + cells)
                    if e and best_peer and e > 1.05 * best_peer:
                        who = min((v, t) for t, v in vals.items() if t != "ebb" and v)[1]
                        self.losses.append(f"{KINDS[kind]}, {nice_n(n)}, {op.replace('_', ' ')}: "
                                           f"ebb {fmt(e)} ns vs {LONG[who]} {fmt(best_peer)} ns "
                                           f"({e / best_peer:.2f}×)")
                self.w(f"### {KINDS[kind]}, {nice_n(n)} entries")
                self.w()
                self.table(["op"] + [LONG[t] if t in LONG else t for t in tabs] + ["ebb ÷ boost"], body)
                self.ops_plot(kind, n, tabs)

    def ops_plot(self, kind, n, tabs):
        name = f"ops_{kind}_{nice_n(n)}"
        dat = os.path.join(self.plots, name + ".dat")
        with open(dat, "w") as f:
            f.write("op " + " ".join(tabs) + "\n")
            for op in OPS:
                f.write(op + " " + " ".join(
                    str(self.ops_med.get((kind, n, op, t), "NaN")) for t in tabs) + "\n")
        cols = ", ".join(f"'{name}.dat' using {i + 2}:xtic(1) title '{t}'"
                         for i, t in enumerate(tabs))
        self.plot(name, f"set title 'ns/op, {KINDS[kind]}, {nice_n(n)} entries (lower is better)'\n"
                        "set style data histograms\nset style histogram clustered gap 1\n"
                        "set style fill solid 0.8 border -1\nset ylabel 'ns/op'\n"
                        "set yrange [0:*]\nset key autotitle columnhead\n"
                        f"plot {cols}\n", f"ns/op {kind} {nice_n(n)}")

    # ---- 2. growth and retreat, 6. incident ---------------------------------------------------
    def grow(self, kinds, title, intro):
        rs = [r for r in rows(os.path.join(self.res, "grow.csv"),
                              ["w", "table", "alloc", "kind", "n", "left", "start", "peak",
                               "after_delete", "after_trim", "ref", "after_clear", "t_ins"])
              if r["kind"] in kinds]
        if not rs:
            return
        ts = rows(os.path.join(self.res, "grow_ts.csv"),
                  ["w", "table", "alloc", "kind", "n", "t", "phase", "entries", "rss"])
        self.w(title)
        self.w()
        self.w(intro)
        self.w()
        for kind in kinds:
            for alloc in ALLOCS:
                sel = {r["table"]: r for r in rs if r["kind"] == kind and r["alloc"] == alloc}
                if not sel:
                    continue
                if alloc == "go":
                    continue  # shown in the glibc table, marked
                if alloc == "glibc":
                    for r in rs:
                        if r["kind"] == kind and r["alloc"] == "go":
                            sel[r["table"]] = r
                tabs = [t for t in ORDER if t in sel]
                n = next(iter(sel.values()))["n"]
                body = []
                rat = {t: sel[t]["after_delete"] / sel[t]["ref"] for t in tabs if sel[t]["ref"] > 0}
                best_peer = min([v for t, v in rat.items() if t != "ebb"], default=None)
                for t in tabs:
                    r = sel[t]
                    rd = rat.get(t)
                    rt = r["after_trim"] / r["ref"] if r["ref"] > 0 else None
                    body.append([LONG[t] + (" (Go runtime)" if t == "go" else ""),
                                 fmt(r["peak"]), fmt(r["after_delete"]), fmt(r["ref"]),
                                 (f"**{rd:.2f}×**" if rd is not None else "—") + ratio(rd, best_peer),
                                 f"{rt:.2f}×" if rt is not None else "—",
                                 fmt(r["after_clear"]), f"{r['after_clear'] - r['start']:+.1f}",
                                 f"{r['t_ins']:.2f}"])
                    if t == "ebb" and rd is not None:
                        self.grow_ebb[(kind, alloc)] = rd
                        self.grow_n[kind] = n
                        if rd > 1.25:
                            self.losses.append(f"{KINDS[kind]}, {alloc}: RSS after 90% deleted "
                                               f"is {rd:.2f}× a fresh process (target ≤ 1.25×)")
                    if t != "ebb" and rd is not None:
                        self.grow_peer.setdefault((kind, alloc), []).append((rd, t))
                self.w(f"### {KINDS[kind]}, {nice_n(n)} entries, {alloc} malloc")
                self.w()
                self.table(["table", "peak RSS MB", "after 90% deleted MB", "fresh process with "
                            "the survivors MB", "after delete ÷ fresh (× best peer)",
                            "after malloc_trim(0) / GC ÷ fresh", "after clear MB",
                            "clear − start MB", "insert s"], body)
                self.grow_plot(ts, kind, alloc, n)

    def grow_plot(self, ts, kind, alloc, n):
        sel = [r for r in ts if r["kind"] == kind and (r["alloc"] == alloc or
                                                       (alloc == "glibc" and r["alloc"] == "go"))]
        tabs = tables_in(sel)
        if not tabs:
            return
        name = f"rss_{kind}_{alloc}"
        parts = []
        for t in tabs:
            dat = f"{name}_{t}.dat"
            with open(os.path.join(self.plots, dat), "w") as f:
                for r in sel:
                    if r["table"] == t:
                        f.write(f"{r['t']} {r['rss']}\n")
            parts.append(f"'{dat}' using 1:2 with lines lw 2 title '{t}'")
        self.plot(name, f"set title 'RSS while inserting {nice_n(n)}, deleting 90%, clearing "
                        f"({kind}, {alloc})'\nset xlabel 'seconds'\nset ylabel 'RSS MB'\n"
                        f"plot {', '.join(parts)}\n", f"RSS over time {kind} {alloc}")

    # ---- 3. tail latency ----------------------------------------------------------------------
    def tail(self):
        rs = rows(os.path.join(self.res, "tail.csv"),
                  ["w", "table", "kind", "n", "phase", "ops", "p50", "p99", "p999", "p9999",
                   "max", "over100"])
        if not rs:
            return
        n = self.tail_n = rs[0]["n"]
        self.w("## 3. Tail latency: every operation timed")
        self.w()
        self.w(f"Every insert growing an empty u64 → u64 map to {nice_n(n)} and every delete "
               "back to empty, each timed on its own (rdtsc, calibrated against "
               "CLOCK_MONOTONIC; Go: `time.Now`), into a histogram with 3% resolution. Then, in "
               "the same process, the same timer around an empty operation as many times: the "
               "machine's noise floor (interrupts, the hypervisor, the other core). A max "
               "within reach of the floor's max is the machine's, not the table's. µs.")
        self.w()
        tabs = tables_in(rs)
        body = []
        for t in tabs:
            sel = {r["phase"]: r for r in rs if r["table"] == t}
            noise = sel.get("noise")
            for ph in ["insert", "delete"]:
                r = sel.get(ph)
                if not r:
                    continue
                body.append([LONG[t], ph, fmt(r["p50"], 2), fmt(r["p99"], 2), fmt(r["p999"], 2),
                             fmt(r["p9999"], 2), f"**{fmt(r['max'])}**",
                             fmt(noise["max"]) if noise else "—", str(r["over100"]),
                             str(noise["over100"]) if noise else "—"])
            if t == "ebb":
                self.tail_ebb = (max(sel[p]["max"] for p in ["insert", "delete"] if p in sel),
                                 noise["max"] if noise else None,
                                 max(sel[p]["p9999"] for p in ["insert", "delete"] if p in sel))
                if self.tail_ebb[0] > 100:
                    self.losses.append(f"slowest single operation {fmt(self.tail_ebb[0])} µs "
                                       f"(target ≤ 100 µs; the empty operation's max in the same "
                                       f"process: {fmt(self.tail_ebb[1])} µs)")
            else:
                self.tail_peer[t] = max(sel[p]["max"] for p in ["insert", "delete"] if p in sel)
        self.table(["table", "phase", "p50", "p99", "p99.9", "p99.99", "max", "noise floor max",
                    "ops > 100 µs", "empty ops > 100 µs"], body)
        dat = "tail.dat"
        with open(os.path.join(self.plots, dat), "w") as f:
            f.write("pct " + " ".join(tabs) + " noise\n")
            for i, (col, lab) in enumerate([("p50", "p50"), ("p99", "p99"), ("p999", "p99.9"),
                                            ("p9999", "p99.99"), ("max", "max")]):
                vals = []
                for t in tabs:
                    v = max((r[col] for r in rs if r["table"] == t and r["phase"] != "noise"),
                            default=float("nan"))
                    vals.append(str(max(v, 0.001)))
                noise = max((r[col] for r in rs if r["phase"] == "noise"), default=float("nan"))
                f.write(f"{lab} " + " ".join(vals) + f" {max(noise, 0.001)}\n")
        cols = ", ".join(f"'{dat}' using 0:{i + 2}:xtic(1) with linespoints lw 2 title '{t}'"
                         for i, t in enumerate(tabs))
        cols += f", '{dat}' using 0:{len(tabs) + 2} with linespoints dt 2 lw 2 lc 'black' " \
                "title 'noise floor (worst process)'"
        self.plot("tail_latency", "set title 'Single-operation latency, insert or delete, worse "
                                  "of the two (µs, log scale)'\nset logscale y\nset ylabel 'µs'\n"
                                  f"plot {cols}\n", "latency percentiles")

    # ---- 4. churn ----------------------------------------------------------------------------
    def churn(self):
        rs = rows(os.path.join(self.res, "churn.csv"),
                  ["w", "table", "kind", "n", "ops", "mops", "before", "after", "rss_end"])
        if not rs:
            return
        ts = rows(os.path.join(self.res, "churn_ts.csv"),
                  ["w", "table", "kind", "n", "done", "t", "mops", "rss"])
        n, ops = rs[0]["n"], rs[0]["ops"]
        self.w("## 4. Churn: a steady table under a stream of fresh keys")
        self.w()
        self.w(f"{nice_n(n)} live u64 → u64 entries, then {nice_n(ops)} operations: insert a "
               "fresh key, delete the oldest, repeat. Throughput over the whole run (ratio to "
               "the best peer), throughput of the first and last 1% of the run, a full lookup "
               "of the live keys before and after (does the table rot?), RSS at the start and "
               "end.")
        self.w()
        tabs = tables_in(rs)
        best_peer = max([r["mops"] for r in rs if r["table"] != "ebb"], default=None)
        body = []
        for t in tabs:
            r = next(x for x in rs if x["table"] == t)
            s = [x for x in ts if x["table"] == t]
            first = s[1]["mops"] if len(s) > 1 else None
            last = s[-1]["mops"] if s else None
            rss0 = s[0]["rss"] if s else None
            cell = fmt(r["mops"], 2) + (f" ({r['mops'] / best_peer:.2f}×)" if best_peer else "")
            body.append([LONG[t], cell, fmt(first, 2), fmt(last, 2), fmt(r["before"]),
                         fmt(r["after"]), f"{r['after'] / r['before']:.2f}", fmt(rss0),
                         fmt(r["rss_end"])])
            if t == "ebb" and best_peer and r["mops"] < 0.95 * best_peer:
                self.losses.append(f"churn throughput: ebb {r['mops']:.2f} M ops/s vs best peer "
                                   f"{best_peer:.2f} ({r['mops'] / best_peer:.2f}×)")
        self.table(["table", "M ops/s (× best peer)", "first 1%", "last 1%",
                    "lookup ns before", "lookup ns after", "after ÷ before", "RSS MB start",
                    "RSS MB end"], body)
        for what, col, yl in [("churn_throughput", "mops", "M ops/s"), ("churn_rss", "rss", "RSS MB")]:
            parts = []
            for t in tabs:
                dat = f"{what}_{t}.dat"
                with open(os.path.join(self.plots, dat), "w") as f:
                    for x in ts:
                        if x["table"] == t and (col == "rss" or x["done"] > 0):
                            f.write(f"{x['done'] / 1e6} {x[col]}\n")
                parts.append(f"'{dat}' using 1:2 with lines lw 2 title '{t}'")
            self.plot(what, f"set title 'Churn at {nice_n(n)} live entries: {yl}'\n"
                            f"set xlabel 'million insert+delete pairs'\nset ylabel '{yl}'\n"
                            "set yrange [0:*]\n"
                            f"plot {', '.join(parts)}\n", what)

    # ---- 5. patterned keys -------------------------------------------------------------------
    def pattern(self):
        rs = rows(os.path.join(self.res, "pattern.csv"),
                  ["w", "table", "keys", "n", "op", "rep", "ns", "done"])
        if not rs:
            return
        n = rs[0]["n"]
        self.w("## 5. Patterned keys with a weak hash")
        self.w()
        self.w(f"{nice_n(n)} keys: random, millisecond timestamps (consecutive), multiples of "
               "1024; every C/C++ table is given the identity as its hash (glib and uthash: "
               "the key folded to 32 bits, as `g_int64_hash` does); ebb mixes whatever hash it "
               "is given with its seed; Go uses its own hash regardless. ns/op (ratio to the "
               "same table on random keys). A phase that runs past its time budget stops: its "
               "figure is then a lower bound, marked ≥, over the ops it managed.")
        self.w()
        med = defaultdict(list)
        done = {}
        for r in rs:
            med[(r["table"], r["keys"], r["op"])].append(r["ns"])
            done[(r["table"], r["keys"], r["op"])] = r["done"]
        med = {k: statistics.median(v) for k, v in med.items()}
        tabs = tables_in(rs)
        body = []
        for t in tabs:
            for keys in ["random", "timestamp_ms", "mul1024"]:
                cells = []
                for op in ["insert", "lookup_hit", "lookup_miss"]:
                    v = med.get((t, keys, op))
                    base = med.get((t, "random", op))
                    partial = done.get((t, keys, op), n) < n
                    c = ("≥ " if partial else "") + fmt(v)
                    if keys != "random" and base:
                        c += f" ({v / base:.2f}×)"
                    cells.append(c)
                body.append([LONG[t], keys] + cells)
            if t == "ebb":
                worst = max((med[(t, k, op)] / med[(t, "random", op)]
                             for k in ["timestamp_ms", "mul1024"]
                             for op in ["insert", "lookup_hit", "lookup_miss"]
                             if (t, k, op) in med and (t, "random", op) in med), default=None)
                self.pattern_ebb = worst
        self.table(["table", "keys", "insert", "lookup hit", "lookup miss"], body)

    # ---- summary -----------------------------------------------------------------------------
    def summary(self):
        s = []
        s.append("## Summary")
        s.append("")
        m = getattr(self, "ops_med", {})
        for n in sorted({k[1] for k in m if k[0] == "u64"}):
            cells = []
            for op in OPS:
                e = m.get(("u64", n, op, "ebb"))
                b = m.get(("u64", n, op, "boost"))
                peers = [(v, t) for (k, nn, o, t), v in m.items()
                         if k == "u64" and nn == n and o == op and t != "ebb"]
                if e and peers:
                    bv, bt = min(peers)
                    cells.append(f"{op.replace('_', ' ')} {e / b:.2f}" if b else op)
                    cells[-1] += f" (best peer {bt}: {e / bv:.2f})" if bt != "boost" else ""
            if cells:
                s.append(f"- u64 → u64, {nice_n(n)}: ebb ns/op ÷ boost: " + "; ".join(cells) + ".")
        for (kind, alloc), rd in sorted(self.grow_ebb.items()):
            peers = sorted(self.grow_peer.get((kind, alloc), []))
            peer_txt = f"; best peer {peers[0][1]} {peers[0][0]:.2f}×, worst {peers[-1][1]} " \
                       f"{peers[-1][0]:.2f}×" if peers else ""
            s.append(f"- RSS after 90% deleted ÷ fresh, {KINDS[kind]}, {alloc}: ebb "
                     f"**{rd:.2f}×**{peer_txt}.")
        if self.tail_ebb:
            mx, noise, p4 = self.tail_ebb
            peers = ", ".join(f"{t} {fmt(v)}" for t, v in self.tail_peer.items())
            s.append(f"- Slowest single insert/delete: ebb {fmt(mx)} µs (p99.99 {fmt(p4, 2)} µs); "
                     f"the empty operation's max in the same process: {fmt(noise)} µs. "
                     f"Peers' max: {peers} µs.")
        if self.pattern_ebb:
            s.append(f"- Patterned keys with the identity hash: ebb's worst slowdown against "
                     f"random keys: {self.pattern_ebb:.2f}×.")
        s.append("")
        s.append("### Where ebb loses")
        s.append("")
        if self.losses:
            s += [f"- {x}" for x in self.losses]
        else:
            s.append("- Nowhere in this run.")
        s.append("")
        return s

    def headline_md(self):
        """The few rows README quotes: u64 ns/op ratios, RSS ratios per allocator, tail max."""
        m = getattr(self, "ops_med", {})
        cmd = self.command()
        tables = ", ".join(self.machine.get("tables", "").split())
        h = [f"`{cmd}` ({self.machine.get('cores', '?')}-core Debian 12 VM; {tables} in one "
             "run; full tables and plots in [docs/benchmarks.md](docs/benchmarks.md)):", ""]
        h.append("| u64 → u64, ns/op ratio | " + " | ".join(o.replace("_", " ") for o in OPS) + " |")
        h.append("|---|" + "---|" * len(OPS))
        for n in sorted({k[1] for k in m if k[0] == "u64"}):
            for label, pick in [("ebb ÷ boost", lambda ps: ps.get("boost")),
                                ("ebb ÷ best peer", lambda ps: min(ps.values()) if ps else None)]:
                cells = []
                for op in OPS:
                    e = m.get(("u64", n, op, "ebb"))
                    ps = {t: v for (k, nn, o, t), v in m.items()
                          if k == "u64" and nn == n and o == op and t != "ebb"}
                    b = pick(ps)
                    cells.append(f"{e / b:.2f}" if e and b else "—")
                h.append(f"| {nice_n(n)}: {label} | " + " | ".join(cells) + " |")
        h.append("")
        allocs = [a for a in ["glibc", "jemalloc", "mimalloc"] if ("u64", a) in self.grow_ebb]
        if allocs:
            n = nice_n(self.grow_n.get("u64", 0))
            h.append(f"| RSS after 90% of {n} u64 deleted ÷ fresh process | " + " | ".join(allocs) + " |")
            h.append("|---|" + "---|" * len(allocs))
            h.append("| ebb | " + " | ".join(f"{self.grow_ebb[('u64', a)]:.2f}×" for a in allocs) + " |")
            cells = []
            for a in allocs:
                ps = sorted(self.grow_peer.get(("u64", a), []))
                cells.append(f"{ps[0][0]:.2f}× ({ps[0][1]}) – {ps[-1][0]:.2f}× ({ps[-1][1]})" if ps else "—")
            h.append("| peers (best – worst) | " + " | ".join(cells) + " |")
            h.append("")
        if self.tail_ebb:
            mx, noise, p4 = self.tail_ebb
            worst = max(self.tail_peer.items(), key=lambda x: x[1], default=None)
            best = min(self.tail_peer.items(), key=lambda x: x[1], default=None)
            h.append(f"Slowest single insert or delete growing to {nice_n(self.tail_n)} and back: "
                     f"ebb {fmt(mx)} µs (p99.99 {fmt(p4, 1)} µs), against an empty operation's "
                     f"{fmt(noise)} µs on the same timer (the machine's floor); peers "
                     f"{fmt(best[1])} µs ({best[0]}) to {fmt(worst[1])} µs ({worst[0]}).")
        return "\n".join(h) + "\n"

    def build(self):
        self.grow_ebb, self.grow_peer, self.tail_ebb, self.tail_peer = {}, {}, None, {}
        self.grow_n, self.tail_n = {}, 0
        self.pattern_ebb = None
        self.header()
        head_len = len(self.out)
        self.ops()
        self.grow(["u64", "str", "big"], "## 2. Growth and retreat: memory",
                  "Insert n keys, delete 90% at random, clear; each table and allocator in its "
                  "own process (jemalloc and mimalloc by `LD_PRELOAD`). RSS from "
                  "/proc/self/statm, MB; *peak*: the process's high-water mark (VmHWM in "
                  "/proc/self/status) at the end of the inserts, which catches a rehash that "
                  "holds the old and the new array at once. *fresh*: another process (the same binary, same "
                  "allocator) that inserts only the survivors. The string kind owns its keys "
                  "(copied on insert, freed on delete) and has no values. After the delete, "
                  "RSS is read as it is, then again after `malloc_trim(0)` (Go: `runtime.GC()` + "
                  "`debug.FreeOSMemory()`; for Go, *after delete* and *fresh* are both read after "
                  "those calls, since uncollected garbage is not memory the program keeps). Clear is each table's own clear (Go 1.19: delete in a range "
                  "loop). Go runs under its own runtime and appears in the glibc tables.")
        self.tail()
        self.churn()
        self.pattern()
        self.grow(["strval"], "## 6. The incident: owned string keys and heap values, 90% deleted",
                  "String keys (11–40 characters, copied by the map) with heap-allocated values "
                  "of 32–160 bytes that the map owns and frees (ebb: `EBB_KEY_CLONE`, "
                  "`EBB_KEY_DTOR`, `EBB_VAL_DTOR`; C++: `std::string` → `unique_ptr`; glib: key "
                  "and value destroy functions; uthash: freed with the entry). RSS includes the "
                  "keys and values: the map can return its own table's pages, but the values "
                  "are the allocator's to give back.")
        head = self.headline_md()
        with open(os.path.join(self.base, "headline.md"), "w") as f:
            f.write(head)
        self.out[head_len:head_len] = self.summary() + ["### Headline rows (README)", ""] + \
            head.splitlines() + [""]
        path = self.out_path
        with open(path, "w") as f:
            f.write("\n".join(self.out).rstrip() + "\n")
        return path


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: report.py BUILD/bench [--plots-url PREFIX]")
    url = "plots/"
    if "--plots-url" in sys.argv:
        url = sys.argv[sys.argv.index("--plots-url") + 1]
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    print(Report(sys.argv[1], url, out).build())


if __name__ == "__main__":
    main()
