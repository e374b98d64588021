#!/usr/bin/env python3
"""Issue 13 experiment tables: memory-access efficiency per design and
footprint (firmware/<arch>/gups.elf), and exits per dirtied page per logging
method (firmware/<arch>/dirty.elf).  Writes Markdown to stdout or --out.

usage: tools/mem-tables.py [--hvsim ./hvsim] [--arch arm64,x86]
                           [--footprints 4M,64M] [--updates 200000]
                           [--out docs/memory-results.md]

Efficiency = native cycles / virtualized cycles of the same guest with the
same parameters, native = designs/mem-native.ini (guest stage 1 only).  The
cycles are the total of --stats JSON for 2U updates minus that for U, which
leaves the updates alone (gups runs two passes of U; set-up, hash and
verification cancel out).  Each nested/shadow design runs with the walk caches
on and off (--set walkcache.enabled=...).  TLB, walk-cache and walk
statistics are the model's vcpus[i].mmu counters, differenced the same way.
Needs the translation model (mmu.model) and Unicorn 2.1."""
import argparse, json, os, re, subprocess, sys, tempfile

DESIGNS = ["mem-native", "mem-nested-4k", "mem-nested-2m", "mem-nested-1g", "mem-shadow"]
DIRTY = ["dirty-wp", "dirty-pml", "dirty-dbm"]
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def flat(o, k=""):
    if isinstance(o, dict):
        for kk, v in o.items():
            yield from flat(v, f"{k}.{kk}" if k else kk)
    elif isinstance(o, (int, float)) and not isinstance(o, bool):
        yield k, o


def run(a, elf, design, sets, soft=False):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [a.hvsim, "run", "-q", "--stats", f.name, "--stats-format", "json",
               "--design", os.path.join(TOP, "designs", design + ".ini")]
        for s in sets:
            cmd += ["--set", s]
        p = subprocess.run(cmd + [elf], capture_output=True, text=True)
        if p.returncode == 3 and soft and ("unknown key" in p.stderr or "dirty.mode" in p.stderr):
            return None, p.stderr.strip()      # the model lacks this design's key, or not on this machine
        if p.returncode != 0:
            sys.exit(f"mem-tables: {' '.join(cmd + [elf])}: exit status {p.returncode}\n{p.stdout}{p.stderr}")
        return p.stdout, json.load(open(f.name))


def size_mib(s):
    m = re.fullmatch(r"(\d+)([KMG])", s)
    if not m:
        sys.exit(f"mem-tables: footprint '{s}' is not N followed by K, M or G")
    return int(m.group(1)) * {"K": 1 / 1024, "M": 1, "G": 1024}[m.group(2)]


def counters(st):
    """The run's counters, summed over vCPUs, as a flat dict path -> value."""
    c = {"cycles": st["cycles"], "exits_total": st.get("exits_total", 0)}
    for k, v in st.get("exits", {}).items():
        c["exits." + k] = v
    for cpu in st.get("vcpus", []):
        for k, v in flat({"mmu": cpu.get("mmu", {}), "xlate": cpu.get("xlate", {})}):
            c[k] = c.get(k, 0) + v
    return c


def diff(hi, lo):
    return {k: v - lo.get(k, 0) for k, v in hi.items()}


def pct(c, prefix):
    n = c.get(prefix + ".lookups", 0)
    return f"{100 * c.get(prefix + '.hits', 0) / n:.0f}" if n else "-"


# Walk-cache levels as each architecture names them (the statistics' keys),
# from the top of the walk down.
WC_LEVELS = {"arm64": ["lm1", "l0", "l1", "l2"], "x86": ["pml5e", "pml4e", "pdpte", "pde"]}


def wc_rates(c, arch, stage):
    """Walk-cache hit rates per level of one stage, top level first."""
    return "/".join(pct(c, f"mmu.walkcache.{stage}.{lv}") for lv in WC_LEVELS[arch])


