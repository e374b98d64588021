#!/bin/sh
# make bench: speed of hvsim on the bench guests, and of QEMU TCG on the same
# loops when qemu-system-* is installed.  POSIX sh; python3 parses the JSON
# statistics and prints the tables.  See bench/README.md.
#
# Environment:
#   HVSIM          hvsim binary (default ./hvsim, relative to the source root)
#   BENCH_REPEAT   runs per measurement, the least CPU (and wall) time counts
#                  (default 5: the run least disturbed by other work on the host)
#   BENCH_TIMEOUT  seconds before one run counts as failed (default 600)
#   QEMU_A64, QEMU_X86   QEMU binaries (default qemu-system-aarch64, qemu-system-x86_64)
#   BENCH_BIG_RAM_MB_ARM64, BENCH_BIG_RAM_MB_X86   guest RAM for the memory
#                  footprint run (default 16384 and 4000)
#   MMU_BENCH      the page-table walker's own benchmark (make bench builds
#                  build/bench/mmu_walk); unset: that part is skipped
#
# Exit status: 0 unless a run failed (unexpected exit status, timeout or
# missing output); 2 for bad settings.  Slow runs, checksum mismatches and
# run-to-run differences are reported loudly but never fail the script.
#
# Also: hvsim's peak resident memory for bench_touch (64 MiB touched) on a
# machine with the largest RAM the design allows (BENCH_BIG_RAM_MB_<ARCH>).

# check_hvsim/check_qemu are called indirectly through $CHECK.
# shellcheck disable=SC2317

set -u

HVSIM=${HVSIM:-./hvsim}
BENCH_REPEAT=${BENCH_REPEAT:-5}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
QEMU_A64=${QEMU_A64:-qemu-system-aarch64}
QEMU_X86=${QEMU_X86:-qemu-system-x86_64}

die() { echo "bench: $*" >&2; exit 2; }

case $BENCH_REPEAT in ''|*[!0-9]*) die "BENCH_REPEAT='$BENCH_REPEAT' is not a positive integer" ;; esac
[ "$BENCH_REPEAT" -ge 1 ] || die "BENCH_REPEAT='$BENCH_REPEAT' is not a positive integer"
case $BENCH_TIMEOUT in ''|*[!0-9]*) die "BENCH_TIMEOUT='$BENCH_TIMEOUT' is not a positive integer" ;; esac
[ "$BENCH_TIMEOUT" -ge 1 ] || die "BENCH_TIMEOUT='$BENCH_TIMEOUT' is not a positive integer"
for _v in "${BENCH_BIG_RAM_MB_ARM64:-16384}" "${BENCH_BIG_RAM_MB_X86:-4000}"; do
    case $_v in ''|*[!0-9]*) die "BENCH_BIG_RAM_MB_*='$_v' is not a positive integer" ;; esac
done
command -v python3 >/dev/null 2>&1 || die "python3 not found"

