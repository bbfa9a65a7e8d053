#!/usr/bin/env bash
# cosim_stream.sh: `saccade cosim` and the runtime's RTL backend against a
# fake RTL executable, in every build (no Verilator needed).
#
# The fake is a shell script that prints a prepared stream and exits with a
# chosen status, so each case controls exactly what "the RTL" says.  The
# prepared streams start from the C simulator's own results in the stream
# format (`saccade cosim --expected`): played back unchanged they must give
# "identical"; with one spike moved by a cycle or a step, a logit, a counter
# or the cycle count changed, cosim must exit 1 and name the difference
# (the divergence at the right cycle, PE and neuron).  Then the stream
# parser's error cases, each a located message and exit 1: truncated
# streams, garbage lines, bad numbers, out-of-range, duplicated and
# out-of-order records, another target, a missing count, data after
# `end`, an overlong line, a NUL byte, the child exiting 1 or 2 or killed by
# a signal, a hang (--timeout), the executable missing or not executable,
# and the lookup's message listing where it looked.  Finally the RTL
# backend of `saccade sim` (and of the Python binding) played back from
# the fake gives the simulator's outputs, counts and energy.
#
# This tests the plumbing and the comparison, not the RTL:
# tests/rtl_cosim.sh runs the real Verilated chip.
set -u
SACCADE=${SACCADE:-${abs_top_builddir:-.}/saccade}
SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sac_cosim_stream.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, condition result
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); echo "FAIL $1"; fi
}
# expect NAME STATUS REGEX cmd...: exit status and a stderr match.
expect() {
	local name=$1 want=$2 re=$3; shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" = "$want" ] && grep -qE -- "$re" "$tmp/err"; then check "$name" 0
	else check "$name (exit $rc, stderr: $(head -c 400 "$tmp/err"))" 1; fi
}
# expect_out NAME STATUS REGEX cmd...: exit status and a stdout match.
expect_out() {
	local name=$1 want=$2 re=$3; shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" = "$want" ] && grep -qE -- "$re" "$tmp/out"; then check "$name" 0
	else check "$name (exit $rc, stdout: $(head -c 600 "$tmp/out"), stderr: $(head -c 300 "$tmp/err"))" 1; fi
}

"$SACCADE" zoo tnas-er --genome 3s --input 4x16x16 --seed 3 --calib-count 4 \
	-o "$tmp/zoo" >/dev/null &&
"$SACCADE" compile "$tmp/zoo/model.yaml" --weights "$tmp/zoo/weights.npz" \
	--target "$SRC/examples/targets/tiny.yaml" -o "$tmp/net.sac" >/dev/null
check "zoo + compile for tiny.yaml" $?
net=$tmp/net.sac x=$tmp/zoo/sample.npy

# The fake RTL: FAKE_STREAM to stdout, then exit FAKE_EXIT; FAKE_MODE
# 'hang' sleeps, 'signal' dies of SIGKILL after three lines.
fake=$tmp/bin/saccade-rtl-tiny
mkdir -p "$tmp/bin" "$tmp/empty"
cat >"$fake" <<'EOF'
#!/bin/sh
[ -n "${FAKE_ARGS:-}" ] && printf '%s\n' "$*" >"$FAKE_ARGS"
case "${FAKE_MODE:-cat}" in
hang) exec sleep 60 ;;
signal) head -n 3 "$FAKE_STREAM"; kill -9 $$ ;;
*) cat "$FAKE_STREAM" ;;
esac
exit "${FAKE_EXIT:-0}"
EOF
chmod +x "$fake"
export FAKE_STREAM=$tmp/good.txt FAKE_EXIT=0 FAKE_MODE=cat
: >"$tmp/good.txt"

# --- help, lookup --------------------------------------------------------------
"$SACCADE" cosim --help | grep -q "DIVERGENCE at cycle"
check "cosim --help documents the divergence report" $?
"$SACCADE" help | grep -q "cosim"
check "cosim is listed in saccade help" $?
expect "lookup: lists \$SACCADE_RTL_DIR and the installed path" 1 \
	"no RTL executable for target 'tiny': looked for $tmp/empty/saccade-rtl-tiny \(\\\$SACCADE_RTL_DIR\), .*saccade-rtl-tiny \(installed\)" \
	env SACCADE_RTL_DIR="$tmp/empty" "$SACCADE" cosim "$net" --input "$x"
