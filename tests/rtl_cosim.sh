#!/usr/bin/env bash
# rtl_cosim.sh: the Verilated chip (saccade-rtl-<target>, docs/RTL.md)
# against the C simulator, whole images: `saccade cosim` must say
# "identical" (every spike with its cycle, every logit, every PE counter,
# the cycle and step counts) for three small TNAS-ER networks x three
# inputs on the 2x2 target (tests/targets/micro.yaml) and on the 4x4 one
# (examples/targets/tiny.yaml).
#
# Then the comparison must fail where it should: an image with one weight
# changed byte by byte (tests/image_edit.py: the 'model' and 'sram'
# sections and their CRCs, so it is a valid image; one changed in the sram
# section alone is refused by every loader, see tests/cosim_stream.sh) is
# given to the RTL while the C simulator runs the original; cosim must exit 1 and report
# the first divergence at the cycle and PE where the C simulator's own
# runs of the two images first differ (and the RTL must agree with the C
# simulator on the changed image itself).  Finally the runtime's RTL
# backend (`saccade sim --backend rtl`, `saccade run --backend rtl`) gives
# the simulator's class, logits, latency, counts and energy, and both
# cosim and the backend write the RTL's waveforms with --trace.
#
# Needs the RTL executables `make` builds when configure found Verilator
# and SystemC (exit 77, skipped, without Verilator); looks for them in
# $SACCADE_RTL_DIR, default the build tree's rtl/.  Skipped in a sanitizer
# build: the Verilated model is not instrumented, so the run would repeat
# the plain build's (tests/cosim_stream.sh covers the plumbing there).
set -u
SACCADE=${SACCADE:-${abs_top_builddir:-.}/saccade}
SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
BLD=${abs_top_builddir:-.}
PY=${PYTHON:-/usr/bin/python3}
if [ -z "${VERILATOR:-}" ]; then
	echo "rtl_cosim: no Verilator (configure did not find it): skipped"
	exit 77
fi
case " ${RTL_BUILD_CFLAGS:-} " in *-fsanitize*)
	echo "rtl_cosim: sanitizer build: skipped (the plain build runs it)"
	exit 77 ;;
esac
export SACCADE_RTL_DIR=${SACCADE_RTL_DIR:-$BLD/rtl}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sac_rtl_cosim.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, condition result
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); echo "FAIL $1"; fi
}
start=$(date +%s)

# target name -> target file
declare -A tfile=([micro]="$SRC/tests/targets/micro.yaml" [tiny]="$SRC/examples/targets/tiny.yaml")
# target -> "genome:seed" networks (4x16x16 inputs)
declare -A nets=([micro]="ss:1 ss-ss:2 ss-ss-ss:3" [tiny]="ss-ss:4 ss-ss-ss:5 3s-ss:6")
inputs="0 3 6"