# Relative paths are given from the source root (as `make bench` does).
HVSIM_NAME=$HVSIM
case $HVSIM in /*) ;; */*) HVSIM=$PWD/$HVSIM ;; esac
case ${MMU_BENCH:-} in /* | '') ;; *) MMU_BENCH=$PWD/$MMU_BENCH ;; esac
cd "$(dirname "$0")/.." || die "cannot enter the source root"
command -v "$HVSIM" >/dev/null 2>&1 || die "hvsim binary '$HVSIM' not found (run make)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvsim-bench.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
RESULTS=$TMP/results.tsv
: > "$RESULTS"
FAILURES=0

fail() {
    echo "FAIL: $*"
    FAILURES=$((FAILURES + 1))
}

# secs NS: nanoseconds as seconds with 3 decimals
secs() { printf '%d.%03d' $(($1 / 1000000000)) $(($1 / 1000000 % 1000)); }

# Runs a command with a timeout; prints its status (124: timed out, 127:
# cannot run), wall and CPU (user + system, all its threads) nanoseconds.
cat > "$TMP/timed.py" <<'EOF'
import resource, subprocess, sys, time
log, limit, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
c0, t0 = cpu(), time.monotonic_ns()
with open(log, "wb") as out:
    try:
        rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            timeout=limit).returncode
    except subprocess.TimeoutExpired:
        rc = 124
    except OSError:
        rc = 127
print(rc, time.monotonic_ns() - t0, int((cpu() - c0) * 1e9))
EOF

# timed LOG CMD...: run CMD (stdin /dev/null, output to LOG); sets T_RC,
# T_NS (wall) and T_CPU (CPU time).  The host is shared: CPU time is the
# steadier measure when other work competes for the cores.
timed() {
    _log=$1; shift
    _r=$(python3 "$TMP/timed.py" "$_log" "$BENCH_TIMEOUT" "$@") || _r="127 0 0"
    # shellcheck disable=SC2086  # split into fields on purpose
    set -- $_r
    T_RC=$1 T_NS=$2 T_CPU=$3
}

# show_log LOG: the end of a failed run's output (escape codes made visible)
show_log() { tail -n 15 "$1" | tr -d '\r' | cat -v | sed 's/^/    | /'; }

# field LOG NAME WHAT: "NAME: WHAT <value>" printed by the guest (lib/bench.h);
# not anchored: under QEMU x86 the first line follows SeaBIOS's "Booting from ROM..".
field() { tr -d '\r' < "$1" | sed -n "s/.*$2: $3 \([0-9a-fx]*\).*/\1/p" | head -n 1; }
# iters LOG NAME: the "NAME: N iterations" line's N
iters() { tr -d '\r' < "$1" | sed -n "s/.*$2: \([0-9]*\) iterations.*/\1/p" | head -n 1; }

# least_of EXPECTED_RC LABEL LOG CMD...: BENCH_REPEAT runs, each must end
# with EXPECTED_RC; sets BEST_NS and BEST_CPU (the least wall and CPU time:
# on a shared host other tenants only ever add time, in bursts of seconds,
# so the least is the run they disturbed least).  Returns 1 (after reporting) on a
# failed run.  CHECK, if set, names a function run after each run with the
# run number; it returns nonzero when the output is unusable.  CTX names the
# guest in failure messages.
least_of() {
    _exp=$1 _label=$2 _blog=$3; shift 3
    BEST_NS='' BEST_CPU=''
    _i=1 _times='' _walls='' _cpus=''
    while [ "$_i" -le "$BENCH_REPEAT" ]; do
        timed "$_blog" "$@"
        if [ "$T_RC" -ne "$_exp" ]; then
            if [ "$T_RC" -eq 124 ]; then
                fail "$CTX $_label: run $_i timed out after ${BENCH_TIMEOUT}s"
            else
                fail "$CTX $_label: run $_i exited with status $T_RC (expected $_exp)"
            fi
            echo "    command: $*"
            show_log "$_blog"
            return 1
        fi
        if [ -n "${CHECK:-}" ] && ! "$CHECK" "$_i"; then
            echo "    command: $*"
            show_log "$_blog"
            return 1
        fi
        _times="$_times $(secs "$T_NS")/$(secs "$T_CPU")"
        _walls="$_walls$T_NS
"
        _cpus="$_cpus$T_CPU
"
        _i=$((_i + 1))
    done
    BEST_NS=$(printf '%s' "$_walls" | sort -n | sed -n 1p)
    BEST_CPU=$(printf '%s' "$_cpus" | sort -n | sed -n 1p)
    printf '  %-34s least %s s wall, %s s CPU  (wall/CPU:%s)\n' "$_label" "$(secs "$BEST_NS")" \
        "$(secs "$BEST_CPU")" "$_times"
    return 0
}

