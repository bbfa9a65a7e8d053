#!/bin/bash
# cli_errors.sh: every kind of bad input gets a located message and the
# right exit status.
#
# Starts from a small zoo model and breaks one thing at a time (YAML syntax,
# unknown op, shapes, npz members, the npz container, event files, command
# line).  Each case checks the exact exit status (1 user error, 2 usage)
# and that stderr contains the location text docs/FORMATS.md promises
# (`file:line:col:` for YAML, the member name for npz, the file name for
# containers and event files).  Exit 0 when all pass, 1 otherwise.
set -u

SAC=${abs_top_builddir:-.}/saccade
if [ ! -x "$SAC" ]; then
	echo "cli_errors.sh: $SAC not found (set abs_top_builddir)" >&2
	exit 1
fi
PY=
for p in /usr/bin/python3 "${PYTHON:-}" python3; do
	[ -n "$p" ] || continue
	if "$p" -c 'import numpy' 2>/dev/null; then PY=$p; break; fi
done

TMP=${abs_top_builddir:-.}/tests/tmp/cli_errors.$$
mkdir -p "$TMP" || exit 1

pass=0
fail=0
skip=0
failed=()

# expect NAME STATUS REGEX CMD...: CMD exits with STATUS and its stderr
# matches the extended REGEX.
expect() {
	local name=$1 want=$2 re=$3
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err"
	local got=$?
	if [ "$got" = "$want" ] && grep -Eq -- "$re" "$TMP/err"; then
		echo "PASS $name: $(head -n 1 "$TMP/err")"
		pass=$((pass + 1))
	else
		echo "FAIL $name: exit $got (want $want), stderr should match /$re/:"
		sed 's/^/  | /' "$TMP/err" | head -n 10
		fail=$((fail + 1))
		failed+=("$name")
	fi
}

skip_case() {
	echo "SKIP $1: $2"
	skip=$((skip + 1))
}

# A fresh copy of the base model in directory $TMP/$1.
copy() {
	rm -rf "${TMP:?}/$1"
	cp -r "$TMP/base" "$TMP/$1"
}

# Line number of the first line of FILE matching REGEX.
line_of() {
	grep -nE -m 1 -- "$2" "$1" | cut -d: -f1
}

BASE_OK=1
if ! "$SAC" zoo tnas-er --genome 3s-s3 --input 4x16x16 --calib-count 2 \
	-o "$TMP/base" >/dev/null 2>"$TMP/base.err"; then
	echo "cannot make the base model (saccade zoo failed):"
	sed 's/^/  | /' "$TMP/base.err"
	BASE_OK=0
fi