expect "--rtl missing file" 1 "RTL executable $tmp/nothing: No such file" \
	"$SACCADE" cosim "$net" --input "$x" --rtl "$tmp/nothing"
expect "--rtl not executable" 1 "not an executable file" \
	"$SACCADE" cosim "$net" --input "$x" --rtl "$tmp/zoo/model.yaml"
expect "usage: no --input" 2 "missing --input" "$SACCADE" cosim "$net" --rtl "$fake"
expect "usage: bad --max-cycles" 2 "--max-cycles" \
	"$SACCADE" cosim "$net" --input "$x" --max-cycles 0
expect "bad input index" 1 "index" "$SACCADE" cosim "$net" --input "$x" --index 99 --rtl "$fake"

# --- the C simulator's own stream played back ------------------------------------
# The first run fails (the fake prints nothing) but writes --expected.
"$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake" --expected "$tmp/good.txt" \
	>/dev/null 2>&1
[ -s "$tmp/good.txt" ] && head -n 1 "$tmp/good.txt" | grep -qx "saccade-rtl 1 tiny 4x4" &&
	tail -n 1 "$tmp/good.txt" | grep -qx end
check "--expected writes the simulator's results as a stream" $?
expect_out "played back: identical" 0 \
	"^identical: [0-9]+ spikes, 7 logits, 304 PE counters, [0-9]+ cycles; RTL .* cycles/s, C sim .* cycles/s" \
	env FAKE_ARGS="$tmp/args" "$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake" \
	--max-cycles 123456789 --trace "$tmp/t.vcd" --json "$tmp/r.json"
grep -qx -- "$net --input $x --index 2 --trace $tmp/t.vcd --max-cycles 123456789 --quiet" "$tmp/args"
check "the executable gets image, --input, --index, --trace, --max-cycles, --quiet (args: $(cat "$tmp/args"))" $?
"$PY" - "$tmp/r.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["identical"] is True and r["target"] == "tiny"
assert r["spikes"]["expected"] == r["spikes"]["got"] > 0
assert r["logit_differences"] == [] and r["counter_differences"] == []
assert r["cycles"]["expected"] == r["cycles"]["got"] > 0
PYEOF
check "--json: identical, counts, no differences" $?
expect_out "SACCADE_RTL_DIR lookup finds saccade-rtl-tiny" 0 "^RTL \($tmp/bin/saccade-rtl-tiny\)" \
	env SACCADE_RTL_DIR="$tmp/bin" "$SACCADE" cosim "$net" --input "$x" --index 2

