// The Go driver of ebb's benchmark suite: the workloads of bench/workload.h on Go's built-in
// map, with the same keys (keys.go), writing the same CSV rows. Go hashes with its own seeded
// hash (it takes no other). Memory workloads read RSS raw, then again after runtime.GC() and
// debug.FreeOSMemory() (the column C drivers fill after malloc_trim).
//
//	drv_go ops u64|big|str N REPS | grow u64|big|str|strval N | tail N | churn N OPS |
//	       pattern N REPS SECS
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

const table = "go"

var out = bufio.NewWriterSize(os.Stdout, 1<<16)

type big struct{ w [7]uint64 }

func die(format string, a ...interface{}) {
	out.Flush()
	fmt.Fprintf(os.Stderr, "bench go: "+format+"\n", a...)
	os.Exit(1)
}

var sink uint64

func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, res uint64
	fmt.Sscan(string(b), &size, &res)
	return float64(res) * float64(os.Getpagesize()) / (1024 * 1024)
}

// peakRSSMB is the process's peak resident set so far (VmHWM), in MB.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb uint64
		if n, _ := fmt.Sscanf(line, "VmHWM: %d kB", &kb); n == 1 {
			return float64(kb) / 1024
		}
	}
	return 0
}

func since(t0 time.Time, count uint64) float64 {
	return float64(time.Since(t0).Nanoseconds()) / float64(count)
}

// ---- ops ----

func opsRow(rep int, kind string, n uint64, op string, ns float64) {
	if rep > 0 {
		fmt.Fprintf(out, "ops,%s,%s,%d,%s,%d,%.2f\n", table, kind, n, op, rep, ns)
	}
}

func opsU64(n uint64, rep int, keys, miss []uint64) {
	m := make(map[uint64]uint64)
	var s uint64
	t := time.Now()
	for i := uint64(0); i < n; i++ {
		m[keys[i]] = i
	}
	opsRow(rep, "u64", n, "insert", since(t, n))
	if uint64(len(m)) != n {
		die("u64 insert: %d of %d", len(m), n)
	}
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		if v, ok := m[keys[i]]; ok {
			s += v
		} else {
			s++
		}
	}
	opsRow(rep, "u64", n, "lookup_hit", since(t, n))
	if s != n*(n-1)/2 {
		die("u64 lookup hit: wrong sum")
	}
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		if _, ok := m[miss[i]]; ok {
			s++
		}
	}
	opsRow(rep, "u64", n, "lookup_miss", since(t, n))
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		m[keys[i]] = i + 1
	}
	opsRow(rep, "u64", n, "replace", since(t, n))
	t = time.Now()
	for _, v := range m {
		s += v
	}
	opsRow(rep, "u64", n, "iterate", since(t, n))
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		delete(m, keys[i])
		m[miss[i]] = i
	}
	opsRow(rep, "u64", n, "churn", since(t, n))
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		delete(m, miss[i])
	}
	opsRow(rep, "u64", n, "delete", since(t, n))
	sink = s
}

func opsBig(n uint64, rep int, keys, miss []uint64) {
	m := make(map[uint64]big)
	var s uint64
	var b big
	t := time.Now()
	for i := uint64(0); i < n; i++ {
		b.w[0] = i
		m[keys[i]] = b
	}
	opsRow(rep, "big", n, "insert", since(t, n))
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		if v, ok := m[keys[i]]; ok {
			s += v.w[0]
		} else {
			s++
		}
	}
	opsRow(rep, "big", n, "lookup_hit", since(t, n))
	if s != n*(n-1)/2 {
		die("big lookup hit: wrong sum")
	}
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		if _, ok := m[miss[i]]; ok {
			s++
		}
	}
	opsRow(rep, "big", n, "lookup_miss", since(t, n))
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		b.w[0] = i + 1
		m[keys[i]] = b
	}
	opsRow(rep, "big", n, "replace", since(t, n))
	t = time.Now()
	for _, v := range m {
		s += v.w[0]
	}
	opsRow(rep, "big", n, "iterate", since(t, n))
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		delete(m, keys[i])
		m[miss[i]] = b
	}
	opsRow(rep, "big", n, "churn", since(t, n))
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		delete(m, miss[i])
	}
	opsRow(rep, "big", n, "delete", since(t, n))
	sink = s
}