# ---- output checks (CHECK hooks); they read BENCH, LOG, STATS ----
NONDET=
check_hvsim() {
    _sum=$(field "$LOG" "$BENCH" checksum)
    _it=$(iters "$LOG" "$BENCH")
    _kc=$(field "$LOG" "$BENCH" "simulated cycles")
    _st=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(int(d["guest_instructions"]), int(d["cycles"]))' "$STATS" 2>&1) || {
        fail "$CTX hvsim: no usable statistics in $STATS: $(echo "$_st" | tail -n 1)"; return 1; }
    if [ -z "$_sum" ] || [ -z "$_it" ] || [ -z "$_kc" ]; then
        fail "$CTX hvsim: no iterations, checksum or simulated cycles line in its output"
        return 1
    fi
    _now="$_it $_sum $_kc $_st"
    if [ "$1" -eq 1 ]; then
        HV_RUN=$_now
    elif [ "$_now" != "$HV_RUN" ]; then
        echo "  *** NONDETERMINISM: hvsim run $1 gave [$_now], run 1 gave [$HV_RUN] ***"
        NONDET=yes
    fi
    return 0
}
check_qemu() {
    _sum=$(field "$LOG" "$BENCH" checksum)
    _it=$(iters "$LOG" "$BENCH")
    if [ -z "$_sum" ] || [ -z "$_it" ]; then
        fail "$CTX QEMU: no iterations or checksum line in its output"
        return 1
    fi
    if [ "$1" -eq 1 ]; then
        Q_RUN="$_it $_sum"
    elif [ "$_it $_sum" != "$Q_RUN" ]; then
        echo "  *** NONDETERMINISM: QEMU run $1 gave [$_it $_sum], run 1 gave [$Q_RUN] ***"
        NONDET=yes
    fi
    return 0
}

# ---- empty guests measuring QEMU's own start-up ----
# arm64 raw image: MOVZ x0,#0x8400,LSL #16; MOVK x0,#8; HVC #0; B .
# (Arm ARM C6.2; x0 = PSCI SYSTEM_OFF 0x84000008, ARM DEN 0022 §5.1).
# x86 multiboot image with the address fields (Multiboot 0.6.96 §3.1.1-3.1.3,
# flags bit 16) loaded at 1 MiB: XOR EAX,EAX; OUT 0xF4,AL; CLI; HLT; JMP $-2.
python3 -c 'import struct, sys
a64 = [0xd2b08000, 0xf2800100, 0xd4000002, 0x14000000]
open(sys.argv[1], "wb").write(b"".join(struct.pack("<I", w) for w in a64))
magic, flags, base = 0x1BADB002, 1 << 16, 0x100000
hdr = struct.pack("<8I", magic, flags, -(magic + flags) & 0xffffffff,
                  base, base, 0, 0, base + 32)
open(sys.argv[2], "wb").write(hdr + bytes([0x31, 0xc0, 0xe6, 0xf4, 0xfa, 0xf4, 0xeb, 0xfc]))
' "$TMP/empty-arm64.bin" "$TMP/empty-x86.bin" || die "cannot write the empty QEMU guests"

# QEMU command lines.  TCG explicitly (no KVM).  x86: -net none skips the
# iPXE option ROM (start-up only); the guest's isa-debug-exit write of v makes
# QEMU exit with (v << 1) | 1, so guest status 0 gives 1.
qemu_cmd() {
    case $1 in
    arm64) echo "$QEMU_A64 -M virt -cpu cortex-a57 -accel tcg -nographic -monitor none -no-reboot -kernel" ;;
    x86)   echo "$QEMU_X86 -accel tcg -nographic -monitor none -no-reboot -net none -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel" ;;
    esac
}
qemu_rc() { case $1 in arm64) echo 0 ;; x86) echo 1 ;; esac; }

echo "hvsim bench: least of $BENCH_REPEAT runs, host wall and CPU time of each process"
echo "hvsim: $HVSIM_NAME ($("$HVSIM" --version 2>/dev/null | tr '\n' ';' | sed 's/;$//; s/;/; /g'))"
UC_LIB=$(ldd "$(command -v "$HVSIM")" 2>/dev/null | sed -n 's/.*libunicorn[^ ]* => \([^ ]*\).*/\1/p' | head -n 1)
[ -n "$UC_LIB" ] && echo "hvsim loads Unicorn from $UC_LIB"
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
# A sanitizer build (make check's second pass) runs several times slower.
SANITIZED=
if grep -a -q -E '__asan_init|__ubsan_handle|__tsan_init' "$(command -v "$HVSIM")" 2>/dev/null; then
    SANITIZED="*** $HVSIM_NAME is a sanitizer build: its times are not representative ***"
    echo "$SANITIZED"
fi

