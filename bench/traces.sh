#!/bin/sh
# make bench, trace readers and replay: throughput of `hvsim trace stat` and
# `hvsim replay` (under designs/x86-legacy.ini) on synthetic
# ftrace text (bench/gen_trace.c, deterministic, written to a temporary file
# that is removed after: 10M exits take about 2.2 GB), its peak
# resident set at 1M and 10M exits (must stay flat: the reader streams), and
# the reference trace.dat read by hvsim beside `trace-cmd report` printing
# it, when trace-cmd is installed.  CPU time is hvsim's own (user + system,
# the generator runs in another process), the least of three runs over the
# same file, which must print the same bytes.  See bench/README.md.
#
# Environment: HVSIM (default ./hvsim), GEN_TRACE (default build/bench/gen_trace),
#   TRACE_BENCH_EXITS (default 10000000), TRACE_REF (the reference trace.dat,
#   default tests/data/traces/pvm_emul_boot_smp2_io/trace.dat).
#   GEN_TRACEDAT (default build/bench/gen_tracedat: the trace.dat section).
# Exit status: 0 unless a run failed; the 5M exits/s goal is reported, not enforced.
set -u
HVSIM=${HVSIM:-./hvsim}
GEN_TRACE=${GEN_TRACE:-build/bench/gen_trace}
N=${TRACE_BENCH_EXITS:-10000000}
REF=${TRACE_REF:-tests/data/traces/pvm_emul_boot_smp2_io/trace.dat}
case $N in ''|*[!0-9]*) echo "bench: TRACE_BENCH_EXITS='$N' is not a number" >&2; exit 2 ;; esac
[ -x "$GEN_TRACE" ] || { echo "bench: $GEN_TRACE not built (make bench builds it)" >&2; exit 2; }

echo
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-trace-bench.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
echo "== trace readers: hvsim trace stat on synthetic ftrace text (bench/gen_trace.c)"
python3 - "$HVSIM" "$GEN_TRACE" "$N" "$REF" "$TMP" <<'PY'
import json, os, shutil, subprocess, sys, time

hvsim, gen, n, ref, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
failed = False

RUNS = 3

def piped(exits, mode, cmd=None):
    """hvsim trace stat --json (or cmd) RUNS times on one generated file: the least CPU seconds (the run
    least disturbed by other work on the host) and its wall seconds, the largest peak RSS (KiB), the summary.
    The runs must print the same bytes."""
    path = os.path.join(tmp, "trace.txt")
    with open(path, "wb") as f:
        subprocess.run([gen, str(exits), "4"] + (["exits"] if mode == "exits" else []), stdout=f, check=True)
    best, rss, first = None, 0, None
    try:
        for _ in range(RUNS):
            t0 = time.monotonic()
            h = subprocess.Popen((cmd or [hvsim, "trace", "stat", "--json"]) + [path], stdout=subprocess.PIPE)
            out = h.stdout.read()
            _, status, ru = os.wait4(h.pid, 0)
            wall = time.monotonic() - t0
            if status != 0:
                raise RuntimeError("exit status %d" % status)
            if first is not None and out != first:
                raise RuntimeError("NONDETERMINISM: two runs printed different summaries")
            first = out
            cpu = ru.ru_utime + ru.ru_stime
            rss = max(rss, ru.ru_maxrss)
            if best is None or cpu < best[0]:
                best = (cpu, wall)
    finally:
        os.unlink(path)
    return best[0], best[1], rss, json.loads(first)

def report(label, exits, mode):
    global failed
    try:
        cpu, wall, rss, d = piped(exits, mode)
    except (OSError, RuntimeError, subprocess.CalledProcessError, ValueError) as e:
        print("  FAIL: %s: %s" % (label, e))
        failed = True
        return None
    if d["exits_total"] != exits or d["malformed"]["count"]:
        print("  FAIL: %s: %d exits, %d malformed (expected %d, 0)" % (label, d["exits_total"],
              d["malformed"]["count"], exits))
        failed = True
    print("  %-34s %9d lines %6.2f s CPU %6.2f s wall  %6.2f M exits/s  %6.2f M lines/s  peak RSS %5.1f MiB"
          % (label, d["lines"], cpu, wall, exits / cpu / 1e6, d["lines"] / cpu / 1e6, rss / 1024))
    return cpu, rss

REPLAY = [hvsim, "replay", "--json", "--design", "designs/x86-legacy.ini"]