func opsStr(n uint64, rep int, keys, miss []string) {
	m := make(map[string]uint64)
	var s uint64
	t := time.Now()
	for i := uint64(0); i < n; i++ {
		m[keys[i]] = i
	}
	opsRow(rep, "str", n, "insert", since(t, n))
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		if v, ok := m[keys[i]]; ok {
			s += v
		} else {
			s++
		}
	}
	opsRow(rep, "str", n, "lookup_hit", since(t, n))
	if s != n*(n-1)/2 {
		die("str lookup hit: wrong sum")
	}
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		if _, ok := m[miss[i]]; ok {
			s++
		}
	}
	opsRow(rep, "str", n, "lookup_miss", since(t, n))
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		m[keys[i]] = i + 1
	}
	opsRow(rep, "str", n, "replace", since(t, n))
	t = time.Now()
	for _, v := range m {
		s += v
	}
	opsRow(rep, "str", n, "iterate", since(t, n))
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		delete(m, keys[i])
		m[miss[i]] = i
	}
	opsRow(rep, "str", n, "churn", since(t, n))
	t = time.Now()
	for i := uint64(0); i < n; i++ {
		delete(m, miss[i])
	}
	opsRow(rep, "str", n, "delete", since(t, n))
	sink = s
}

// Strings share one arena (the map keeps the string headers, as the C maps keep pointers).
func strKeys(from, n uint64) []string {
	arena := make([]byte, 0, n*(strKeyMax+1))
	var buf [strKeyMax + 1]byte
	offs := make([]int, n+1)
	for i := uint64(0); i < n; i++ {
		offs[i] = len(arena)
		arena = append(arena, buf[:strKey(from+i, buf[:])]...)
	}
	offs[n] = len(arena)
	all := string(arena)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = all[offs[i]:offs[i+1]]
	}
	return keys
}

func runOps(kind string, n uint64, reps int) {
	warm := n/10 + 1
	if warm > 1000000 {
		warm = 1000000
	}
	if kind == "str" {
		keys, miss := strKeys(0, n), strKeys(n, n)
		opsStr(warm, 0, keys, miss)
		for r := 1; r <= reps; r++ {
			opsStr(n, r, keys, miss)
		}
		return
	}
	keys, miss := make([]uint64, n), make([]uint64, n)
	for i := uint64(0); i < n; i++ {
		keys[i], miss[i] = keyOf(i), keyOf(n+i)
	}
	f := opsU64
	if kind == "big" {
		f = opsBig
	} else if kind != "u64" {
		die("ops: unknown kind %s", kind)
	}
	f(warm, 0, keys, miss)
	for r := 1; r <= reps; r++ {
		f(n, r, keys, miss)
	}
}

// ---- grow ----

type grower struct {
	kind  string
	n     uint64
	every uint64
	t0    time.Time
	u     map[uint64]uint64
	b     map[uint64]big
	o     map[string][]byte
}

func newGrower(kind string, n uint64) *grower {
	g := &grower{kind: kind, n: n, every: n / 400}
	if g.every == 0 {
		g.every = 1
	}
	switch kind {
	case "u64":
		g.u = make(map[uint64]uint64)
	case "big":
		g.b = make(map[uint64]big)
	case "str", "strval":
		g.o = make(map[string][]byte)
	default:
		die("grow: unknown kind %s", kind)
	}
	return g
}