for ARCH in arm64 x86; do
    case $ARCH in arm64) QBIN=$QEMU_A64 ;; x86) QBIN=$QEMU_X86 ;; esac
    if command -v "$QBIN" >/dev/null 2>&1; then
        HAVE_QEMU=yes
        QVER=$("$QBIN" --version 2>/dev/null | head -n 1)
    else
        HAVE_QEMU=
    fi
    echo
    echo "== $ARCH"
    [ -n "$HAVE_QEMU" ] || echo "  note: $QBIN not installed: QEMU comparison skipped"
    [ -n "$HAVE_QEMU" ] && echo "  QEMU: $QVER"

    # Start-up: hvsim up to its first guest instruction, QEMU on an empty guest.
    CTX=$ARCH
    HV0_NS=- Q0_NS=- HV0_CPU=- Q0_CPU=-
    CHECK=
    if [ -f "firmware/$ARCH/bench_alu.elf" ] &&
       least_of 4 "hvsim start-up (--max-insns 1)" "$TMP/start.log" \
           "$HVSIM" run --quiet --max-insns 1 "firmware/$ARCH/bench_alu.elf"; then
        HV0_NS=$BEST_NS HV0_CPU=$BEST_CPU
    fi
    # qemu_cmd is a word list on purpose.
    # shellcheck disable=SC2046
    if [ -n "$HAVE_QEMU" ] &&
       least_of "$(qemu_rc "$ARCH")" "QEMU start-up (empty guest)" "$TMP/start.log" \
           $(qemu_cmd "$ARCH") "$TMP/empty-$ARCH.bin"; then
        Q0_NS=$BEST_NS Q0_CPU=$BEST_CPU
    fi
    # The translation model ([mmu] model = on, default tlb_sync) needs
    # Unicorn 2.1: with 2.0.1 hvsim refuses it (exit status 5) before the
    # guest runs.  Status 4 is the --max-insns stop.
    MMU=no HVM0_CPU=-
    if [ -f "firmware/$ARCH/bench_alu.elf" ]; then
        timed "$TMP/start.log" "$HVSIM" run --quiet --set mmu.model=on --max-insns 1 "firmware/$ARCH/bench_alu.elf"
        if [ "$T_RC" -eq 4 ]; then
            MMU=yes
            least_of 4 "hvsim start-up, translation model on" "$TMP/start.log" \
                "$HVSIM" run --quiet --set mmu.model=on --max-insns 1 "firmware/$ARCH/bench_alu.elf" &&
                HVM0_CPU=$BEST_CPU
        else
            echo "  note: translation model runs skipped: $(tail -n 1 "$TMP/start.log")"
        fi
    fi

    for B in alu mem branch exit; do
        BENCH=bench_$B
        case $B in
        alu) LOOP=compute ;; mem) LOOP=load/store ;; branch) LOOP=branchy ;; exit) LOOP=exit-heavy ;;
        esac
        ELF=firmware/$ARCH/$BENCH.elf
        CTX="$ARCH $BENCH"
        QELF=firmware/$ARCH/$BENCH-qemu.elf
        echo "  -- $LOOP loop ($ELF)"
        NONDET=
        HV=FAILED INSNS=- CYC=- KCYC=- HV_NS=- HV_CPU=- HV_IT=- HV_SUM=-
        LOG=$TMP/$ARCH-$B-hvsim.log STATS=$TMP/$ARCH-$B.json
        if [ ! -f "$ELF" ]; then
            fail "$ELF missing (run make firmware)"
        else
            CHECK=check_hvsim
            if least_of 0 "hvsim" "$LOG" "$HVSIM" run --quiet --stats "$STATS" \
                   --stats-format json "$ELF"; then
                HV=ok HV_NS=$BEST_NS HV_CPU=$BEST_CPU
                # shellcheck disable=SC2086  # split into fields on purpose
                set -- $HV_RUN
                HV_IT=$1 HV_SUM=$2 KCYC=$3 INSNS=$4 CYC=$5
                echo "     $HV_IT iterations, checksum $HV_SUM, $INSNS guest instructions," \
                     "$CYC simulated cycles ($KCYC in the loop)"
            fi
        fi
        # The long variant (firmware/Makefile BENCH_LONG_* times the
        # iterations): the difference from the normal run is the loop alone.
        HVL_CPU=- HVL_INSNS=- HVL_IT=- HVL_SUM=-
        LELF=firmware/$ARCH/$BENCH-long.elf
        if [ "$HV" = ok ] && [ -f "$LELF" ]; then
            SHORT_RUN=$HV_RUN
            LOG=$TMP/$ARCH-$B-hvsim-long.log STATS=$TMP/$ARCH-$B-long.json
            CHECK=check_hvsim
            if least_of 0 "hvsim, long run" "$LOG" "$HVSIM" run --quiet --stats "$STATS" \
                   --stats-format json "$LELF"; then
                # shellcheck disable=SC2086  # split into fields on purpose
                set -- $HV_RUN
                HVL_CPU=$BEST_CPU HVL_IT=$1 HVL_SUM=$2 HVL_INSNS=$4
                echo "     long run: $1 iterations, checksum $2, $4 guest instructions"
            fi
            HV_RUN=$SHORT_RUN
        elif [ "$HV" = ok ]; then
            echo "  note: $LELF missing (make bench builds it): no steady-state figures"
        fi
        # The same guest with the translation model on: the same guest
        # output (checksum, iterations), its own instruction and cycle counts.
        HVM_CPU=- HVM_INSNS=- HVML_CPU=- HVML_INSNS=-
        if [ "$HV" = ok ] && [ "$MMU" = yes ]; then
            OFF_RUN=$HV_RUN
            LOG=$TMP/$ARCH-$B-hvsim-mmu.log STATS=$TMP/$ARCH-$B-mmu.json
            CHECK=check_hvsim
            if least_of 0 "hvsim, translation model on" "$LOG" "$HVSIM" run --quiet --set mmu.model=on \
                   --stats "$STATS" --stats-format json "$ELF"; then
                # shellcheck disable=SC2086  # split into fields on purpose
                set -- $HV_RUN
                if [ "$1 $2" != "$HV_IT $HV_SUM" ]; then
                    fail "$CTX hvsim: with the translation model on, $1 iterations, checksum $2 (off: $HV_IT, $HV_SUM)"
                else
                    HVM_CPU=$BEST_CPU HVM_INSNS=$4
                    echo "     translation model on: $4 guest instructions, $5 simulated cycles"
                fi
            fi
            LOG=$TMP/$ARCH-$B-hvsim-mmu-long.log STATS=$TMP/$ARCH-$B-mmu-long.json
            if [ "$HVL_CPU" != - ] && least_of 0 "hvsim, translation model on, long run" "$LOG" \
                   "$HVSIM" run --quiet --set mmu.model=on --stats "$STATS" --stats-format json "$LELF"; then
                # shellcheck disable=SC2086  # split into fields on purpose
                set -- $HV_RUN
                if [ "$1 $2" != "$HVL_IT $HVL_SUM" ]; then
                    fail "$CTX hvsim long run: with the translation model on, $1 iterations, checksum $2 (off: $HVL_IT, $HVL_SUM)"
                else
                    HVML_CPU=$BEST_CPU HVML_INSNS=$4
                fi
            fi
            HV_RUN=$OFF_RUN
        fi
        Q=skipped Q_NS=- Q_CPU=- Q_IT=- Q_SUM=- QL_CPU=-
        if [ -n "$HAVE_QEMU" ]; then
            Q=FAILED
            LOG=$TMP/$ARCH-$B-qemu.log
            if [ ! -f "$QELF" ]; then
                fail "$QELF missing (run make firmware)"
            else
                CHECK=check_qemu
                # shellcheck disable=SC2046
                if least_of "$(qemu_rc "$ARCH")" "QEMU TCG" "$LOG" $(qemu_cmd "$ARCH") "$QELF"; then
                    Q=ok Q_NS=$BEST_NS Q_CPU=$BEST_CPU
                    # shellcheck disable=SC2086
                    set -- $Q_RUN
                    Q_IT=$1 Q_SUM=$2
                    echo "     $Q_IT iterations, checksum $Q_SUM"
                fi
            fi
            LQELF=firmware/$ARCH/$BENCH-long-qemu.elf
            LOG=$TMP/$ARCH-$B-qemu-long.log
            # shellcheck disable=SC2046
            if [ "$Q" = ok ] && [ "$HVL_CPU" != - ] && [ -f "$LQELF" ] &&
               least_of "$(qemu_rc "$ARCH")" "QEMU TCG, long run" "$LOG" $(qemu_cmd "$ARCH") "$LQELF"; then
                # shellcheck disable=SC2086
                set -- $Q_RUN
                if [ "$1 $2" != "$HVL_IT $HVL_SUM" ]; then
                    echo "  *** LONG RUNS DIFFER: hvsim $HVL_IT iterations, checksum $HVL_SUM; QEMU $1, $2 ***"
                else
                    QL_CPU=$BEST_CPU
                    echo "     long runs: checksums agree"
                fi
            fi
        fi
        CHECK=
        if [ "$HV" = ok ] && [ "$Q" = ok ]; then
            if [ "$HV_IT" != "$Q_IT" ]; then
                echo "  *** ITERATION COUNTS DIFFER: hvsim $HV_IT, QEMU $Q_IT: QEMU MIPS not comparable ***"
            elif [ "$HV_SUM" != "$Q_SUM" ]; then
                echo "  *** CHECKSUM MISMATCH: hvsim $HV_SUM, QEMU $Q_SUM: one of them executes the loop wrongly ***"
            else
                echo "     checksums agree"
            fi
        fi
        printf '%s\t' "$ARCH" "$LOOP" "$HV" "$INSNS" "$CYC" "$KCYC" "$HV_NS" "$HV0_NS" \
            "$HV_IT" "$HV_SUM" "$Q" "$Q_NS" "$Q0_NS" "$Q_IT" "$Q_SUM" \
            "$HV_CPU" "$HV0_CPU" "$Q_CPU" "$Q0_CPU" "$HVM_CPU" "$HVM0_CPU" "$HVM_INSNS" \
            "$HVL_CPU" "$HVL_INSNS" "$QL_CPU" "$HVML_CPU" "$HVML_INSNS" >> "$RESULTS"
        printf '%s\n' "${NONDET:-no}" >> "$RESULTS"
    done
