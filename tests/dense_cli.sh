#!/usr/bin/env bash
# dense_cli.sh: the MCO-E head through the command line.  `saccade zoo
# mco-e --small`, `saccade compile DIR` and `saccade sim IMAGE` run end to
# end; the simulator's logits equal `saccade dense-ref --mode int` on every
# sample (both print 4 decimals of the same integers times the same
# scale); the report has latency, energy by component and by block; a TTFS
# image still goes the TTFS way; a truncated or corrupt dense image and a
# target the head does not fit give located errors.
set -u
SACCADE=${SACCADE:-${abs_top_builddir:-.}/saccade}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sac_dense_cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, condition result
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); echo "FAIL $1"; fi
}
expect() { # NAME STATUS REGEX cmd...: exit status and a stderr match
	local name=$1 want=$2 re=$3; shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" = "$want" ] && grep -qE -- "$re" "$tmp/err"; then check "$name" 0
	else check "$name (exit $rc, stderr: $(head -c 300 "$tmp/err"))" 1; fi
}

"$SACCADE" zoo mco-e --small --samples 4 -o "$tmp/m" >/dev/null
check "zoo mco-e --small" $?
"$SACCADE" zoo mco-e --small --samples 4 --random-readout -o "$tmp/mr" | grep -q "random classifiers" &&
	! cmp -s "$tmp/m/weights.npz" "$tmp/mr/weights.npz" && cmp -s "$tmp/m/sample.npy" "$tmp/mr/sample.npy"
check "zoo mco-e --random-readout: other classifiers, the same inputs" $?
"$SACCADE" compile "$tmp/m" -o "$tmp/m.sac" >"$tmp/c.out"
check "compile DIR" $?
grep -q "phases" "$tmp/c.out"
check "compile reports phases and instructions" $?
"$SACCADE" compile "$tmp/m/mcoe.yaml" -o "$tmp/m2.sac" >/dev/null && cmp -s "$tmp/m.sac" "$tmp/m2.sac"
check "compile DIR/mcoe.yaml gives the same image" $?

same=0
for i in 0 1 2 3; do
	"$SACCADE" sim "$tmp/m.sac" --input "$tmp/m/sample.npy" --index $i >"$tmp/s$i" || same=1
	"$SACCADE" dense-ref "$tmp/m" --mode int --index $i >"$tmp/r$i" || same=1
	# dense-ref: "  int   class C  logits a b c ..."; sim: "logits: a b c ..."
	ref=$(awk '$1 == "int" {for (k = 5; k <= NF && $k != "experts"; k++) printf "%.4f ", $k}' "$tmp/r$i")
	sim=$(awk '$1 == "logits:" {for (k = 2; k <= NF; k++) printf "%.4f ", $k}' "$tmp/s$i")
	if [ -z "$ref" ] || [ "$ref" != "$sim" ]; then
		echo "  input $i: sim [$sim] ref [$ref]"
		same=1
	fi
done
check "sim logits == dense-ref --mode int on 4 inputs" $same

"$SACCADE" sim "$tmp/m.sac" --input "$tmp/m/sample.npy" --report "$tmp/r.json" >"$tmp/s.out"
check "sim --report" $?
miss=0
for w in '"kind":[[:space:]]*"dense"' '"latency"' '"by_component"' '"blocks"' '"mamba"' '"mcib"' '"router"' '"experts"' '"dram"'; do
	grep -qE "$w" "$tmp/r.json" || { echo "  report lacks $w"; miss=1; }
done
check "report: latency, energy by component and by block" $miss
grep -qE "^latency: [0-9]+ cycles" "$tmp/s.out" && grep -q "^by block" "$tmp/s.out"
check "sim prints latency and blocks" $?
"$SACCADE" sim "$tmp/m.sac" --input "$tmp/m/sample.npy" >"$tmp/s2.out"
diff <(grep -v "^simulator:" "$tmp/s.out") <(grep -v "^simulator:" "$tmp/s2.out") >/dev/null
check "sim is deterministic" $?
grep -qE "^  NoC timing: flit-level \(the analytic estimate says [0-9]+ cycles" "$tmp/s.out" &&
grep -qE '"noc":[[:space:]]*"flit"' "$tmp/r.json"
check "sim: flit-level NoC by default, the analytic estimate beside it" $?
# --noc analytic: the same logits and energy but the leakage, the
# estimate's latency (the one the flit-level run printed).
"$SACCADE" sim "$tmp/m.sac" --input "$tmp/m/sample.npy" --noc analytic >"$tmp/sa.out"
est=$(sed -n 's/^  NoC timing: flit-level (the analytic estimate says \([0-9]*\) cycles.*/\1/p' "$tmp/s.out")
[ -n "$est" ] && grep -q "^latency: $est cycles" "$tmp/sa.out" &&
[ "$(grep '^logits:' "$tmp/s.out")" = "$(grep '^logits:' "$tmp/sa.out")" ] &&
grep -q "the analytic estimate (--noc analytic)" "$tmp/sa.out"
check "sim --noc analytic: the estimate, the same logits" $?