func (g *grower) sample(phase string, entries uint64) {
	fmt.Fprintf(out, "grow_ts,%s,go,%s,%d,%.4f,%s,%d,%.2f\n", table, g.kind, g.n,
		time.Since(g.t0).Seconds(), phase, entries, rssMB())
}

func (g *grower) put(i uint64) {
	var buf [strKeyMax + 1]byte
	switch {
	case g.u != nil:
		g.u[keyOf(i)] = i
	case g.b != nil:
		var v big
		v.w[0] = i
		g.b[keyOf(i)] = v
	default:
		k := string(buf[:strKey(i, buf[:])])
		if g.kind == "strval" {
			g.o[k] = heapValue(i)
		} else {
			g.o[k] = nil
		}
	}
}

func (g *grower) del(i uint64) {
	var buf [strKeyMax + 1]byte
	switch {
	case g.u != nil:
		delete(g.u, keyOf(i))
	case g.b != nil:
		delete(g.b, keyOf(i))
	default:
		delete(g.o, string(buf[:strKey(i, buf[:])]))
	}
}

// clear the Go 1.19 way: delete every key while ranging (compiled into a bucket clear).
func (g *grower) clear() {
	for k := range g.u {
		delete(g.u, k)
	}
	for k := range g.b {
		delete(g.b, k)
	}
	for k := range g.o {
		delete(g.o, k)
	}
}

func (g *grower) count() int { return len(g.u) + len(g.b) + len(g.o) }

func giveBack() {
	runtime.GC()
	debug.FreeOSMemory()
}

func runGrowRef(kind string, n uint64) {
	g := newGrower(kind, n)
	for i := uint64(0); i < n; i++ {
		if survives(i) {
			g.put(i)
		}
	}
	giveBack()
	fmt.Fprintf(out, "rss=%.3f\n", rssMB())
	runtime.KeepAlive(g)
}

func runGrow(kind string, n uint64) {
	start := rssMB()
	g := newGrower(kind, n)
	g.t0 = time.Now()
	g.sample("start", 0)
	for i := uint64(0); i < n; i++ {
		g.put(i)
		if (i+1)%g.every == 0 {
			g.sample("insert", i+1)
		}
	}
	peak := peakRSSMB()
	tIns := time.Since(g.t0).Seconds()
	left := n
	for i := uint64(0); i < n; i++ {
		if survives(i) {
			continue
		}
		g.del(i)
		left--
		if i%g.every == 0 {
			g.sample("delete", left)
		}
	}
	if uint64(g.count()) != left {
		die("grow: %d entries left, want %d", g.count(), left)
	}
	g.sample("deleted", left)
	// Garbage is not yet memory the program holds: read Go's RSS after a collection that hands
	// freed spans back (as the fresh process is read).
	giveBack()
	afterDelete := rssMB()
	afterTrim := afterDelete
	g.sample("trimmed", left)
	g.clear()
	giveBack()
	afterClear := rssMB()
	g.sample("cleared", 0)
	self, _ := os.Executable()
	cmd := exec.Command(self, "grow-ref", kind, strconv.FormatUint(n, 10))
	res, err := cmd.Output()
	ref := -1.0
	if err == nil {
		fmt.Sscanf(string(res), "rss=%g", &ref)
	}
	fmt.Fprintf(out, "grow,%s,go,%s,%d,%d,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f\n", table, kind, n, left,
		start, peak, afterDelete, afterTrim, ref, afterClear, tIns)
	runtime.KeepAlive(g)
	if ref <= 0 {
		out.Flush()
		os.Exit(1)
	}
}

// ---- tail ----

const latSub = 32

type latHist struct {
	ops, max uint64
	bin      [64 * latSub]uint64
}

func latIndex(t uint64) int {
	if t < latSub {
		return int(t)
	}
	e := 63
	for t>>uint(e) == 0 {
		e--
	}
	return (e-4)*latSub + int((t>>uint(e-5))&(latSub-1))
}