done

# ---- the page-table walker alone (mmu/walk.c), walks per second ----
if [ -n "${MMU_BENCH:-}" ]; then
    echo
    echo "== mmu: page-table walks"
    "$MMU_BENCH" || fail "mmu walker benchmark ($MMU_BENCH) failed"
fi

# ---- memory footprint: bench_touch touches 64 MiB of a large guest RAM ----
echo
echo "== memory: hvsim peak resident set, bench_touch (touches 64 MiB of guest RAM)"
for ARCH in arm64 x86; do
    # x86: the PC's RAM must end below its MMIO at 0xFEB00000 (4075 MiB).
    case $ARCH in
    arm64) MB=${BENCH_BIG_RAM_MB_ARM64:-16384} ;;
    x86)   MB=${BENCH_BIG_RAM_MB_X86:-4000} ;;
    esac
    ELF=firmware/$ARCH/bench_touch.elf
    if [ ! -f "$ELF" ]; then
        fail "$ELF missing (run make firmware)"
        continue
    fi
    # prints "STATUS PEAK_KIB"; STATUS 124 on timeout
    RSS=$(python3 - "$BENCH_TIMEOUT" "$HVSIM" run --quiet --set "sim.ram_mb=$MB" "$ELF" <<'EOF'
import resource, subprocess, sys
try:
    rc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                        timeout=int(sys.argv[1])).returncode