def replay_report(label, exits, mode="mixed"):
    """hvsim replay on a generated trace (mode "mixed": with entries and companions; "exits": kvm_exit lines
    alone): exits/s, peak RSS."""
    global failed
    try:
        cpu, wall, rss, d = piped(exits, mode, REPLAY)
    except (OSError, RuntimeError, subprocess.CalledProcessError, ValueError) as e:
        print("  FAIL: %s: %s" % (label, e))
        failed = True
        return None
    if d["kvm_exit_lines"] != exits or d["malformed"]:
        print("  FAIL: %s: %d exits, %d malformed (expected %d, 0)" % (label, d["kvm_exit_lines"], d["malformed"], exits))
        failed = True
    print("  %-34s %6.2f s CPU %6.2f s wall  %6.2f M exits/s  peak RSS %5.1f MiB"
          % (label, cpu, wall, exits / cpu / 1e6, rss / 1024))
    return cpu, rss

small = min(1000000, n)
r1 = report("%dM kvm_exit lines" % (small // 1000000) if small >= 1000000 else "%d kvm_exit lines" % small,
            small, "exits")
rn = report("%dM kvm_exit lines" % (n // 1000000) if n >= 1000000 else "%d kvm_exit lines" % n, n, "exits")
report("%dM exits with entries, companions" % (small // 1000000) if small >= 1000000 else "%d exits, mixed" % small,
       small, "mixed")
if r1 and rn:
    grow = rn[1] - r1[1]
    print("  peak RSS %d exits %.1f MiB, %d exits %.1f MiB: %s" % (small, r1[1] / 1024, n, rn[1] / 1024,
          "flat" if grow <= 1024 else "*** GREW by %.1f MiB ***" % (grow / 1024)))

def goal(what, exits, cpu):
    rate = exits / cpu / 1e6
    print("  goal: >= 5 M exits/s from text on one core (CPU time), %s: %.2f M exits/s, %s"
          % (what, rate, "met" if rate >= 5 else "NOT met on this host now"))

print()
print("== replay: hvsim replay --design designs/x86-legacy.ini")
# kvm_exit lines alone (a `trace-cmd record -e kvm:kvm_exit` trace), then
# with each exit's kvm_entry and the companion events about a third of them
# carry (2.33 lines an exit): the second needs the reader to go through 2.3
# times the lines for the same exits.
e1 = replay_report("replay %d kvm_exit lines" % n, n, "exits")
p1 = replay_report("replay %d exits, mixed" % small, small)
pn = replay_report("replay %d exits, mixed" % n, n)
if p1 and pn:
    grow = pn[1] - p1[1]
    print("  peak RSS %d exits %.1f MiB, %d exits %.1f MiB: %s" % (small, p1[1] / 1024, n, pn[1] / 1024,
          "flat" if grow <= 1024 else "*** GREW by %.1f MiB ***" % (grow / 1024)))
if e1:
    goal("kvm_exit lines", n, e1[0])
if pn:
    goal("with entries and companions", n, pn[0])

print()
print("== trace readers: the reference trace.dat (%s)" % ref)
if not os.path.exists(ref):
    print("  note: not found: skipped")
else:
    def timed(cmd):
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        return status, ru.ru_utime + ru.ru_stime, time.monotonic() - t0, err
    st, cpu, wall, err = timed([hvsim, "trace", "stat", ref])
    try:
        recs = json.loads(subprocess.run([hvsim, "trace", "stat", "--json", ref], capture_output=True,
                                         check=True).stdout)["lines"]
    except (OSError, subprocess.CalledProcessError, ValueError, KeyError):
        recs = 0
    if st != 0 and b"without libtracecmd" in err:
        print("  note: hvsim was built without libtracecmd: skipped")
    elif st != 0:
        print("  FAIL: hvsim trace stat %s: %s" % (ref, err.decode(errors="replace").strip()))
        failed = True
    else:
        print("  %-34s %6.2f s CPU %6.2f s wall  %6.2f M records/s" % ("hvsim trace stat", cpu, wall,
              recs / cpu / 1e6 if cpu else 0))
        st3, cpu3, wall3, _ = timed([hvsim, "replay", ref])
        print("  %-34s %6.2f s CPU %6.2f s wall  %6.2f M records/s%s" % ("hvsim replay (no kvm_exit in it)", cpu3,
              wall3, recs / cpu3 / 1e6 if cpu3 else 0,
              "" if st3 == 0 else "  (exit status %d)" % st3))
        if shutil.which("trace-cmd"):
            st2, cpu2, wall2, _ = timed(["trace-cmd", "report", "-i", ref])
            print("  %-34s %6.2f s CPU %6.2f s wall  %6.2f M records/s%s" % ("trace-cmd report (prints it)", cpu2,
                  wall2, recs / cpu2 / 1e6 if cpu2 else 0, "" if st2 == 0 else "  (exit status %d)" % st2))
            if cpu > 0:
                print("  hvsim reads it in %.2fx the CPU time of trace-cmd report" % (cpu / cpu2 if cpu2 else 0))
        else:
            print("  note: trace-cmd not installed: no comparison")
sys.exit(1 if failed else 0)
PY
text_rc=$?

# ---- trace.dat with exits: bench/gen_tracedat.c writes the kernel's raw
# ring-buffer pages and `trace-cmd restore` wraps them with a 6.18 host's
# format files (tests/data/tracefs); each file is removed after its runs
# (10M exits are about 1.3 GB, and twice that while restore copies it).
GEN_TRACEDAT=${GEN_TRACEDAT:-build/bench/gen_tracedat}
echo
echo "== trace.dat with exits: hvsim replay --design designs/x86-legacy.ini beside trace-cmd report (bench/gen_tracedat.c)"
dat_rc=0
if ! command -v trace-cmd >/dev/null 2>&1; then
	echo "  note: trace-cmd not installed: skipped"
elif [ ! -x "$GEN_TRACEDAT" ]; then
	echo "  FAIL: $GEN_TRACEDAT not built (make bench builds it)"
	dat_rc=1
else
	python3 - "$HVSIM" "$GEN_TRACEDAT" "$N" "$TMP" <<'PY'
import json, os, subprocess, sys, time

hvsim, gen, n, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
failed = False

def timed(cmd, keep=True):
    """cmd's exit status, CPU seconds (user + system), wall seconds, peak RSS (KiB), standard output
    (keep=False: discarded; never held here: a child's peak RSS counts this process's at its exec)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE if keep else subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = p.stdout.read() if keep else b""
    _, status, ru = os.wait4(p.pid, 0)
    return status, ru.ru_utime + ru.ru_stime, time.monotonic() - t0, ru.ru_maxrss, out

def size(exits):
    global failed
    path = os.path.join(tmp, "trace.dat")
    try:
        subprocess.run([gen, "tests/data/tracefs", path, str(exits), "4"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        mb = os.path.getsize(path) / 2**20
        st, cpu, wall, rss, out = timed([hvsim, "replay", "--json", "--design", "designs/x86-legacy.ini", path])
        st2, cpu2, wall2, _, _ = timed(["trace-cmd", "report", "-i", path], keep=False)
    except (OSError, subprocess.CalledProcessError) as e:
        print("  FAIL: %d exits: %s" % (exits, e))
        failed = True
        return None
    finally:
        if os.path.exists(path):
            os.unlink(path)
    try:
        d = json.loads(out)
        ok = st == 0 and d["kvm_exit_lines"] == exits and not d["malformed"] and \
            d["designs"][0]["total"]["exits_total"] == exits
    except (ValueError, KeyError, IndexError):
        ok = False
    if not ok:
        print("  FAIL: %d exits: hvsim replay exit status %d or wrong counts" % (exits, st))
        failed = True
        return None
    if st2 != 0:
        print("  FAIL: %d exits: trace-cmd report exit status %d" % (exits, st2))
        failed = True
    label = "%dM exits" % (exits // 1000000) if exits >= 1000000 else "%d exits" % exits
    print("  %-10s %6.0f MiB  hvsim replay %6.2f s CPU %6.2f s wall %6.2f M exits/s peak RSS %5.1f MiB"
          % (label, mb, cpu, wall, exits / cpu / 1e6, rss / 1024))
    print("  %-10s %10s  trace-cmd report %6.2f s CPU %6.2f s wall %6.2f M exits/s: hvsim %s (%.1fx)"
          % ("", "", cpu2, wall2, exits / cpu2 / 1e6, "faster" if cpu < cpu2 else "NOT faster", cpu2 / cpu))
    return cpu, rss, mb

small = min(1000000, n)
r1 = size(small)
rn = size(n) if n != small else r1
if r1 and rn:
    # libtracecmd keeps a pointer a 4 KiB page of the file read (its page
    # index, never shrunk): 8 bytes a page more, the one growth allowed.
    index = (rn[2] - r1[2]) * 256 * 8 / 1024	# KiB: MiB of file * 256 pages * 8 bytes
    grow = rn[1] - r1[1]
    print("  peak RSS %d exits %.1f MiB, %d exits %.1f MiB: %s (libtracecmd's page index: %.1f MiB more)"
          % (small, r1[1] / 1024, n, rn[1] / 1024,
             "flat" if grow <= 1024 + index else "GREW by %.1f MiB" % (grow / 1024), index / 1024))
sys.exit(1 if failed else 0)
PY
	dat_rc=$?
fi
[ "$text_rc" = 0 ] && [ "$dat_rc" = 0 ]