func latUpper(idx int) uint64 {
	if idx < latSub {
		return uint64(idx)
	}
	e, sub := idx/latSub+4, idx%latSub
	return (uint64(latSub+sub+1) << uint(e-5)) - 1
}

func (h *latHist) add(t uint64) {
	h.bin[latIndex(t)]++
	h.ops++
	if t > h.max {
		h.max = t
	}
}

func (h *latHist) pct(q float64) float64 {
	want, seen := uint64(float64(h.ops)*q), uint64(0)
	for i := range h.bin {
		seen += h.bin[i]
		if seen > want {
			t := latUpper(i)
			if t > h.max {
				t = h.max
			}
			return float64(t) / 1e3
		}
	}
	return float64(h.max) / 1e3
}

func (h *latHist) over(us float64) uint64 {
	var n uint64
	for i := range h.bin {
		if float64(latUpper(i)) > us*1e3 {
			n += h.bin[i]
		}
	}
	return n
}

func latRow(n uint64, phase string, h *latHist) {
	fmt.Fprintf(out, "tail,%s,u64,%d,%s,%d,%.3f,%.3f,%.3f,%.3f,%.1f,%d\n", table, n, phase, h.ops,
		h.pct(0.5), h.pct(0.99), h.pct(0.999), h.pct(0.9999), float64(h.max)/1e3, h.over(100))
}

func runTail(n uint64) {
	var ins, del, noise latHist
	m := make(map[uint64]uint64)
	for i := uint64(0); i < n; i++ {
		k := keyOf(i)
		t := time.Now()
		m[k] = i
		ins.add(uint64(time.Since(t)))
	}
	for i := uint64(0); i < n; i++ {
		k := keyOf(i)
		t := time.Now()
		delete(m, k)
		del.add(uint64(time.Since(t)))
	}
	if len(m) != 0 {
		die("tail: %d left", len(m))
	}
	for i := uint64(0); i < 2*n; i++ {
		k := keyOf(i)
		t := time.Now()
		sink = k
		noise.add(uint64(time.Since(t)))
	}
	latRow(n, "insert", &ins)
	latRow(n, "delete", &del)
	latRow(n, "noise", &noise)
}

// ---- churn ----

func lookupAllNs(m map[uint64]uint64, from, n uint64) float64 {
	var s uint64
	t := time.Now()
	for i := from; i < from+n; i++ {
		if _, ok := m[keyOf(i)]; ok {
			s++
		}
	}
	if s != n {
		die("churn: %d of %d live keys found", s, n)
	}
	return since(t, n)
}

func runChurn(n, ops uint64) {
	m := make(map[uint64]uint64)
	for i := uint64(0); i < n; i++ {
		m[keyOf(i)] = i
	}
	before := lookupAllNs(m, 0, n)
	every := ops / 100
	if every == 0 {
		every = 1
	}
	t0 := time.Now()
	last := t0
	fmt.Fprintf(out, "churn_ts,%s,u64,%d,0,0.0000,0,%.2f\n", table, n, rssMB())
	for j := uint64(0); j < ops; j++ {
		m[keyOf(n+j)] = j
		delete(m, keyOf(j))
		if (j+1)%every == 0 {
			t := time.Now()
			fmt.Fprintf(out, "churn_ts,%s,u64,%d,%d,%.4f,%.2f,%.2f\n", table, n, j+1,
				t.Sub(t0).Seconds(), 2*float64(every)/t.Sub(last).Seconds()/1e6, rssMB())
			last = t
		}
	}
	secs := time.Since(t0).Seconds()
	if uint64(len(m)) != n {
		die("churn: %d live, want %d", len(m), n)
	}
	after := lookupAllNs(m, ops, n)
	fmt.Fprintf(out, "churn,%s,u64,%d,%d,%.3f,%.2f,%.2f,%.2f\n", table, n, 2*ops,
		2*float64(ops)/secs/1e6, before, after, rssMB())
}