except subprocess.TimeoutExpired:
    rc = 124
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
EOF
) || { fail "$ARCH bench_touch: could not run"; continue; }
    # shellcheck disable=SC2086  # split into fields on purpose
    set -- $RSS
    if [ "$1" -ne 0 ]; then
        fail "$ARCH bench_touch (sim.ram_mb=$MB): exit status $1"
        continue
    fi
    printf '  %-6s sim.ram_mb=%-6s peak RSS %d MiB\n' "$ARCH" "$MB" $(($2 / 1024))
done

echo
SANITIZED=$SANITIZED python3 - "$RESULTS" <<'EOF' || fail "table printing failed"
import os
import sys

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]

def num(s):
    return None if s in ("-", "") else int(s)

def sec(ns):
    return "-" if ns is None else "%.3f" % (ns / 1e9)

def mips(insns, ns):
    return "-" if insns is None or not ns else "%.0f" % (insns * 1e3 / ns)

def net(ns, ns0):
    # Start-up corrections below 10 ms of loop time are noise, not a speed.
    if ns is None or ns0 is None or ns - ns0 < 10_000_000:
        return None
    return ns - ns0

def table(head, body):
    w = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    fmt = lambda r: "  ".join(c.ljust(w[i]) if i < 2 else c.rjust(w[i]) for i, c in enumerate(r))
    print(fmt(head))
    print("  ".join("-" * x for x in w))
    for r in body:
        print(fmt(r))