# The int16 mode: the same on the chip as in dense-ref.
"$SACCADE" compile "$tmp/m" --weight-bits 16 --act-bits 16 -o "$tmp/m16.sac" >/dev/null &&
"$SACCADE" sim "$tmp/m16.sac" --input "$tmp/m/sample.npy" --index 1 >"$tmp/s16" &&
"$SACCADE" dense-ref "$tmp/m" --mode int --index 1 --weight-bits 16 --act-bits 16 >"$tmp/r16"
ref=$(awk '$1 == "int" {for (k = 5; k <= NF && $k != "experts"; k++) printf "%.4f ", $k}' "$tmp/r16")
sim=$(awk '$1 == "logits:" {for (k = 2; k <= NF; k++) printf "%.4f ", $k}' "$tmp/s16")
[ -n "$ref" ] && [ "$ref" = "$sim" ]
check "int16 mode: sim logits == dense-ref --weight-bits 16 --act-bits 16" $?
expect "--weight-bits on a TTFS model" 2 "for MCO-E directories" \
	"$SACCADE" compile "$tmp/m/none.yaml" --weight-bits 16 -o "$tmp/x.sac"

# Errors, each located.
head -c 3000 "$tmp/m.sac" >"$tmp/trunc.sac"
expect "truncated dense image" 1 "trunc\.sac: " "$SACCADE" sim "$tmp/trunc.sac" --input "$tmp/m/sample.npy"
cp "$tmp/m.sac" "$tmp/bad.sac"
size=$(wc -c <"$tmp/m.sac")
printf '\x5a' | dd of="$tmp/bad.sac" bs=1 seek=$((size - 5)) conv=notrunc 2>/dev/null
expect "corrupt dense image" 1 "bad\.sac: .*(CRC|corrupt)" "$SACCADE" sim "$tmp/bad.sac" --input "$tmp/m/sample.npy"
cat >"$tmp/tiny.yaml" <<'Y'
saccade-target: 1
name: pico
mesh: [2, 2]
pe: {neurons: 64, weight_kib: 1}
Y
expect "head does not fit a tiny target" 1 "node '[^']+'.*(needs|holds)" \
	"$SACCADE" compile "$tmp/m" --target "$tmp/tiny.yaml" -o "$tmp/no.sac"
expect "dense sim: --check refused" 2 "not available for dense images" \
	"$SACCADE" sim "$tmp/m.sac" --input "$tmp/m/sample.npy" --check
expect "dense sim: --noc wants flit or analytic" 2 "--noc wants flit or analytic, got fast" \
	"$SACCADE" sim "$tmp/m.sac" --input "$tmp/m/sample.npy" --noc fast
expect "dense sim: input not an .npy" 1 "mcoe\.yaml: not a \.npy file" \
	"$SACCADE" sim "$tmp/m.sac" --input "$tmp/m/mcoe.yaml"
# A NaN as the last value of the samples (float32, little-endian).
cp "$tmp/m/sample.npy" "$tmp/nan.npy"
size=$(wc -c <"$tmp/nan.npy")
printf '\x00\x00\xc0\x7f' | dd of="$tmp/nan.npy" bs=1 seek=$((size - 4)) conv=notrunc 2>/dev/null
expect "dense sim: a NaN input" 1 "nan\.npy: value [0-9]+ is not finite" \
	"$SACCADE" sim "$tmp/m.sac" --input "$tmp/nan.npy"
expect "dense-ref: a NaN input" 1 "nan\.npy: value [0-9]+ is not finite" \
	"$SACCADE" dense-ref "$tmp/m" --input "$tmp/nan.npy"
# The tail factor of the int16 ranges (docs/MCOE.md "Headroom").
"$SACCADE" dense-ref "$tmp/m" --mode int --index 0 --tail 1.5 | grep -q "tail z 1.5,"
check "dense-ref --tail 1.5 reported" $?
expect "dense-ref: --tail out of range" 2 "--tail wants a number in 0\.\.8, got '9'" \
	"$SACCADE" dense-ref "$tmp/m" --tail 9
expect "dense-ref: --tail not a number" 2 "--tail wants a number in 0\.\.8, got '1x'" \
	"$SACCADE" dense-ref "$tmp/m" --tail 1x

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
