#!/usr/bin/env python3
"""Issue 13 experiment tables: memory-access efficiency per design and
footprint (firmware/<arch>/gups.elf), and exits per dirtied page per logging
method (firmware/<arch>/dirty.elf).  Writes Markdown to stdout or --out.

usage: tools/mem-tables.py [--hvsim ./hvsim] [--arch arm64,x86]
                           [--footprints 4M,64M] [--updates 200000]
                           [--out docs/memory-results.md]

Efficiency = native cycles / virtualized cycles of the same guest with the
same parameters: the cycles of gups's first update pass as the guest reads
them (hv_cycles), native = designs/mem-native.ini (guest stage 1 only).
Each nested/shadow design runs with the walk caches on and off
(--set walkcache.enabled=...).  Walk statistics come from --stats JSON:
every integer counter whose name matches the pattern is summed, so the table
follows the model's statistic names (see docs/memory-results.md).
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


def total(stats, pattern):
    return sum(v for k, v in flat(stats) if re.search(pattern, k))


def run(a, elf, design, sets):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [a.hvsim, "run", "-q", "--stats", f.name, "--stats-format", "json",
               "--design", os.path.join(TOP, "designs", design + ".ini")]
        for s in sets:
            cmd += ["--set", s]
        p = subprocess.run(cmd + [elf], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"mem-tables: {' '.join(cmd + [elf])}: exit status {p.returncode}\n{p.stdout}{p.stderr}")
        return p.stdout, json.load(open(f.name))


def size_mib(s):
    m = re.fullmatch(r"(\d+)([KMG])", s)
    if not m:
        sys.exit(f"mem-tables: footprint '{s}' is not N followed by K, M or G")
    return int(m.group(1)) * {"K": 1 / 1024, "M": 1, "G": 1024}[m.group(2)]


def gups_table(a, arch, out):
    elf = os.path.join(TOP, "firmware", arch, "gups.elf")
    out.append(f"\n### {arch}: GUPS, {a.updates} updates\n")
    out.append("| footprint | design | walk caches | update cycles | efficiency | walks | refs/walk | cycles/walk | TLB hit % | exits |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for fp in a.footprints:
        ram = max(128, int(size_mib(fp) * 1.25) + 64)
        base = [f"guest.arg0={fp}", f"guest.arg1={a.updates}", f"sim.ram_mb={ram}"]
        native = None
        for d in DESIGNS:
            for wc in (["true", "false"] if d != "mem-native" else ["true"]):
                con, st = run(a, elf, d, base + [f"walkcache.enabled={wc}"])
                m = re.search(r"gups: update cycles (\d+)", con)
                cyc = int(m.group(1))
                native = native or cyc
                walks = total(st, r"walks?$|walk\.count$")
                refs = total(st, r"walk.*ref")
                wcyc = total(st, r"walk.*cycles")
                hits, misses = total(st, r"tlb.*hits?$"), total(st, r"tlb.*miss(es)?$")
                hit = f"{100 * hits / (hits + misses):.1f}" if hits + misses else "-"
                exits = st.get("exits_total", 0)
                out.append(f"| {fp} | {d} | {'on' if wc == 'true' else 'off'} | {cyc} | {100 * native / cyc:.1f}% | "
                           f"{walks} | {refs / walks if walks else 0:.2f} | {wcyc / walks if walks else 0:.1f} | {hit} | {exits} |")


def dirty_table(a, arch, out):
    elf = os.path.join(TOP, "firmware", arch, "dirty.elf")
    rounds = 4
    out.append(f"\n### {arch}: dirty logging, {a.dirty_footprint} x {rounds} rounds\n")
    out.append("| method | pages dirtied | exits | exits per dirtied page | exits by reason |")
    out.append("|---|---|---|---|---|")
    for d in DIRTY:
        con, st = run(a, elf, d, [f"guest.arg0={a.dirty_footprint}", f"guest.arg1={rounds}"])
        pages = sum(int(x) for x in re.findall(r"round \d+: (\d+) pages written", con))
        _, base = run(a, elf, "mem-nested-4k", [f"guest.arg0={a.dirty_footprint}", f"guest.arg1={rounds}"])
        exits = st.get("exits_total", 0) - base.get("exits_total", 0)   # logging's own exits
        by = ", ".join(f"{k} {v - base['exits'].get(k, 0)}" for k, v in st.get("exits", {}).items()
                       if v != base["exits"].get(k, 0))
        out.append(f"| {d} | {pages} | {exits} | {exits / pages if pages else 0:.4f} | {by or '-'} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hvsim", default=os.path.join(TOP, "hvsim"))
    ap.add_argument("--arch", default="arm64,x86")
    ap.add_argument("--footprints", default="4M,64M")
    ap.add_argument("--updates", type=int, default=200000)
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