def diff(long, short):
    # a difference below 10 ms is noise, not a speed
    return None if long is None or short is None or long - short < 10_000_000 else long - short

raw, netrows, steady, notes, goals = [], [], [], [], []
for (arch, loop, hv, insns, cyc, kcyc, hv_ns, hv0_ns, hv_it, hv_sum,
     q, q_ns, q0_ns, q_it, q_sum, hv_cpu, hv0_cpu, q_cpu, q0_cpu, hvm_cpu, hvm0_cpu, hvm_insns,
     hvl_cpu, hvl_insns, ql_cpu, hvml_cpu, hvml_insns, nondet) in rows:
    insns, cyc, hv_ns, hv0_ns = num(insns), num(cyc), num(hv_ns), num(hv0_ns)
    q_ns, q0_ns = num(q_ns), num(q0_ns)
    hv_cpu, hv0_cpu, q_cpu, q0_cpu = num(hv_cpu), num(hv0_cpu), num(q_cpu), num(q0_cpu)
    hvm_cpu, hvm0_cpu, hvm_insns = num(hvm_cpu), num(hvm0_cpu), num(hvm_insns)
    hvl_cpu, hvl_insns, ql_cpu = num(hvl_cpu), num(hvl_insns), num(ql_cpu)
    hvml_cpu, hvml_insns = num(hvml_cpu), num(hvml_insns)
    comparable = hv == "ok" and q == "ok" and hv_it == q_it
    if hv != "ok":
        agree = "hvsim FAILED"
    elif q == "skipped":
        agree = "no QEMU"
    elif q != "ok":
        agree = "QEMU FAILED"
    elif hv_it != q_it:
        agree = "ITERS DIFFER"
    else:
        agree = "agree" if hv_sum == q_sum else "*** MISMATCH ***"
    if nondet == "yes":
        agree += " NONDETERMINISTIC"
        notes.append("%s %s: runs differed from each other (see above)" % (arch, loop))
    if agree.startswith("*"):
        notes.append("%s %s: checksum hvsim %s, QEMU %s" % (arch, loop, hv_sum, q_sum))
    def times(a, b):  # hvsim's speed as a multiple of QEMU's: QEMU time / hvsim time
        return "%.2f" % (b / a) if comparable and a and b else "-"
    ipc = "%.3f" % (insns / cyc) if insns is not None and cyc else "-"
    raw.append([arch, loop, "-" if insns is None else str(insns), "-" if cyc is None else str(cyc),
                ipc, sec(hv_ns), sec(hv_cpu), mips(insns, hv_cpu), sec(q_ns), sec(q_cpu),
                mips(insns, q_cpu) if comparable else "-", times(hv_cpu, q_cpu), times(hv_ns, q_ns),
                hv_sum if hv == "ok" else "-", agree])
    hn, qn, mn = net(hv_cpu, hv0_cpu), net(q_cpu, q0_cpu), net(hvm_cpu, hvm0_cpu)
    netrows.append([arch, loop, sec(hv0_cpu), sec(hn), mips(insns, hn),
                    "-" if cyc is None or not hn else "%.0f" % (cyc * 1e3 / hn),
                    sec(q0_cpu), sec(qn), mips(insns, qn) if comparable else "-", times(hn, qn),
                    sec(mn), mips(hvm_insns, mn), times(mn, qn)])
    # the loop alone: long run minus normal run (each the least of its runs)
    hd, qd, md = diff(hvl_cpu, hv_cpu), diff(ql_cpu, q_cpu), diff(hvml_cpu, hvm_cpu)
    di = hvl_insns - insns if hvl_insns is not None and insns is not None else None
    dm = hvml_insns - hvm_insns if hvml_insns is not None and hvm_insns is not None else None
    steady.append([arch, loop, "-" if di is None else str(di), sec(hd), mips(di, hd), sec(qd),
                   mips(di, qd) if comparable else "-", times(hd, qd), sec(md), mips(dm, md), times(md, qd)])
    for label, x, goal in (("model off", times(hd, qd), 0.5), ("translation model on", times(md, qd), 0.2)):
        if x != "-":
            goals.append((arch, loop, label, float(x), goal))