if [ $BASE_OK = 1 ]; then
	# --- YAML syntax: an unclosed flow sequence -------------------------------
	copy syntax
	y=$TMP/syntax/model.yaml
	L=$(line_of "$y" '^    kernel: 3$')
	sed -i "${L}s/kernel: 3/kernel: [3, 3/" "$y"
	# libyaml notices on that line or the next one or two.
	expect yaml-syntax 1 "model\\.yaml:($L|$((L + 1))|$((L + 2))):[0-9]+:" \
		"$SAC" info "$y" --weights "$TMP/syntax/weights.npz"

	# --- YAML syntax: a tab in the indentation ---------------------------------
	copy tab
	y=$TMP/tab/model.yaml
	L=$(line_of "$y" '^    op: relu$')
	sed -i "${L}s/^    op/\\t op/" "$y"
	expect yaml-tab 1 "model\\.yaml:($L|$((L + 1))):[0-9]+:" \
		"$SAC" info "$y" --weights "$TMP/tab/weights.npz"

	# --- unknown op ------------------------------------------------------------------
	copy unknown-op
	y=$TMP/unknown-op/model.yaml
	L=$(line_of "$y" '^    op: relu$')
	sed -i "${L}s/op: relu/op: frobnicate/" "$y"
	expect unknown-op 1 "model\\.yaml:$L:[0-9]+:.*frobnicate" \
		"$SAC" info "$y" --weights "$TMP/unknown-op/weights.npz"

	# --- unknown attribute key is located too -----------------------------------
	copy unknown-key
	y=$TMP/unknown-key/model.yaml
	L=$(line_of "$y" '^    padding: 1$')
	sed -i "${L}s/padding: 1/paddding: 1/" "$y"
	expect unknown-key 1 "model\\.yaml:$L:[0-9]+:.*paddding" \
		"$SAC" info "$y" --weights "$TMP/unknown-key/weights.npz"

	# --- input to an undefined node -------------------------------------------------
	copy undefined-input
	y=$TMP/undefined-input/model.yaml
	L=$(line_of "$y" '^    inputs: \[stem\.0\.bn\]$')
	sed -i "${L}s/stem\\.0\\.bn/stem.0.nope/" "$y"
	expect undefined-input 1 "model\\.yaml:$L:[0-9]+:.*stem\\.0\\.nope" \
		"$SAC" info "$y" --weights "$TMP/undefined-input/weights.npz"

	# --- shape mismatch: 3 input channels for a conv whose weight takes 4 -----
	copy shape
	y=$TMP/shape/model.yaml
	sed -i 's/^    shape: \[4, 16, 16\]$/    shape: [3, 16, 16]/' "$y"
	expect shape-mismatch 1 "stem\\.0\\.conv" \
		"$SAC" info "$y" --weights "$TMP/shape/weights.npz"

	# --- linear in_features vs the flattened size --------------------------------
	copy fc-shape
	y=$TMP/fc-shape/model.yaml
	# Feed the head from before the pool: 4x the features its weight expects.
	P=$(grep -m 1 -A 2 '^  - name: pool1$' "$y" | sed -n 's/^    inputs: \[\(.*\)\]$/\1/p')
	sed -i "s/^    inputs: \\[pool1\\]$/    inputs: [$P]/" "$y"
	expect linear-shape 1 "head\\.fc" \
		"$SAC" info "$y" --weights "$TMP/fc-shape/weights.npz"

	# --- npz members (need numpy to rewrite the archive) ---------------------------
	if [ -n "$PY" ]; then
		copy missing
		"$PY" - "$TMP/missing/weights.npz" <<'EOF'
import numpy as np, sys
p = sys.argv[1]
z = dict(np.load(p))
del z["stem.1.bn.var"]
np.savez(p, **z)
EOF
		expect missing-member 1 "stem\\.1\\.bn\\.var" \
			"$SAC" info "$TMP/missing/model.yaml" --weights "$TMP/missing/weights.npz"

		copy badshape
		"$PY" - "$TMP/badshape/weights.npz" <<'EOF'
import numpy as np, sys
p = sys.argv[1]
z = dict(np.load(p))
z["g0.b0.conv0.weight"] = np.zeros((32, 32, 3, 2), np.float32)
np.savez(p, **z)
EOF
		expect wrong-shape 1 "g0\\.b0\\.conv0\\.weight.*\\[32, ?32, ?3, ?3\\]|\\[32, ?32, ?3, ?3\\].*g0\\.b0\\.conv0\\.weight" \
			"$SAC" info "$TMP/badshape/model.yaml" --weights "$TMP/badshape/weights.npz"

		copy baddtype
		"$PY" - "$TMP/baddtype/weights.npz" <<'EOF'
