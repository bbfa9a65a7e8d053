#!/usr/bin/env bash
# runtime_cli.sh: labelled sets and batch evaluation through the command
# line.  `saccade events synth-set` writes 28 streams and a manifest,
# deterministically; `saccade run` on a small image prints the papers'
# table, identically for --jobs 1 and 2 (stdout and JSON report); the
# report's WAR and UAR follow from its own per-sample results; one sample
# framed and simulated by hand gives the class and cycles the batch run
# reported; manifests with short names and sub-directories work; bad
# manifests, files and options fail with the documented status and a
# message naming file:line.
set -u
SACCADE=${SACCADE:-${abs_top_builddir:-.}/saccade}
SRC=${abs_top_srcdir:-.}
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sac_runtime_cli.XXXXXX")
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
	else check "$name (exit $rc, stderr: $(head -c 300 "$tmp/err"))" 1; fi
}

"$SACCADE" zoo tnas-er --genome 3s --input 4x16x16 --seed 3 --calib-count 4 \
	-o "$tmp/zoo" >/dev/null &&
"$SACCADE" compile "$tmp/zoo/model.yaml" --weights "$tmp/zoo/weights.npz" \
	--target "$SRC/examples/targets/tiny.yaml" -o "$tmp/net.sac" >/dev/null
check "zoo + compile for tiny.yaml" $?

