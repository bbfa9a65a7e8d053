#!/bin/bash
# oracle.sh: `saccade ref --mode int` against an independent oracle.
#
# For several TNAS-ER genomes (all-skip, all-5x5, the canonical one and
# mixed ones with 1 to 3 groups) at a small input size: write the zoo
# model, quantize it to an integer TTFS model, run `saccade ref --mode int`
# and tests/oracle_int.py (numpy, written from docs/FORMATS.md alone) on
# the zoo's sample inputs and require identical integer logits.  Also
# require that `ref --mode int` on the float model (compiled on the fly)
# gives the same integer logits as on the written integer model, i.e. that
# quantize's output round-trips.  Exit 0 when all pass, 1 otherwise, 77
# (skip) when no python3 with numpy and yaml is available.
set -u

SAC=${abs_top_builddir:-.}/saccade
SRC=${abs_top_srcdir:-.}/tests
ORACLE=$SRC/oracle_int.py

PY=
for p in "${ORACLE_PYTHON:-}" /usr/bin/python3 "${PYTHON:-}" python3; do
	[ -n "$p" ] || continue
	if "$p" -c 'import numpy, yaml' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
	echo "oracle.sh: SKIP: no python3 with numpy and yaml" >&2
	exit 77
fi
if [ ! -x "$SAC" ]; then
	echo "oracle.sh: $SAC not found (set abs_top_builddir)" >&2
	exit 1
fi

TMP=${abs_top_builddir:-.}/tests/tmp/oracle.$$
mkdir -p "$TMP" || exit 1

pass=0
fail=0
failed=()

# compare A.json B.json LABEL: int_logits of every sample equal, the
# dequantised logits equal to 1e-4 (relative), the classes equal.
compare() {
	"$PY" - "$1" "$2" "$3" <<'EOF'
import json, sys
a_path, b_path, label = sys.argv[1:4]
try:
    a = json.load(open(a_path))["samples"]
    b = json.load(open(b_path))["samples"]
except Exception as err:
    print("  %s: cannot read JSON: %s" % (label, err))
    sys.exit(1)
bad = 0
if len(a) != len(b):
    print("  %s: %d samples vs %d" % (label, len(a), len(b)))
    sys.exit(1)
for sa, sb in zip(a, b):
    la, lb = sa.get("int_logits"), sb.get("int_logits")
    if la is None or lb is None:
        print("  %s: sample %s has no int_logits" % (label, sa.get("index")))
        bad += 1
    elif la != lb:
        bad += 1
        print("  %s: sample %s differs:" % (label, sa.get("index")))
        print("    %s: %s" % (a_path.rsplit("/", 1)[-1], la))
        print("    %s: %s" % (b_path.rsplit("/", 1)[-1], lb))
        print("    diff: %s" % [x - y for x, y in zip(la, lb)])
    elif "logits" in sa and "logits" in sb and any(
            abs(x - y) > 1e-4 * max(1.0, abs(x), abs(y))
            for x, y in zip(sa["logits"], sb["logits"])):
        bad += 1
        print("  %s: sample %s dequantised logits differ: %s vs %s"
              % (label, sa.get("index"), sa["logits"], sb["logits"]))
    elif sa.get("class") != sb.get("class"):
        bad += 1
        print("  %s: sample %s class %s vs %s" % (label, sa.get("index"),
              sa.get("class"), sb.get("class")))
sys.exit(1 if bad else 0)
EOF
}

# check NAME GENOME INPUT [quantize options...]
check() {
	local name=$1 genome=$2 input=$3
	shift 3
	local d=$TMP/$name q=$TMP/$name/int log=$TMP/$name.log
	local ok=1
	{
		"$SAC" zoo tnas-er --genome "$genome" --input "$input" --seed 3 \
			--calib-count 8 -o "$d" >/dev/null &&
		"$SAC" quantize "$d/model.yaml" --weights "$d/weights.npz" "$@" \
			-o "$q" >/dev/null &&
		"$SAC" ref "$q/model.yaml" --weights "$q/weights.npz" \
			--input "$d/sample.npy" --mode int --json >"$d/ref.json" &&
		"$PY" "$ORACLE" "$q/model.yaml" --weights "$q/weights.npz" \
			--input "$d/sample.npy" >"$d/oracle.json" &&
		"$SAC" ref "$d/model.yaml" --weights "$d/weights.npz" "$@" \
			--input "$d/sample.npy" --mode int --json >"$d/roundtrip.json"
	} 2>"$log" || ok=0
	if [ $ok = 0 ]; then
		echo "FAIL $name ($genome $input $*): a command failed:"
		sed 's/^/  /' "$log"
	else
		compare "$d/ref.json" "$d/oracle.json" "ref vs oracle" || ok=0
		compare "$d/roundtrip.json" "$d/ref.json" "float model vs quantized model" || ok=0
		[ $ok = 1 ] || echo "FAIL $name ($genome $input $*)"
	fi
	if [ $ok = 1 ]; then
		echo "PASS $name ($genome $input${*:+ $*}): $("$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))["samples"]
print(len(s), "samples, classes", [x["class"] for x in s])' "$d/oracle.json")"
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed+=("$name")
	fi
}

check see see 4x32x32
check all-skip ss-ss-ss 4x32x32
check all-5x5 55-55-55 4x32x32
check mixed 5s-s3-35 4x32x32
check two-groups s5-33 4x16x16
check one-group 3s 2x16x16
check see-layer-steps64 see 4x32x32 --quant layer --steps 64
# The canonical size takes ~25 s more; ORACLE_FULL=1 adds it.
if [ -n "${ORACLE_FULL:-}" ]; then
	check see-64 see 4x64x64
fi

echo "$pass passed, $fail failed"
if [ $fail = 0 ]; then
	rm -rf "$TMP"
	exit 0
fi
echo "kept $TMP for inspection; failed: ${failed[*]}"
exit 1