def gups_table(a, arch, out):
    """Each point runs gups with U and 2U updates: the difference is the cost
    of 2U updates alone (no table set-up, hash or verification pass)."""
    elf = os.path.join(TOP, "firmware", arch, "gups.elf")
    u = a.updates
    out.append(f"\n### {arch}: GUPS, cost of {2 * u} updates (runs with {2 * u} minus {u} per pass)\n")
    out.append("| footprint | design | walk caches | cycles | efficiency | walks | refs/walk | refs to memory hierarchy/walk "
               "| cycles/walk | L1D TLB hit % | L2 TLB hit % | walk cache s1 hit % by level | s2 | nested TLB hit % | exits |")
    out.append("|" + "---|" * 15)
    for fp in a.footprints:
        ram = max(1024, -(-int(size_mib(fp) * 1.25 + 64) // 1024) * 1024)
        base = [f"guest.arg0={fp}", f"sim.ram_mb={ram}"]
        native = None
        for d in DESIGNS:
            for wc in (["true", "false"] if d != "mem-native" else ["true"]):
                sets = base + [f"walkcache.enabled={wc}"]
                c = diff(counters(run(a, elf, d, sets + [f"guest.arg1={2 * u}"])[1]),
                         counters(run(a, elf, d, sets + [f"guest.arg1={u}"])[1]))
                cyc = c["cycles"]
                native = native or cyc
                walks = c.get("mmu.walks", 0)
                per = lambda k: f"{c.get(k, 0) / walks:.2f}" if walks else "-"
                exits = ", ".join(f"{k[6:]} {v}" for k, v in c.items() if k.startswith("exits.") and v) or "0"
                out.append(f"| {fp} | {d} | {'on' if wc == 'true' else 'off'} | {cyc} | {100 * native / cyc:.1f}% | {walks} | "
                           f"{per('mmu.walk_refs_recorded')} | {per('mmu.walk_refs_issued')} | {per('mmu.walk_cycles_total')} | "
                           f"{pct(c, 'mmu.tlb.l1d')} | {pct(c, 'mmu.tlb.l2')} | {wc_rates(c, arch, 's1')} | {wc_rates(c, arch, 's2')} | "
                           f"{pct(c, 'mmu.walkcache.ntlb')} | {exits} |")


def dirty_table(a, arch, out):
    elf = os.path.join(TOP, "firmware", arch, "dirty.elf")
    rounds = 4
    args = [f"guest.arg0={a.dirty_footprint}", f"guest.arg1={rounds}"]
    out.append(f"\n### {arch}: dirty logging, {a.dirty_footprint} x {rounds} rounds\n")
    out.append("| method | pages dirtied | exits | exits per dirtied page | exits by reason |")
    out.append("|---|---|---|---|---|")
    base = counters(run(a, elf, "mem-nested-4k", args)[1])
    for d in DIRTY:
        con, st = run(a, elf, d, args, soft=True)
        if con is None:
            why = st.split(': ', 1)[-1]
            kind = "not on this machine" if "dirty.mode" in st else "not modelled by this hvsim"
            out.append(f"| {d} | - | - | - | {kind} ({why}) |")
            continue
        pages = sum(int(x) for x in re.findall(r"round \d+: (\d+) pages written", con))
        c = diff(counters(st), base)       # the logging method's own exits
        by = ", ".join(f"{k[6:]} {v}" for k, v in c.items() if k.startswith("exits.") and v) or "-"
        out.append(f"| {d} | {pages} | {c['exits_total']} | {c['exits_total'] / pages if pages else 0:.4f} | {by} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hvsim", default=os.path.join(TOP, "hvsim"))
    ap.add_argument("--arch", default="arm64,x86")
    ap.add_argument("--footprints", default="4M,64M")
    ap.add_argument("--updates", type=int, default=100000)
    ap.add_argument("--dirty-footprint", default="16M")
    ap.add_argument("--out")
    a = ap.parse_args()
    a.footprints = a.footprints.split(",")
    keys = subprocess.run([a.hvsim, "config", "--list", "--arch", "arm64"], capture_output=True, text=True).stdout
    if not re.search(r"^mmu\.stage2 ", keys, re.M):
        sys.exit("mem-tables: this hvsim has no translation model (mmu.stage2): nothing to measure")
    out = ["## Generated tables", "", f"`tools/mem-tables.py --arch {a.arch} --footprints {','.join(a.footprints)} "
           f"--updates {a.updates} --dirty-footprint {a.dirty_footprint}`"]
    for arch in a.arch.split(","):
        gups_table(a, arch, out)
        dirty_table(a, arch, out)
    text = "\n".join(out) + "\n"
    if a.out:
        open(a.out, "w").write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