# --- changed streams: each difference found and described ----------------------------
# mutate KIND OUT: the good stream with one change; prints what changed.
mutate() {
	"$PY" - "$tmp/good.txt" "$2" "$1" <<'PYEOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
out, kind = sys.argv[2], sys.argv[3]
sp = [i for i, l in enumerate(lines) if l.startswith("spike ")]
def f(i): return lines[i].split()
if kind == "cycle":
    # A spike in the middle moved one cycle later, keeping the order.
    for i in sp[len(sp) // 2:]:
        a = f(i)
        nxt = f(i + 1) if i + 1 in sp else None
        if nxt is None or int(nxt[4]) > int(a[4]) + 1 or (int(nxt[4]) == int(a[4]) + 1 and int(nxt[1]) > int(a[1])):
            print(a[4], a[1], a[2], int(a[4]) + 1)
            a[4] = str(int(a[4]) + 1); lines[i] = " ".join(a); break
elif kind == "step":
    i = sp[len(sp) // 3]; a = f(i)
    print(a[4], a[1], a[2], a[3], int(a[3]) - 1)
    a[3] = str(int(a[3]) - 1); lines[i] = " ".join(a)
elif kind == "drop":
    i = sp[len(sp) // 4]; a = f(i)
    print(a[4], a[1], a[2], a[3]); del lines[i]
elif kind == "logit":
    i = [i for i, l in enumerate(lines) if l.startswith("logit 3 ")][0]; a = f(i)
    print(a[2]); a[2] = str(int(a[2]) + 5); lines[i] = " ".join(a)
elif kind == "count":
    i = [i for i, l in enumerate(lines) if " weight_reads " in l][1]; a = f(i)
    print(a[1], a[3]); a[3] = str(int(a[3]) + 1); lines[i] = " ".join(a)
elif kind == "cycles":
    i = lines.index([l for l in lines if l.startswith("cycles ")][0]); a = f(i)
    print(a[1]); a[1] = str(int(a[1]) + 7); lines[i] = " ".join(a)
open(out, "w").write("\n".join(lines))
PYEOF
}
read -r cy pe nr ncy < <(mutate cycle "$tmp/m_cycle.txt")
expect_out "a spike one cycle late: DIVERGENCE at its cycle" 1 \
	"^DIVERGENCE at cycle $cy: PE $pe \(layer [^,]+, node \([0-9]+,[0-9]+\)\)" \
	env FAKE_STREAM="$tmp/m_cycle.txt" "$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake"
grep -qE "^  expected \(C simulator\): spike of neuron $nr \(c [0-9]+, y [0-9]+, x [0-9]+\) at step" "$tmp/out" &&
	grep -qE "^  got \(RTL\): +no spike \(the RTL fires that neuron at cycle $ncy," "$tmp/out"
check "  ... expected the neuron's spike, got none (fired at cycle $ncy)" $?
grep -q "diverges from the C simulator at cycle $cy" "$tmp/err"
check "  ... stderr names the cycle" $?
read -r cy pe nr st nst < <(mutate step "$tmp/m_step.txt")
expect_out "a spike with another step: both sides at the same cycle" 1 \
	"^DIVERGENCE at cycle $cy: PE $pe " \
	env FAKE_STREAM="$tmp/m_step.txt" "$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake"
grep -qE "^  expected \(C simulator\): spike of neuron $nr .* at step $st$" "$tmp/out" &&
	grep -qE "^  got \(RTL\): +spike of neuron $nr .* at step $nst$" "$tmp/out"
check "  ... step $st expected, $nst got" $?
read -r cy pe nr st < <(mutate drop "$tmp/m_drop.txt")
expect_out "a missing spike: the RTL never fires it" 1 \
	"^  got \(RTL\): +no spike \(the RTL never fires that neuron\)" \
	env FAKE_STREAM="$tmp/m_drop.txt" "$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake"
grep -q "^DIVERGENCE at cycle $cy: PE $pe " "$tmp/out"
check "  ... at its cycle $cy, PE $pe" $?
read -r lv < <(mutate logit "$tmp/m_logit.txt")
expect_out "a logit changed" 1 "^  logit 3: expected $lv, got $((lv + 5))$" \
	env FAKE_STREAM="$tmp/m_logit.txt" "$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake"
grep -q "same spikes, but 1 other difference" "$tmp/err"
check "  ... same spikes, one other difference" $?
read -r cpe cv < <(mutate count "$tmp/m_count.txt")
expect_out "a PE counter changed" 1 "^  PE $cpe \(layer .*\) weight_reads: expected $cv, got $((cv + 1))$" \
	env FAKE_STREAM="$tmp/m_count.txt" "$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake"
read -r cv < <(mutate cycles "$tmp/m_cycles.txt")
expect_out "the cycle count changed" 1 "^cycles: expected $cv, got $((cv + 7))$" \
	env FAKE_STREAM="$tmp/m_cycles.txt" "$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake" \
	--json "$tmp/r2.json"
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["identical"] is False and r["cycles"]["got"] == r["cycles"]["expected"] + 7' "$tmp/r2.json"
check "  ... --json says not identical" $?

# --- stream errors ----------------------------------------------------------------
g=$tmp/good.txt
n=$(wc -l <"$g")
# bad NAME REGEX FILE: cosim on FILE exits 1 with the message.
bad() {
	expect "stream: $1" 1 "$2" env FAKE_STREAM="$3" \
		"$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake"
}
head -n $((n - 1)) "$g" >"$tmp/s1"
bad "no end record" "rtl stream line $n: truncated stream: no 'end' record after $((n - 1)) lines" "$tmp/s1"
head -n 100 "$g" >"$tmp/s2"
bad "cut after 100 lines" "rtl stream line 101: truncated stream" "$tmp/s2"
head -c -3 "$g" >"$tmp/s3"
bad "last line without newline" "rtl stream line $n: truncated stream: the last line has no newline" "$tmp/s3"
: >"$tmp/s4"
bad "empty" "rtl stream line 1: empty stream" "$tmp/s4"
sed '3i hello world' "$g" >"$tmp/s5"
bad "garbage line" "rtl stream line 3: unknown record 'hello'" "$tmp/s5"
sed '3s/^spike \([0-9]*\) [0-9]*/spike \1 x7/' "$g" >"$tmp/s6"
bad "not a number" "rtl stream line 3: spike: neuron: expected a number, got 'x7'" "$tmp/s6"
sed '3s/^spike [0-9]*/spike 99/' "$g" >"$tmp/s7"
bad "PE out of range" "rtl stream line 3: spike: PE = 99 is out of range \[0, 15\]" "$tmp/s7"
sed '3s/^spike \([0-9]*\) [0-9]*/spike \1 100000/' "$g" >"$tmp/s8"
bad "neuron out of range" "rtl stream line 3: spike: neuron = 100000 is out of range" "$tmp/s8"
sed '3s/^spike \([0-9]* [0-9]*\) [0-9]*/spike \1 80/' "$g" >"$tmp/s9"
bad "step out of range" "rtl stream line 3: spike: step = 80 is out of range \[0, 79\]" "$tmp/s9"
sed '3p' "$g" >"$tmp/s10"
bad "a neuron spiking twice" "rtl stream line 4: spike: PE [0-9]+ neuron [0-9]+ spikes a second time" "$tmp/s10"
"$PY" - "$g" "$tmp/s11" <<'PYEOF'
import sys
L = open(sys.argv[1]).read().split("\n")
i = [k for k, l in enumerate(L) if l.startswith("spike ") and int(l.split()[4]) > 0][0]
L[i], L[i + 1] = L[i + 1], L[i]  # two spikes swapped: cycle order broken
L.insert(0, "")  # so the line number is known: i + 2 is the later one
open(sys.argv[2], "w").write("\n".join(L[1:]))
PYEOF
bad "spikes out of cycle order" "spike: out of order: cycle [0-9]+ PE [0-9]+ after cycle" "$tmp/s11"
sed '1s/tiny 4x4/yoso 16x16/' "$g" >"$tmp/s12"
bad "another target" "rtl stream line 1: the executable simulates target 'yoso' \(16x16\); the image is for 'tiny' \(4x4\)" "$tmp/s12"
sed '1s/saccade-rtl 1/saccade-rtl 2/' "$g" >"$tmp/s13"
bad "another stream version" "rtl stream line 1: stream version 2; this saccade reads version 1" "$tmp/s13"
sed '1d' "$g" >"$tmp/s14"
bad "no header" "rtl stream line 1: expected the header" "$tmp/s14"
grep -v '^count 3 divides ' "$g" >"$tmp/s15"
bad "a missing count" "no count of PE 3 divides before 'end'" "$tmp/s15"
grep -v '^logit 6 ' "$g" >"$tmp/s16"
bad "a missing logit" "no logit 6 before 'end'" "$tmp/s16"
grep -v '^steps ' "$g" >"$tmp/s17"
bad "no steps record" "no 'steps' record before 'end'" "$tmp/s17"
{ cat "$g"; echo "cycles 5"; } >"$tmp/s18"
bad "data after end" "rtl stream line $((n + 1)): data after 'end'" "$tmp/s18"
sed 's/^logit 2 .*/&\n&/' "$g" >"$tmp/s19"
bad "a logit twice" "logit 2 given twice" "$tmp/s19"
sed 's/^count 0 adds .*/count 0 additions 5/' "$g" >"$tmp/s20"
bad "an unknown counter" "count: unknown field 'additions'" "$tmp/s20"
sed '3s/ / \t/' "$g" >"$tmp/s21"
bad "a tab" "rtl stream line 3: malformed line" "$tmp/s21"
sed '3s/$/\r/' "$g" >"$tmp/s22"
bad "a CR" "rtl stream line 3: malformed line" "$tmp/s22"
{ head -n 2 "$g"; printf 'spike %05000d\n' 1; tail -n +3 "$g"; } >"$tmp/s23"
bad "an overlong line" "rtl stream line 3: line longer than 4096 bytes" "$tmp/s23"
{ head -n 2 "$g"; printf 'spike 1\0002 0 0\n'; tail -n +3 "$g"; } >"$tmp/s24"
bad "a NUL byte" "rtl stream line 3: NUL byte" "$tmp/s24"
sed '3s/$/ 9/' "$g" >"$tmp/s25"
bad "a field too many" "rtl stream line 3: spike: expected 'spike <pe> <neuron> <step> <cycle>', got 6 fields" "$tmp/s25"
sed 's/^count 1 link [0-9]*/count 1 link -4/' "$g" >"$tmp/s26"
bad "a negative counter" "count: value = -4 is out of range" "$tmp/s26"
sed 's/^cycles [0-9]*/cycles 99999999999999999999/' "$g" >"$tmp/s27"
bad "a number beyond int64" "cycles = 99999999999999999999 is out of range" "$tmp/s27"

# The child's own failures.
expect "child exits 2 (internal failure)" 1 "saccade-rtl-tiny: exited with status 2 \(an internal failure of the RTL simulation" \
	env FAKE_STREAM="$tmp/s2" FAKE_EXIT=2 "$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake"
expect "child exits 1 (refused)" 1 "exited with status 1 \(it refused the image or the input" \
	env FAKE_STREAM="$tmp/s4" FAKE_EXIT=1 "$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake"
expect "child exits 1 after a complete stream" 1 "exited with status 1" \
	env FAKE_EXIT=1 "$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake"
expect "child killed by a signal" 1 "saccade-rtl-tiny: killed by signal 9 after 3 lines" \
	env FAKE_MODE=signal "$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake"
t0=$(date +%s)
expect "a hanging child is killed (--timeout 1)" 1 "no result after 1 s: killed" \
	env FAKE_MODE=hang "$SACCADE" cosim "$net" --input "$x" --index 2 --rtl "$fake" --timeout 1
[ $(( $(date +%s) - t0 )) -le 5 ]
check "  ... within a few seconds" $?

# PEs without a region: their routers carry traffic between other PEs.
# A stream with their router counts is compared in full; one without them
# still compares (cosim says what it could not), but the RTL backend will
# not report an energy that leaves them out.
"$SACCADE" zoo tnas-er --genome ss-ss --input 4x16x16 --seed 4 --calib-count 4 \
	-o "$tmp/zoo2" >/dev/null &&
"$SACCADE" compile "$tmp/zoo2/model.yaml" --weights "$tmp/zoo2/weights.npz" \
	--target "$SRC/examples/targets/tiny.yaml" -o "$tmp/net2.sac" >/dev/null
check "ss-ss on tiny.yaml: 7 of 16 PEs" $?
x2=$tmp/zoo2/sample.npy
"$SACCADE" cosim "$tmp/net2.sac" --input "$x2" --rtl "$fake" --expected "$tmp/good2.txt" \
	>/dev/null 2>&1
used=$("$PY" -c 'import sys; print(" ".join(sorted({l.split()[1] for l in open(sys.argv[1]) if l.startswith("count ") and l.split()[2] == "adds"})))' "$tmp/good2.txt")
transit=$(awk -v used=" $used " '$1 == "count" && $3 == "router_xbar" && $4 > 0 && index(used, " " $2 " ") == 0 {print $2}' "$tmp/good2.txt" | head -n 1)
[ -n "$transit" ]
check "an unused PE's router carries traffic (PE ${transit:-none})" $?
expect_out "all routers reported: identical" 0 "^identical: .* [0-9]+ PE counters" \
	env FAKE_STREAM="$tmp/good2.txt" "$SACCADE" cosim "$tmp/net2.sac" --input "$x2" --rtl "$fake"
sed "s/^\(count $transit router_xbar\) \([0-9]*\)/\1 999999/" "$tmp/good2.txt" >"$tmp/m_transit.txt"
expect_out "a transit router's count changed: found" 1 "^  PE $transit \(layer -, node .*\) router_xbar: expected [0-9]+, got 999999" \
	env FAKE_STREAM="$tmp/m_transit.txt" "$SACCADE" cosim "$tmp/net2.sac" --input "$x2" --rtl "$fake"
awk -v used=" $used " '!($1 == "count" && index(used, " " $2 " ") == 0)' "$tmp/good2.txt" >"$tmp/norouters.txt"
expect_out "unused PEs' routers not reported: identical, with a note" 0 \
	"^note: the RTL reported no router counts of 9 PEs without a region" \
	env FAKE_STREAM="$tmp/norouters.txt" "$SACCADE" cosim "$tmp/net2.sac" --input "$x2" --rtl "$fake"
expect "  ... and the RTL backend refuses an incomplete energy" 1 \
	"the RTL reported no router counts of PE [0-9]+ \(it holds no region" \
	env FAKE_STREAM="$tmp/norouters.txt" "$SACCADE" sim "$tmp/net2.sac" --input "$x2" \
	--backend rtl --rtl "$fake"

# An image whose sram section was changed alone (CRCs fixed) is refused
# before anything runs: the loader checks the sections against each other.
"$PY" "$SRC/tests/image_edit.py" "$net" "$tmp/sram.sac" --node stem.0.conv --channel 1 \
	--index 2 --delta 50 --sram-only >/dev/null
check "image_edit --sram-only writes an image" $?
expect "an image with one weight changed in its sram section only: refused" 1 \
	"section 'sram' does not match the model and the map" \
	"$SACCADE" cosim "$tmp/sram.sac" --input "$x" --rtl "$fake"

# --- the runtime's RTL backend ------------------------------------------------------
"$SACCADE" sim "$net" --input "$x" --index 2 --report "$tmp/sim.json" >/dev/null
check "sim --backend sim" $?
expect_out "sim --backend rtl (played back)" 0 "RTL: $fake" \
	env SACCADE_RTL_DIR="$tmp/bin" "$SACCADE" sim "$net" --input "$x" --index 2 --backend rtl \
	--check --report "$tmp/rtl.json"
grep -q "simulator vs ref-int: identical" "$tmp/out"
check "  ... --check: the RTL backend's result equals ref-int" $?
"$PY" - "$tmp/sim.json" "$tmp/rtl.json" <<'PYEOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in ("class", "logits", "int_logits", "latency", "activity", "energy_mj", "pes"):
    assert a[k] == b[k], k
for la, lb in zip(a["layers"], b["layers"]):
    assert lb["cycles"] == -1
    for k in ("name", "pes", "energy_mj", "by_component"):
        assert la[k] == lb[k], (la["name"], k)
PYEOF
check "  ... the same class, logits, latency, activity, energy and per-PE counts as sim" $?
expect "sim --backend rtl: a bad stream fails located" 1 "rtl stream line 3: unknown record" \
	env SACCADE_RTL_DIR="$tmp/bin" FAKE_STREAM="$tmp/s5" "$SACCADE" sim "$net" --input "$x" --index 2 --backend rtl
expect "sim --backend rtl without an executable: unsupported, located" 1 \
	"backend 'rtl': no RTL executable for target 'tiny': looked for $tmp/empty/saccade-rtl-tiny" \
	env SACCADE_RTL_DIR="$tmp/empty" "$SACCADE" sim "$net" --input "$x" --backend rtl
expect "run --backend rtl --rtl missing" 1 "backend 'rtl': RTL executable $tmp/nothing" \
	"$SACCADE" run "$net" --manifest "$tmp/m.csv" --backend rtl --rtl "$tmp/nothing"
expect "run --backend foo" 2 "--backend wants sim or rtl" \
	"$SACCADE" run "$net" --manifest "$tmp/m.csv" --backend foo
ls "${TMPDIR:-/tmp}"/saccade-rtl-in.* >/dev/null 2>&1
check "no temporary input file left behind" $(( $? == 0 ))
lib=${abs_top_builddir:-.}/.libs/libsaccade.so
if "$PY" -c 'import numpy' 2>/dev/null && [ -f "$lib" ]; then
	# A sanitizer build's library needs the ASan runtime loaded first (as
	# in tests/python_binding.sh); Python itself leaks by design.
	asan=$(ldd "$lib" 2>/dev/null | awk '/libasan/ { print $3 }')
	env SACCADE_LIB=$lib PYTHONPATH=$SRC/python ${asan:+LD_PRELOAD=$asan ASAN_OPTIONS=detect_leaks=0} \
	"$PY" - "$net" "$x" "$fake" <<'PYEOF'
import sys, numpy as np, saccade
net, x, fake = sys.argv[1:]
x = np.load(x)[2]
a = saccade.Runtime(net); a.set_input(x).run()
b = saccade.Runtime(net, backend="rtl", rtl=fake); b.set_input(x).run()
assert a.logits.tolist() == b.logits.tolist() and a.cls == b.cls
assert a.latency_ms == b.latency_ms and a.energy_mj == b.energy_mj
for n in ("input", "stem.0.conv"):
    assert (a.spikes(n) == b.spikes(n)).all()
try:
    saccade.Runtime(net, backend="rtl", rtl=fake + ".nope")
    raise SystemExit("no error")
except saccade.Error as e:
    assert e.code == saccade.ERR_UNSUPPORTED, e
PYEOF
	check "Python: Runtime(backend='rtl', rtl=...) equals the simulator" $?
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
