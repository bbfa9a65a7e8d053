#!/usr/bin/env bash
# contract.sh: the numerics contract through the command line: for several
# TNAS-ER genomes (all-skip and all-5x5 among them) and several inputs,
# `saccade ref --mode all` must report ref-int == ref-ttfs on every input
# (logits and every spike) and exit 0, in text and JSON; and `--mode int`
# and `--mode ttfs` must print the same integer logits.
set -u
SACCADE=${SACCADE:-${abs_top_builddir:-.}/saccade}
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sac_contract.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, condition result
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); echo "FAIL $1"; fi
}
for genome in see ss-ss-ss 55-55-55 5s-33 s5-35-ss; do
	d=$tmp/$genome
	"$SACCADE" zoo tnas-er --genome "$genome" --input 4x16x16 --seed 3 \
		--calib-count 4 -o "$d" >/dev/null || { check "$genome: zoo" 1; continue; }
	out=$("$SACCADE" ref "$d/model.yaml" --weights "$d/weights.npz" \
		--input "$d/sample.npy" --mode all 2>&1)
	rc=$?
	echo "$out" | grep -q "int vs ttfs: 7/7 bit-identical"
	check "$genome: ref --mode all: 7/7 int == ttfs (exit $rc)" $(( rc != 0 || $? != 0 ))
	a=$("$SACCADE" ref "$d/model.yaml" --weights "$d/weights.npz" \
		--input "$d/sample.npy" --mode int --json) &&
	b=$("$SACCADE" ref "$d/model.yaml" --weights "$d/weights.npz" \
		--input "$d/sample.npy" --mode ttfs --json)
	if [ $? -ne 0 ]; then check "$genome: --mode int/ttfs --json" 1; continue; fi
	"$PY" - "$a" "$b" <<'PYEOF'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert a["mode"] == "int" and b["mode"] == "ttfs"
assert len(a["samples"]) == 7
for x, y in zip(a["samples"], b["samples"]):
    assert x["int_logits"] == y["int_logits"], (x, y)
    assert x["class"] == y["class"] and x["spikes"] == y["spikes"]
PYEOF
	check "$genome: int and ttfs JSON logits identical" $?
	# The same integer network read back from a compiled image.
	if [ "$genome" = 5s-33 ]; then
		"$SACCADE" compile "$d/model.yaml" --weights "$d/weights.npz" \
			--target "${abs_top_srcdir:-.}/examples/targets/small.yaml" \
			-o "$d/net.sac" >/dev/null &&
		c=$("$SACCADE" ref "$d/net.sac" --input "$d/sample.npy" --mode int --json)
		if [ $? -ne 0 ]; then check "$genome: ref on the image" 1; continue; fi
		"$PY" - "$a" "$c" <<'PYEOF'
import json, sys
a, c = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert [x["int_logits"] for x in a["samples"]] == [x["int_logits"] for x in c["samples"]]
PYEOF
		check "$genome: ref on the image == ref on the model" $?
		out=$("$SACCADE" sim "$d/net.sac" --input "$d/sample.npy" --index 3 --check --quiet)
		echo "$out" | grep -q "simulator vs ref-int: identical"
		check "$genome: saccade sim --check" $?
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