// ---- pattern (Go's own hash: it takes no other) ----

func patternOne(name string, n uint64, reps int, budget time.Duration, key func(uint64) uint64) {
	for r := 0; r <= reps; r++ {
		count := n
		if r == 0 && count > 100000 {
			count = 100000
		}
		m := make(map[uint64]uint64)
		var s, done, hits, misses uint64
		t0 := time.Now()
		for stop := t0.Add(budget); done < count && (done&1023 != 0 || time.Now().Before(stop)); done++ {
			m[key(done)] = done
		}
		t1 := time.Now()
		for stop := t1.Add(budget); hits < done && (hits&1023 != 0 || time.Now().Before(stop)); hits++ {
			if _, ok := m[key(hits)]; ok {
				s++
			}
		}
		t2 := time.Now()
		for stop := t2.Add(budget); misses < done && (misses&1023 != 0 || time.Now().Before(stop)); misses++ {
			if _, ok := m[key(count+misses)]; ok {
				s++
			}
		}
		t3 := time.Now()
		if s != hits {
			die("pattern %s: wrong count", name)
		}
		if r == 0 {
			continue
		}
		fmt.Fprintf(out, "pattern,%s,%s,%d,insert,%d,%.2f,%d\n", table, name, n, r, float64(t1.Sub(t0).Nanoseconds())/float64(done), done)
		fmt.Fprintf(out, "pattern,%s,%s,%d,lookup_hit,%d,%.2f,%d\n", table, name, n, r, float64(t2.Sub(t1).Nanoseconds())/float64(hits), hits)
		fmt.Fprintf(out, "pattern,%s,%s,%d,lookup_miss,%d,%.2f,%d\n", table, name, n, r, float64(t3.Sub(t2).Nanoseconds())/float64(misses), misses)
	}
}

func runPattern(n uint64, reps int, secs uint64) {
	b := time.Duration(secs) * time.Second
	patternOne("random", n, reps, b, keyOf)
	patternOne("timestamp_ms", n, reps, b, keyTimestamp)
	patternOne("mul1024", n, reps, b, keyMul1024)
}

func count(i int) uint64 {
	if i >= len(os.Args) {
		die("missing argument %d", i)
	}
	v, err := strconv.ParseUint(os.Args[i], 10, 64)
	if err != nil || v == 0 {
		die("bad count '%s': a positive integer is wanted", os.Args[i])
	}
	return v
}

// maxReps bounds a number of repetitions, as the C drivers do.
const maxReps = 1000000

func reps(i int) int {
	v := count(i)
	if v > maxReps {
		die("bad repetitions '%s': at most %d", os.Args[i], maxReps)
	}
	return int(v)
}

func arg(i int) string {
	if i < len(os.Args) {
		return os.Args[i]
	}
	return ""
}

func main() {
	defer out.Flush()
	switch arg(1) {
	case "ops":
		runOps(arg(2), count(3), reps(4))
	case "grow":
		runGrow(arg(2), count(3))
	case "grow-ref":
		runGrowRef(arg(2), count(3))
	case "tail":
		runTail(count(2))
	case "churn":
		runChurn(count(2), count(3))
	case "keys":
		var buf [strKeyMax + 1]byte
		for i := uint64(0); i < count(2); i++ {
			fmt.Fprintf(out, "%d %s %d %d %d\n", keyOf(i*7919), buf[:strKey(i*7919, buf[:])],
				map[bool]int{false: 0, true: 1}[survives(i)], keyTimestamp(i), keyMul1024(i))
		}
	case "pattern":
		runPattern(count(2), reps(3), count(4))
	default:
		fmt.Fprintln(os.Stderr, "usage: drv_go ops u64|big|str N REPS | grow u64|big|str|strval N | tail N | churn N OPS | pattern N REPS SECS")
		os.Exit(2)
	}
}
