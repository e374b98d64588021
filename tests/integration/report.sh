#!/bin/bash
# hvsim report and plot on a fixture whose cells are worked out by hand:
# w1/A holds 10, 12, 14 (mean 12; s = 2; 95% CI half-width
# t(0.975, 2) * s / sqrt(3) = 4.303 * 2 / 1.732 = 4.969), the other cells
# one point each; one failed point that must be left out.
. "$(dirname "$0")/lib.bash"
fx=$TOP/tests/data/sweep/fixture.jsonl
check() {  # check NAME ARGS... (expected output on stdin)
	local name=$1; shift
	cat >"$T/$name.want"
	"$HVSIM" report "$@" "$fx" >"$T/$name.got" 2>"$T/$name.err" || { cat "$T/$name.err" >&2; fail "$name: exit status"; }
	diff -u "$T/$name.want" "$T/$name.got" >&2 || fail "$name: table differs"
}
check text --value cycles <<'OUT'
design \ cycles          w1   w2
A                12 ± 4.969  100
B                        30   50

1 failed point left out
OUT
check ratio --value cycles --baseline design=A --geomean --format markdown <<'OUT'
| design \ cycles / design=A | w1 | w2 |
|---|---:|---:|
| A | 1.000 ± 0.414 | 1.000 |
| B | 2.500 | 0.500 |
| geometric mean | 1.581 | 0.707 |

1 failed point left out
OUT
check latex --value cycles --rows workload --cols design --format latex <<'OUT'
\begin{tabular}{lrr}
\toprule
workload \textbackslash{} cycles & A & B \\
\midrule
w1 & 12 $\pm$ 4.969 & 30 \\
w2 & 100 & 50 \\
\bottomrule
\end{tabular}
% 1 failed point left out
OUT
check csv --value exits.HVC64 --format csv <<'OUT'
design \ exits.HVC64,w1,w1 ci95,w2,w2 ci95
A,1,0,10,
B,3,,5,
OUT
check where --value cycles --where workload=w2 --rows design --cols sim.quantum_cycles <<'OUT'
design \ cycles  1000
A                 100
B                  50

1 failed point left out
OUT
# Bad requests: exit 3 with the reason.
rc=0; "$HVSIM" report --rows nokey "$fx" >/dev/null 2>"$T/e1" || rc=$?
expect_eq "unknown key: status" "$rc" 3
grep -q "no point has the key 'nokey'" "$T/e1" || fail "unknown key: $(cat "$T/e1")"
rc=0; "$HVSIM" report --baseline workload=w1 --rows design --cols sim.quantum_cycles "$fx" >/dev/null 2>"$T/e2" || rc=$?
expect_eq "baseline key not in the table: status" "$rc" 3
printf '{"point": 0}\n' >"$T/bad.jsonl"
rc=0; "$HVSIM" report "$T/bad.jsonl" >/dev/null 2>"$T/e3" || rc=$?
expect_eq "malformed results: status" "$rc" 3
grep -q "bad.jsonl:1: not a sweep result line" "$T/e3" || fail "malformed results: $(cat "$T/e3")"

# Figures: each kind renders to each format (gnuplot), or says what is missing.
if command -v gnuplot >/dev/null; then
	"$HVSIM" plot --value exits -o "$T/bars.svg" "$fx" || fail "bars"
	grep -q "<svg" "$T/bars.svg" || fail "bars.svg is not SVG"
	"$HVSIM" plot --kind stacked --value exits -o "$T/st.png" "$fx" || fail "stacked"
	head -c 8 "$T/st.png" | od -An -c | grep 'P   N   G' >/dev/null || fail "st.png is not PNG"
	"$HVSIM" plot --kind line --x sim.quantum_cycles --value cycles -o "$T/line.pdf" "$fx" || fail "line"
	head -c 5 "$T/line.pdf" | grep '%PDF' >/dev/null || fail "line.pdf is not PDF"
	rc=0; "$HVSIM" plot --kind cdf --value cycles -o "$T/cdf.svg" "$fx" 2>"$T/e4" || rc=$?
	expect_eq "cdf of a scalar: status" "$rc" 3
	grep -q "is not a histogram" "$T/e4" || fail "cdf of a scalar: $(cat "$T/e4")"
else
	echo "report: plot part skipped (no gnuplot)"
fi
echo "report: ok"
