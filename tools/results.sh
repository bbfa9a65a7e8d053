#!/usr/bin/env bash
# results.sh: the measurements behind docs/RESULTS.md, reproducible with
#   tools/results.sh BUILD_DIR > results.txt
# All figures are simulated (latency, energy) or computed by saccade
# (agreement); nothing here is timed.  Takes a few minutes on 2 cores.
set -euo pipefail
B=${1:-.}
SAC=$B/saccade
SRC=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
W=$(mktemp -d "${TMPDIR:-/tmp}/sac_results.XXXXXX")
trap 'rm -rf "$W"' EXIT
[ -x "$SAC" ] || { echo "results: $SAC not found" >&2; exit 1; }

# sim_all NET INPUT: mean latency (ms, cycles), energy (mJ) over all images.
sim_all() {
	local net=$1 x=$2 n
	n=$($PY -c "import numpy as np; print(np.load('$x').shape[0])")
	for i in $(seq 0 $((n - 1))); do
		"$SAC" sim "$net" --input "$x" --index "$i" --quiet --report "$W/r$i.json" >/dev/null
	done
	$PY - "$W" "$n" <<'PY'
import json, sys
w, n = sys.argv[1], int(sys.argv[2])
rs = [json.load(open(f"{w}/r{i}.json")) for i in range(n)]
ms = sum(r["latency"]["ms"] for r in rs) / n
cy = sum(r["latency"]["cycles"] for r in rs) / n
mj = sum(r["energy_mj"]["total"] for r in rs) / n
sp = sum(r["activity"]["spikes"] for r in rs) / n
print(f"{ms:8.2f} ms {cy:10.0f} cycles {mj:7.3f} mJ {sp:9.0f} spikes")
PY
}

target() { # NAME MESH NEURONS -> $W/NAME.yaml from the default target
	sed -e "s/^name: .*/name: $1/" -e "s/^mesh: .*/mesh: [$2, $2]/" \
		-e "s/^  neurons: [0-9]*/  neurons: $3/" \
		-e "s/^  sync_delay: [0-9]*/  sync_delay: $((2 * ($2 / 2 + $2 / 2)))/" \
		"$SRC/examples/targets/yoso.yaml" >"$W/$1.yaml"
}

"$SAC" zoo tnas-er --genome see -o "$W/see" >/dev/null
echo "== canonical network (see = 3s-35-33, 4x64x64), default target, mean over the 7 sample inputs"
"$SAC" info "$W/see/model.yaml" | tail -n 2
for u in ramp event; do
	"$SAC" compile "$W/see/model.yaml" --weights "$W/see/weights.npz" \
		--target "$SRC/examples/targets/yoso.yaml" --uarch $u -o "$W/see-$u.sac" | tail -n 1
	printf '%-6s optimised placement: ' $u; sim_all "$W/see-$u.sac" "$W/see/sample.npy"
	"$SAC" compile "$W/see/model.yaml" --weights "$W/see/weights.npz" \
		--target "$SRC/examples/targets/yoso.yaml" --uarch $u --no-optimise -o "$W/see-$u-base.sac" >/dev/null
	printf '%-6s baseline placement:  ' $u; sim_all "$W/see-$u-base.sac" "$W/see/sample.npy"
done
"$SAC" sim "$W/see-ramp.sac" --input "$W/see/sample.npy" --quiet | sed -n '/by component/,/clock/p'

echo
echo "== mesh size: neurons per PE halved as the mesh grows (ramp, sample 0..6)"
for spec in "16 4096" "24 2048" "32 1024"; do
	set -- $spec
	target "m$1" "$1" "$2"
	if "$SAC" compile "$W/see/model.yaml" --weights "$W/see/weights.npz" \
		--target "$W/m$1.yaml" -o "$W/m$1.sac" >"$W/c.txt" 2>&1; then
		printf '%2dx%-2d %4d neurons/PE %s PEs: ' "$1" "$1" "$2" \
			"$(sed -n 's/.*), \([0-9]*\) of \([0-9]*\) PEs.*/\1 of \2/p' "$W/c.txt")"
		sim_all "$W/m$1.sac" "$W/see/sample.npy"
	else
		echo "$1x$1: $(cat "$W/c.txt")"
	fi
done

echo
echo "== input size (genome see, ramp; mesh grown to fit)"
for spec in "32 16" "48 16" "64 16" "96 24"; do
	set -- $spec
	target "i$1" "$2" 4096
	"$SAC" zoo tnas-er --genome see --input "4x$1x$1" -o "$W/in$1" >/dev/null
	if "$SAC" compile "$W/in$1/model.yaml" --weights "$W/in$1/weights.npz" \
		--target "$W/i$1.yaml" -o "$W/in$1.sac" >"$W/c.txt" 2>&1; then
		printf '4x%-3d on %2dx%-2d (%s PEs): ' "$1" "$2" "$2" \
			"$(sed -n 's/.*), \([0-9]*\) of \([0-9]*\) PEs.*/\1/p' "$W/c.txt")"
		sim_all "$W/in$1.sac" "$W/in$1/sample.npy"
	else
		echo "4x$1: $(cat "$W/c.txt")"
	fi
done

echo
echo "== steps per window S: float/int agreement (7 samples) and latency (ramp, sample mean)"
for S in 8 16 32 64; do
	"$SAC" ref "$W/see/model.yaml" --weights "$W/see/weights.npz" \
		--input "$W/see/sample.npy" --steps "$S" --json >"$W/a.json"
	agree=$($PY -c "import json; s=json.load(open('$W/a.json'))['summary']; print(f\"argmax {s['argmax_agreement']*100:.0f}%, cosine mean {s['mean_cosine']:.4f} min {s['min_cosine']:.4f}, int==ttfs {s['int_equals_ttfs']}/{s['samples']}\")")
	"$SAC" compile "$W/see/model.yaml" --weights "$W/see/weights.npz" --steps "$S" \
		--target "$SRC/examples/targets/yoso.yaml" -o "$W/s$S.sac" >/dev/null
	printf 'S=%-3d %s | ' "$S" "$agree"; sim_all "$W/s$S.sac" "$W/see/sample.npy"
done