# --- synth-set ---------------------------------------------------------------
"$SACCADE" events synth-set --count 1 --seed 7 --duration 0.42 -o "$tmp/set" >"$tmp/out"
check "synth-set exits 0" $?
grep -q "28 streams" "$tmp/out"
check "synth-set reports 28 streams" $?
n=$(ls "$tmp/set"/*.npy 2>/dev/null | wc -l)
[ "$n" = 28 ]
check "synth-set wrote 28 .npy files (got $n)" $?
head -n 1 "$tmp/set/manifest.csv" | grep -q '^path,emotion,lighting'
check "manifest header path,emotion,lighting" $?
[ "$(wc -l <"$tmp/set/manifest.csv")" = 29 ]
check "manifest: header + 28 lines" $?
for c in happiness sadness anger disgust surprise fear neutral; do
	for l in normal overexposure lowlight hdr; do
		grep -q "^${c}_${l}_000.npy,$c,$l," "$tmp/set/manifest.csv" || echo "missing $c $l"
	done
done >"$tmp/missing"
[ ! -s "$tmp/missing" ]
check "every emotion x lighting in the manifest" $?
"$SACCADE" events synth-set --count 1 --seed 7 --duration 0.42 -o "$tmp/set2" >/dev/null &&
	diff -r "$tmp/set" "$tmp/set2" >/dev/null
check "synth-set is deterministic" $?

# --- run -----------------------------------------------------------------------
"$SACCADE" run "$tmp/net.sac" --manifest "$tmp/set/manifest.csv" --jobs 1 \
	--report "$tmp/r1.json" >"$tmp/o1" 2>"$tmp/e1"
check "run --jobs 1 exits 0" $?
"$SACCADE" run "$tmp/net.sac" --manifest "$tmp/set/manifest.csv" --jobs 2 \
	--report "$tmp/r2.json" >"$tmp/o2" 2>"$tmp/e2"
check "run --jobs 2 exits 0" $?
cmp -s "$tmp/o1" "$tmp/o2" && cmp -s "$tmp/r1.json" "$tmp/r2.json"
check "--jobs 1 and --jobs 2: identical table and report" $?
ok=0
for w in WAR UAR Normal Overexposure Low-Light HDR Ha Sa An Di Su Fe Ne \
	'latency \(ms\)' 'energy \(mJ\)' '28 samples, 28 run, 0 failed'; do
	grep -qE "$w" "$tmp/o1" || { echo "table lacks $w"; ok=1; }
done
check "the table has every column of the papers' layout" $ok
[ ! -s "$tmp/e1" ]
check "no progress output when stderr is not a terminal" $?
"$PY" - "$tmp/r1.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
s, smp = r["summary"], r["samples"]
assert len(smp) == 28 and s["samples"] == 28 and s["failed"] == 0
right = sum(x["correct"] for x in smp)
assert abs(s["war"] - right / 28) < 1e-12, (s["war"], right)
rec = {}
for x in smp:
    assert x["correct"] == (x["predicted"] == x["emotion"])
    rec.setdefault(x["emotion"], []).append(x["correct"])
uar = sum(sum(v) / len(v) for v in rec.values()) / len(rec)
assert len(rec) == 7 and abs(s["uar"] - uar) < 1e-12, (s["uar"], uar)
for l, v in s["by_lighting"].items():
    xs = [x["correct"] for x in smp if x["lighting"] == l]
    assert v["samples"] == len(xs) == 7 and v["correct"] == sum(xs), l
ms = sorted(x["ms"] for x in smp)
assert abs(s["latency_ms"]["mean"] - sum(ms) / 28) < 1e-9
assert s["latency_ms"]["p95"] == ms[26]          # nearest rank: ceil(0.95 * 28) = 27th
mj = sorted(x["energy_mj"] for x in smp)
assert s["energy_mj"]["p95"] == mj[26]
assert all(x["cycles"] > 0 and x["energy_mj"] > 0 for x in smp)
PYEOF
check "report: WAR, UAR, lighting, mean and p95 follow from its samples" $?

# One sample by hand: frames + sim give what run reported.
f="$tmp/set/surprise_hdr_000.npy"
"$SACCADE" events frames "$f" --size 16x16 -o "$tmp/x.npy" >/dev/null &&
	"$SACCADE" sim "$tmp/net.sac" --input "$tmp/x.npy" --report "$tmp/s.json" --quiet >/dev/null
check "frames + sim on one sample" $?
"$PY" - "$tmp/r1.json" "$tmp/s.json" <<'PYEOF'
import json, sys
r, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
x = [x for x in r["samples"] if x["path"].endswith("surprise_hdr_000.npy")][0]
assert x["predicted"] == s["class_name"], (x, s["class_name"])
assert x["cycles"] == s["latency"]["cycles"]
assert abs(x["energy_mj"] - s["energy_mj"]["total"]) < 1e-12
PYEOF
check "run == events frames + sim for one sample (class, cycles, energy)" $?

# A user's manifest: other column order, short names, a sub-directory.
mkdir -p "$tmp/mine/lists"
cat >"$tmp/mine/lists/m.csv" <<EOF
# three of them
lighting,emotion,path,subject
low light,Ha,../../set/happiness_lowlight_000.npy,s1
HDR,Fe,../../set/fear_hdr_000.npy,s2
3,Ne,$tmp/set/neutral_hdr_000.npy,s3
EOF
"$SACCADE" run "$tmp/net.sac" --manifest "$tmp/mine/lists/m.csv" >"$tmp/o3" 2>&1
check "run on a user manifest (relative and absolute paths, short names)" $?
grep -q "3 samples, 3 run, 0 failed" "$tmp/o3"
check "user manifest: 3 samples run" $?

# --- errors --------------------------------------------------------------------
printf 'path,emotion,lighting\nx.npy,Ha,normal\ny.npy,happy,normal\n' >"$tmp/bad.csv"
expect "run: unknown emotion names file:line" 1 "bad\.csv:3: unknown emotion 'happy'" \
	"$SACCADE" run "$tmp/net.sac" --manifest "$tmp/bad.csv"
printf 'path,emotion,lighting\n%s,Ha,normal\nmissing.npy,Sa,hdr\n' \
	"$tmp/set/happiness_normal_000.npy" >"$tmp/miss.csv"
expect "run: a missing file names manifest:line, exit 1" 1 "miss\.csv:3: .*missing\.npy" \
	"$SACCADE" run "$tmp/net.sac" --manifest "$tmp/miss.csv" --report "$tmp/r3.json"
grep -q '"error"' "$tmp/r3.json" 2>/dev/null
check "run: the report records the failed sample" $?
grep -q "2 samples, 1 run, 1 failed" "$tmp/out"
check "run: the table counts the failed sample" $?
expect "run: framing of another size" 1 "expects \[4, 16, 16\]" \
	"$SACCADE" run "$tmp/net.sac" --manifest "$tmp/set/manifest.csv" --frames 3
expect "run: no manifest file" 1 "nothing\.csv: cannot open" \
	"$SACCADE" run "$tmp/net.sac" --manifest "$tmp/nothing.csv"
expect "run: --jobs 0" 2 "--jobs" \
	"$SACCADE" run "$tmp/net.sac" --manifest "$tmp/set/manifest.csv" --jobs 0
expect "run: missing --manifest" 2 "--manifest" "$SACCADE" run "$tmp/net.sac"
expect "run: not an image" 1 "not a Saccade image" \
	"$SACCADE" run "$tmp/set/manifest.csv" --manifest "$tmp/set/manifest.csv"
expect "synth-set: --count 0" 2 "--count" "$SACCADE" events synth-set --count 0 -o "$tmp/z"
expect "synth-set: no -o" 2 "-o DIR" "$SACCADE" events synth-set --count 1
expect "synth-set: unwritable directory" 1 "cannot create" \
	"$SACCADE" events synth-set -o /nonexistent/dir/set

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
