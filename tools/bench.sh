#!/usr/bin/env bash
# bench.sh: `make bench`: speed and memory of the simulator (and of the
# reference executors) on the canonical TNAS-ER network (genome see,
# 4x64x64) on the default target, for both micro-architectures; then of
# the NoC model alone, the dense simulator on the MCO-E head and the RTL.
#
# Prints, per micro-architecture: simulated latency and energy, wall time
# per inference (median of the runs), simulated cycles per wall second,
# synaptic events per wall second and peak resident memory.  Timing is
# measured here and reported in docs/RESULTS.md; no test asserts it.
# Usage: tools/bench.sh [BUILD_DIR] (default: the current directory).
set -euo pipefail
B=${1:-.}
SAC=$B/saccade
SRC=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${BENCH_RUNS:-3}
[ -x "$SAC" ] || { echo "bench: $SAC not found; build first" >&2; exit 1; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: $TIME not found (Debian package 'time')" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/sac_bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "saccade: $("$SAC" --version)"
"$SAC" zoo tnas-er --genome see -o "$W/see" >/dev/null
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for u in ramp event; do
	"$SAC" compile "$W/see/model.yaml" --weights "$W/see/weights.npz" \
		--target "$SRC/examples/targets/yoso.yaml" --uarch $u -o "$W/see-$u.sac" >/dev/null
	: >"$W/times"
	for r in $(seq "$RUNS"); do
		"$TIME" -f "%e %M" -o "$W/t" "$SAC" sim "$W/see-$u.sac" \
			--input "$W/see/sample.npy" --index 0 --quiet \
			--report "$W/r.json" >/dev/null
		cat "$W/t" >>"$W/times"
	done
	wall=$(cut -d' ' -f1 "$W/times" | median)
	mem=$(cut -d' ' -f2 "$W/times" | sort -g | tail -n 1)
	/usr/bin/python3 - "$W/r.json" "$wall" "$mem" "$u" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall, mem, u = float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cyc = r["latency"]["cycles"]; syn = r["activity"]["synaptic_ops"]
print(f"sim {u:5}: latency {cyc} cycles = {r['latency']['ms']:.2f} ms, "
      f"energy {r['energy_mj']['total']:.3f} mJ | wall {wall:.2f} s/inference, "
      f"{cyc / wall / 1e6:.2f} M cycles/s, {syn / wall / 1e6:.1f} M synaptic events/s, "
      f"peak RSS {mem / 1024:.0f} MiB")
PY
done

for m in float int ttfs; do
	"$TIME" -f "%e %M" -o "$W/t" "$SAC" ref "$W/see/model.yaml" \
		--weights "$W/see/weights.npz" --input "$W/see/sample.npy" --index 0 \
		--mode $m >/dev/null
	echo "ref $m (incl. load$( [ $m = float ] || echo ', calibration on 16 inputs' )): $(cut -d' ' -f1 "$W/t") s, peak RSS $(( $(cut -d' ' -f2 "$W/t") / 1024 )) MiB"
done

# The NoC alone (`saccade noc`, issue 6): uniform traffic on an 8x8 mesh
# of the default target's routers, 1-flit packets, at a low load, a
# moderate one and near saturation (0.26 flits/node/cycle on 8x8, see
# docs/RESULTS.md "The NoC alone").  Delivered flits and simulated cycles
# per wall second over the whole run (warm-up, measurement and drain,
# including process start and the latency statistics).
for rm in 0.01:1000000 0.1:200000 0.25:100000; do
	r=${rm%%:*} m=${rm#*:}
	"$TIME" -f "%e %U %M" -o "$W/t" "$SAC" noc --mesh 8x8 --traffic uniform \
		--rate "$r" --warmup 2000 --measure "$m" --json --quiet >"$W/noc.json"
	/usr/bin/python3 - "$W/noc.json" "$W/t" "$r" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["result"]
wall, user, mem = open(sys.argv[2]).read().split()
wall, user = float(wall), float(user)
print(f"noc 8x8 uniform {sys.argv[3]:>4} flits/node/cycle: {r['cycles']} cycles, "
      f"{r['flits_delivered']} flits delivered, latency avg {r['latency']['avg']:.1f}"
      f"{' SATURATED' if r['saturated'] else ''} | wall {wall:.2f} s (user {user:.2f} s): "
      f"{r['flits_delivered'] / wall / 1e6:.2f} M flits/s, {r['cycles'] / wall / 1e6:.3f} M cycles/s, "
      f"peak RSS {int(mem) / 1024:.0f} MiB")
PY
done

# The dense simulator (issue 5): the full MCO-E head (86.7 M parameters,
# the zoo's default int8 mode) on the default target, sample 0 (the two
# deep experts: the longest inference), with the flit-level NoC timing
# (the default) and the analytic estimate.  Wall and CPU time per
# inference include reading the 93 MB image; "sim" is the simulator's own
# time from its report.
"$SAC" zoo mco-e --samples 1 -o "$W/mcoe" >/dev/null
"$SAC" compile "$W/mcoe" -o "$W/mcoe.sac" >/dev/null
for noc in flit analytic; do
	: >"$W/times"
	for r in $(seq "$RUNS"); do
		"$TIME" -f "%e %U %S %M" -o "$W/t" "$SAC" sim "$W/mcoe.sac" \
			--input "$W/mcoe/sample.npy" --index 0 --noc $noc --quiet \
			--report "$W/d.json" >/dev/null
		cat "$W/t" >>"$W/times"
	done
	/usr/bin/python3 - "$W/d.json" "$W/times" "$noc" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = [l.split() for l in open(sys.argv[2]) if l.strip()]
med = lambda v: sorted(v)[len(v) // 2]
wall = med([float(x[0]) for x in t])
cpu = med([float(x[1]) + float(x[2]) for x in t])
mem = max(int(x[3]) for x in t)
cyc = r["latency"]["cycles"]
sim_s = r["simulator"]["seconds"]
print(f"dense mco-e head, sample 0, NoC {sys.argv[3]:8}: {cyc} cycles = {r['latency']['ms']:.1f} ms, "
      f"energy {r['energy_mj']['total']:.2f} mJ | wall {wall:.1f} s, CPU {cpu:.1f} s per inference "
      f"(image load included; the simulator alone {sim_s:.1f} s), {cyc / cpu / 1e6:.2f} M cycles per CPU s, "
      f"peak RSS {mem / 1024:.0f} MiB")
PY
done

# The RTL (issue 4): simulated cycles per wall second of the Verilated chip
# (saccade-rtl-<target>, built when configure found Verilator and SystemC)
# against the C simulator on the same image and input, both measured by
# `saccade cosim` (which also checks that they agree), per CPU second (user
# + system: the machine is shared, wall time is also printed).  The RTL's
# time is the child process from spawn to exit (SystemC start-up, image
# load and the configuration writes included); the simulator's is
# sac_sim_run alone.
RTL_DIR=${SACCADE_RTL_DIR:-$B/rtl}
for tg in micro:ss-ss:tests/targets/micro.yaml tiny:3s-ss:examples/targets/tiny.yaml; do
	t=${tg%%:*} rest=${tg#*:}
	g=${rest%%:*} tf=${rest#*:}
	if [ ! -x "$RTL_DIR/saccade-rtl-$t" ]; then
		echo "rtl $t: no $RTL_DIR/saccade-rtl-$t (configure with Verilator and SystemC, then make): skipped"
		continue
	fi
	"$SAC" zoo tnas-er --genome "$g" --input 4x16x16 --seed 1 --calib-count 4 -o "$W/r-$g" >/dev/null
	"$SAC" compile "$W/r-$g/model.yaml" --weights "$W/r-$g/weights.npz" \
		--target "$SRC/$tf" -o "$W/r-$t.sac" >/dev/null
	for r in $(seq "$RUNS"); do
		"$SAC" cosim "$W/r-$t.sac" --input "$W/r-$g/sample.npy" --index 0 --quiet \
			--rtl "$RTL_DIR/saccade-rtl-$t" --json "$W/c$r.json" >/dev/null ||
			echo "rtl $t: cosim run $r NOT identical (see saccade cosim)"
	done
	/usr/bin/python3 - "$t" "$g" "$W"/c*.json <<'PY'
import json, sys
t, g = sys.argv[1], sys.argv[2]
rs = [json.load(open(p)) for p in sys.argv[3:]]
med = lambda v: sorted(v)[len(v) // 2]
cyc = rs[0]["cycles"]["got"]
sp = lambda k: med([r["speed"][k] for r in rs])
rc, sc, rw = sp("rtl_cpu_s"), sp("sim_cpu_s"), sp("rtl_wall_s")
print(f"rtl {t} ({g}, 4x16x16): {cyc} cycles, {'identical' if all(r['identical'] for r in rs) else 'DIFFERENT'} | "
      f"RTL CPU {rc:.2f} s (wall {rw:.2f} s) = {cyc / rc / 1e3:.1f} k cycles/s, "
      f"C sim CPU {sc:.4f} s = {cyc / sc / 1e6:.2f} M cycles/s: C sim / RTL = {rc / sc:.0f}x")
PY
	rm -f "$W"/c*.json
done