import numpy as np, sys
p = sys.argv[1]
z = dict(np.load(p))
z["head.fc.bias"] = z["head.fc.bias"].astype(np.int16)
np.savez(p, **z)
EOF
		expect wrong-dtype 1 "head\\.fc\\.bias" \
			"$SAC" info "$TMP/baddtype/model.yaml" --weights "$TMP/baddtype/weights.npz"
	else
		skip_case npz-members "no python3 with numpy to rewrite the npz"
	fi

	# --- npz container: truncated, not a zip, corrupt member data -------------------
	copy trunc
	w=$TMP/trunc/weights.npz
	head -c $(($(wc -c <"$w") / 2)) "$w" >"$w.tmp" && mv "$w.tmp" "$w"
	expect truncated-npz 1 "weights\\.npz" \
		"$SAC" info "$TMP/trunc/model.yaml" --weights "$w"

	copy notzip
	w=$TMP/notzip/weights.npz
	echo "this is not a zip archive" >"$w"
	expect corrupt-npz-text 1 "weights\\.npz" \
		"$SAC" info "$TMP/notzip/model.yaml" --weights "$w"

	copy corrupt
	w=$TMP/corrupt/weights.npz
	# Overwrite 64 bytes in the middle of the compressed data: the zip
	# directory survives, a member's data (or its CRC) does not.
	size=$(wc -c <"$w")
	printf '%064d' 0 | tr 0 'Z' | dd of="$w" bs=1 seek=$((size / 3)) conv=notrunc status=none
	expect corrupt-npz-data 1 "weights\\.npz" \
		"$SAC" info "$TMP/corrupt/model.yaml" --weights "$w"

	expect missing-npz 1 "nothere\\.npz" \
		"$SAC" info "$TMP/base/model.yaml" --weights "$TMP/nothere.npz"

	# --- inputs --------------------------------------------------------------------------
	echo "garbage" >"$TMP/garbage-input.npy"
	expect bad-input-npy 1 "garbage-input\\.npy" \
		"$SAC" ref "$TMP/base/model.yaml" --weights "$TMP/base/weights.npz" \
		--input "$TMP/garbage-input.npy" --mode float
fi

# --- event files ------------------------------------------------------------------------
printf '\x93NUMPY\x01\x00garbage that is not a header' >"$TMP/garbage.npy"
printf 't,x,y,p\n1,2,3,1\nhello,world,x,y\n' >"$TMP/garbage.csv"
head -c 300 /dev/urandom >"$TMP/random.bin" 2>/dev/null || printf 'rnd\x00\x01' >"$TMP/random.bin"
expect events-frames-npy 1 "garbage\\.npy" \
	"$SAC" events frames "$TMP/garbage.npy" --frames 4 --skip 3 --size 64x64 -o "$TMP/x.npy"
expect events-info-npy 1 "garbage\\.npy" \
	"$SAC" events info "$TMP/garbage.npy"
expect events-frames-csv 1 "garbage\\.csv:3" \
	"$SAC" events frames "$TMP/garbage.csv" --frames 4 --skip 3 --size 64x64 -o "$TMP/x.npy"
expect events-info-random 1 "random\\.bin" \
	"$SAC" events info "$TMP/random.bin"

# --- command line --------------------------------------------------------------------------
expect unknown-command 2 "frobnicate" "$SAC" frobnicate
expect unknown-option 2 "--bogus" "$SAC" zoo tnas-er --genome see --bogus -o "$TMP/z"
expect zoo-missing-output 2 "-o DIR" "$SAC" zoo tnas-er --genome see
expect zoo-missing-genome 2 "--genome" "$SAC" zoo tnas-er -o "$TMP/z"
expect ref-missing-model 2 "MODEL" "$SAC" ref --mode int
expect quantize-missing-output 2 "-o" "$SAC" quantize "$TMP/base/model.yaml"
expect zoo-bad-genome 1 "'x' at position 2" \
	"$SAC" zoo tnas-er --genome 3x-35-33 -o "$TMP/z"
expect zoo-input-too-small 1 "multiples of 4" \
	"$SAC" zoo tnas-er --genome see --input 4x30x30 -o "$TMP/z"
expect zoo-bad-input-spec 2 "4x64" \
	"$SAC" zoo tnas-er --genome see --input 4x64 -o "$TMP/z"

# Images, targets and the simulator.
TGT=${abs_top_srcdir:-.}/examples/targets
printf 'saccade-target: 1\nmesh: [2, 2\n' >"$TMP/bad-syntax.yaml"
expect target-syntax 1 "bad-syntax\.yaml:3:1:" \
	"$SAC" compile "$TMP/base/model.yaml" --weights "$TMP/base/weights.npz" \
	--target "$TMP/bad-syntax.yaml" -o "$TMP/x.sac"