for t in micro tiny; do
	exe=$SACCADE_RTL_DIR/saccade-rtl-$t
	[ -x "$exe" ]
	check "RTL executable $exe built" $?
	[ -x "$exe" ] || continue
	for ns in ${nets[$t]}; do
		g=${ns%%:*} seed=${ns#*:}
		d=$tmp/$t-$g
		"$SACCADE" zoo tnas-er --genome "$g" --input 4x16x16 --seed "$seed" --calib-count 4 \
			-o "$d" >/dev/null &&
		"$SACCADE" compile "$d/model.yaml" --weights "$d/weights.npz" --target "${tfile[$t]}" \
			-o "$d/net.sac" >"$d/compile.log" 2>&1
		check "$g (seed $seed) compiled for $t: $(head -n 1 "$d/compile.log" | sed 's/.*: model //')" $?
		for i in $inputs; do
			"$SACCADE" cosim "$d/net.sac" --input "$d/sample.npy" --index "$i" --quiet \
				--json "$d/cosim$i.json" >"$d/cosim$i.out" 2>"$d/cosim$i.err"
			rc=$?
			[ $rc = 0 ] || { head -n 20 "$d/cosim$i.out"; head -n 5 "$d/cosim$i.err"; }
			check "cosim $t $g input $i: $(grep -E '^identical|^DIVERGENCE' "$d/cosim$i.out" | head -n 1 || true)" $rc
		done
	done
done

# --- a changed image: the divergence where the C simulator says ---------------------
t=tiny g=ss-ss d=$tmp/$t-$g exe=$SACCADE_RTL_DIR/saccade-rtl-$t
if [ -x "$exe" ] && [ -s "$d/net.sac" ]; then
	"$PY" "$SRC/tests/image_edit.py" "$d/net.sac" "$d/changed.sac" --node stem.0.conv \
		--channel 3 --index 5 --delta 60 >"$d/edit.out"
	check "image_edit: one weight of stem.0.conv changed ($(cat "$d/edit.out"): old new regions)" $?
	"$SACCADE" map "$d/changed.sac" >/dev/null
	check "  ... the changed image is valid" $?
	# The RTL on the changed image agrees with the C simulator on it.
	"$SACCADE" cosim "$d/changed.sac" --input "$d/sample.npy" --index 0 --quiet \
		--expected "$d/changed.txt" >"$d/c.out" 2>&1
	check "  ... cosim of the changed image itself: $(grep -E '^identical|^DIVERGENCE' "$d/c.out")" $?
	"$SACCADE" cosim "$d/net.sac" --input "$d/sample.npy" --index 0 --quiet \
		--expected "$d/orig.txt" >/dev/null 2>&1
	# Where the two C runs first differ: the first spike index where the
	# (cycle, PE)-ordered sequences part, at the smaller cycle there.
	read -r cyc pe < <("$PY" - "$d/orig.txt" "$d/changed.txt" <<'PYEOF'
import sys
def spikes(p):
    return [tuple(map(int, l.split()[1:])) for l in open(p) if l.startswith("spike ")]
a, b = spikes(sys.argv[1]), spikes(sys.argv[2])
i = 0
while i < len(a) and i < len(b) and a[i] == b[i]:
    i += 1
if i == len(a) and i == len(b):
    print("none none")
else:
    x = a[i] if i < len(a) else None
    y = b[i] if i < len(b) else None
    k = lambda s: (s[3], s[0])
    at = x if y is None or (x is not None and k(x) <= k(y)) else y
    print(at[3], at[0])
PYEOF
)
	[ "$cyc" != none ]
	check "  ... the change alters the spikes (first at cycle $cyc, PE $pe)" $?
	cat >"$d/rtl-changed" <<EOF
#!/bin/sh
# The RTL, but on the changed image: argument 1 is the image.
shift
exec "$exe" "$d/changed.sac" "\$@"
EOF
	chmod +x "$d/rtl-changed"
	"$SACCADE" cosim "$d/net.sac" --input "$d/sample.npy" --index 0 --quiet \
		--rtl "$d/rtl-changed" >"$d/div.out" 2>"$d/div.err"
	rc=$?
	sed -n '/^DIVERGENCE/,/matched before/p' "$d/div.out"
	[ $rc = 1 ]
	check "  ... cosim with the RTL on the changed image exits 1" $?
	grep -q "^DIVERGENCE at cycle $cyc: PE $pe (layer " "$d/div.out"
	check "  ... DIVERGENCE at cycle $cyc, PE $pe, as predicted" $?
	grep -q "diverges from the C simulator at cycle $cyc" "$d/div.err"
	check "  ... stderr names the cycle" $?
fi

# --- the runtime's RTL backend ------------------------------------------------------
t=micro g=ss-ss-ss d=$tmp/$t-$g
if [ -x "$SACCADE_RTL_DIR/saccade-rtl-$t" ] && [ -s "$d/net.sac" ]; then
	"$SACCADE" sim "$d/net.sac" --input "$d/sample.npy" --index 3 --report "$d/sim.json" \
		--quiet >/dev/null &&
	"$SACCADE" sim "$d/net.sac" --input "$d/sample.npy" --index 3 --report "$d/rtl.json" \
		--backend rtl --check --quiet >"$d/rtl.out"
	check "sim --backend rtl --check (RTL vs ref-int: $(grep -o 'identical.*' "$d/rtl.out"))" $?
	"$PY" - "$d/sim.json" "$d/rtl.json" <<'PYEOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in ("class", "logits", "int_logits", "latency", "activity", "energy_mj", "pes"):
    assert a[k] == b[k], k
for la, lb in zip(a["layers"], b["layers"]):
    for k in ("name", "pes", "energy_mj", "by_component"):
        assert la[k] == lb[k], (la["name"], k)
PYEOF
	check "  ... the simulator's class, logits, latency, activity, energy and per-PE counts" $?
	# Waveforms: cosim passes --trace on; the runtime hands its FILE over.
	"$SACCADE" cosim "$d/net.sac" --input "$d/sample.npy" --index 3 --quiet \
		--trace "$d/c.vcd" >/dev/null &&
		grep -q 'enddefinitions' "$d/c.vcd" && grep -q 'pe_0_0' "$d/c.vcd"
	check "cosim --trace: the RTL's VCD ($(wc -c <"$d/c.vcd") bytes)" $?
	"$SACCADE" sim "$d/net.sac" --input "$d/sample.npy" --index 3 --backend rtl \
		--trace "$d/s.vcd" --quiet >/dev/null && cmp -s "$d/c.vcd" "$d/s.vcd"
	check "sim --backend rtl --trace: the same VCD" $?
	"$SACCADE" events synth-set --count 1 --seed 9 --duration 0.42 -o "$tmp/set" >/dev/null
	{ head -n 1 "$tmp/set/manifest.csv"; sed -n '2p;10p;20p' "$tmp/set/manifest.csv"; } >"$tmp/set/m3.csv"
	"$SACCADE" run "$d/net.sac" --manifest "$tmp/set/m3.csv" --report "$d/run_sim.json" \
		--quiet >/dev/null &&
	"$SACCADE" run "$d/net.sac" --manifest "$tmp/set/m3.csv" --report "$d/run_rtl.json" \
		--backend rtl --jobs 2 --quiet >/dev/null &&
	cmp -s "$d/run_sim.json" "$d/run_rtl.json"
	check "run --backend rtl --jobs 2: the same report as the simulator (3 samples)" $?
fi

echo "rtl_cosim: $(( $(date +%s) - start ))s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