print("Whole process, least of the runs; MIPS = hvsim's guest instructions / CPU time")
table(["arch", "loop", "guest insns", "sim cycles", "IPC", "hvsim wall s", "hvsim CPU s", "hvsim MIPS",
       "QEMU wall s", "QEMU CPU s", "QEMU MIPS", "x QEMU", "x QEMU wall", "checksum", "hvsim vs QEMU"], raw)
print()
print("Net of start-up (CPU time minus the start-up run's; '-' below 10 ms)")
table(["arch", "loop", "hvsim start s", "hvsim net s", "hvsim MIPS", "sim MHz",
       "QEMU start s", "QEMU net s", "QEMU MIPS", "x QEMU", "mmu-on net s", "mmu-on MIPS", "x QEMU mmu-on"],
      netrows)
print()
print("Steady state: the loop alone (CPU time of the long run, 5-50 times the iterations as firmware/Makefile's "
      "BENCH_LONG_* say, minus the normal run's)")
table(["arch", "loop", "guest insns", "hvsim s", "hvsim MIPS", "QEMU s", "QEMU MIPS", "x QEMU",
       "mmu-on s", "mmu-on MIPS", "x QEMU mmu-on"], steady)
print()
print("Goals (issue 12, steady state): at least 0.5x QEMU with the model off, 0.2x with the translation model on")
for arch, loop, label, x, goal in goals:
    print("  %-6s %-11s %-21s %5.2fx  %s" % (arch, loop, label, x, "met" if x >= goal else "NOT met (goal %.1fx)" % goal))
print("""
guest insns: hvsim's guest_instructions (whole run, start-up code included);
  IPC = guest insns / sim cycles; sim MHz = simulated cycles per host CPU second.
QEMU MIPS uses hvsim's instruction count: both ELFs run the same loop body
  with the same iteration count (checked above), so the counts match to within
  the start-up and exit code (a few thousand instructions of 10-270 million;
  QEMU x86 also runs SeaBIOS, part of its start-up time).
x QEMU: hvsim's speed as a multiple of QEMU TCG's (QEMU CPU time / hvsim CPU
  time; 1.00 = as fast, 0.50 = half as fast); "x QEMU wall" the same from wall
  time.  CPU time (user + system, all threads) is the steadier measure on a
  shared host: wall time also counts waiting for a core.
hvsim start-up: hvsim run --max-insns 1 on bench_alu.elf (stops with status 4);
  QEMU start-up: an empty guest that powers off at once.
mmu-on: the same hvsim run with --set mmu.model=on (the translation model of
  mmu/, default tlb_sync; Unicorn 2.1 only), net of its own start-up run;
  its MIPS from its own guest instruction count.
Steady state: each loop also runs as firmware/ARCH/bench_*-long.elf and
  -long-qemu.elf (make -C firmware bench-long), the same guest with more
  iterations; the difference of the two runs' CPU times is what the extra
  iterations cost, with start-up and exit left out for both simulators (no
  start-up guest stands in for them).  guest insns: the difference of
  hvsim's instruction counts, used for QEMU's MIPS too.""")
for n in notes:
    print("*** " + n + " ***")
if os.environ.get("SANITIZED"):
    print(os.environ["SANITIZED"])
EOF

if [ "$FAILURES" -ne 0 ]; then
    echo "bench: $FAILURES run(s) FAILED"
    exit 1
fi
exit 0