printf 'saccade-target: 1\npe:\n  lanes: 0\n' >"$TMP/bad-lanes.yaml"
expect target-range 1 "bad-lanes\.yaml:3:10:.*lanes" \
	"$SAC" compile "$TMP/base/model.yaml" --weights "$TMP/base/weights.npz" \
	--target "$TMP/bad-lanes.yaml" -o "$TMP/x.sac"
printf 'saccade-target: 1\nmesh: [1, 1]\n' >"$TMP/one-pe.yaml"
expect compile-does-not-fit 1 "the model needs [0-9]+ PEs .*1x1 mesh" \
	"$SAC" compile "$TMP/base/model.yaml" --weights "$TMP/base/weights.npz" \
	--target "$TMP/one-pe.yaml" -o "$TMP/x.sac"
printf 'saccade-target: 1\npe:\n  weight_kib: 1\n' >"$TMP/small-sram.yaml"
expect compile-weights-do-not-fit 1 "layer '[^']+': one output channel needs [0-9]+ bytes" \
	"$SAC" compile "$TMP/base/model.yaml" --weights "$TMP/base/weights.npz" \
	--target "$TMP/small-sram.yaml" -o "$TMP/x.sac"
expect compile-missing-output 2 "-o NET\.sac" \
	"$SAC" compile "$TMP/base/model.yaml" --weights "$TMP/base/weights.npz"
if "$SAC" compile "$TMP/base/model.yaml" --weights "$TMP/base/weights.npz" \
	--target "$TGT/yoso.yaml" -o "$TMP/good.sac" >/dev/null 2>"$TMP/err"; then
	head -c 100 "$TMP/good.sac" >"$TMP/trunc.sac"
	expect sim-truncated-image 1 "trunc\.sac.*truncated" \
		"$SAC" sim "$TMP/trunc.sac" --input "$TMP/base/sample.npy"
	printf 'not an image at all, just text\n' >"$TMP/text.sac"
	expect sim-not-an-image 1 "text\.sac.*not a Saccade image" \
		"$SAC" sim "$TMP/text.sac" --input "$TMP/base/sample.npy"
	cp "$TMP/good.sac" "$TMP/flip.sac"
	printf '\x55' | dd of="$TMP/flip.sac" bs=1 seek=300 conv=notrunc 2>/dev/null
	expect sim-corrupt-image 1 "flip\.sac.*CRC" \
		"$SAC" sim "$TMP/flip.sac" --input "$TMP/base/sample.npy"
	expect map-truncated-image 1 "trunc\.sac.*truncated" "$SAC" map "$TMP/trunc.sac"
	expect sim-missing-input 2 "--input" "$SAC" sim "$TMP/good.sac"
	expect sim-noc-spiking 2 "--noc is for dense images" \
		"$SAC" sim "$TMP/good.sac" --input "$TMP/base/sample.npy" --noc analytic
	"$SAC" events synth --seed 1 --class happiness -o "$TMP/ev.npy" >/dev/null &&
		"$SAC" events frames "$TMP/ev.npy" --size 8x8 -o "$TMP/x8.npy" >/dev/null
	expect sim-input-shape 1 "x8\.npy: .*expects \[4, 16, 16\]" \
		"$SAC" sim "$TMP/good.sac" --input "$TMP/x8.npy"
	expect sim-index-range 1 "index 99 is out of range" \
		"$SAC" sim "$TMP/good.sac" --input "$TMP/base/sample.npy" --index 99
else
	echo "FAIL compile of the base model: $(cat "$TMP/err")"
	fail=$((fail + 1))
	failed+=("compile-base")
fi

if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
if [ $fail = 0 ]; then
	rm -rf "$TMP"
	exit 0
fi
echo "kept $TMP for inspection; failed: ${failed[*]}"
exit 1
