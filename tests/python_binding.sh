#!/usr/bin/env bash
# python_binding.sh: python/saccade.py (ctypes over the build tree's
# libsaccade) under Debian's /usr/bin/python3 with numpy.  The binding must
# give what the command gives: `saccade sim` on a tensor (class, integer
# logits, cycles, energy), `saccade run` on a manifest (WAR, UAR, every
# prediction), the same with 1 and 2 jobs; inputs as arrays, event files
# and structured event arrays; the spike trace; misuse raising
# saccade.Error with the documented codes; clones on Python threads.
set -u
SACCADE=${SACCADE:-${abs_top_builddir:-.}/saccade}
BUILD=${abs_top_builddir:-.}
SRC=${abs_top_srcdir:-.}
PY=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sac_python.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, condition result
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); echo "FAIL $1"; fi
}
if ! "$PY" -c 'import numpy' 2>/dev/null; then
	echo "SKIP: $PY with numpy (Debian: python3-numpy) is not installed"
	exit 77
fi
export SACCADE_LIB=$BUILD/.libs/libsaccade.so PYTHONPATH=$SRC/python
# A sanitizer build's library needs the ASan runtime loaded first; the
# interpreter's own allocations are not ours to leak-check.
asan=$(ldd "$SACCADE_LIB" 2>/dev/null | awk '/libasan/ { print $3 }')
if [ -n "$asan" ]; then
	export LD_PRELOAD=$asan ASAN_OPTIONS=detect_leaks=0
fi

"$SACCADE" zoo tnas-er --genome 3s --input 4x16x16 --seed 3 --calib-count 4 \
	-o "$tmp/zoo" >/dev/null &&
"$SACCADE" compile "$tmp/zoo/model.yaml" --weights "$tmp/zoo/weights.npz" \
	--target "$SRC/examples/targets/tiny.yaml" -o "$tmp/net.sac" >/dev/null &&
"$SACCADE" sim "$tmp/net.sac" --input "$tmp/zoo/sample.npy" --index 2 --quiet \
	--report "$tmp/sim.json" >/dev/null &&
"$SACCADE" events synth-set --count 1 --seed 5 --duration 0.42 -o "$tmp/set" >/dev/null &&
"$SACCADE" run "$tmp/net.sac" --manifest "$tmp/set/manifest.csv" --report "$tmp/run.json" \
	--quiet >/dev/null
check "image, set and the command's reference results" $?

run_py() { # name, then the Python code on stdin
	local name=$1
	"$PY" - "$tmp" >"$tmp/py.out" 2>&1
	local rc=$?
	[ $rc = 0 ] || sed 's/^/    /' "$tmp/py.out"
	check "$name" $rc
}

run_py "import, version, input shape" <<'PYEOF'
import sys, saccade
tmp = sys.argv[1]
assert saccade.version() == "0.1.0", saccade.version()
rt = saccade.Runtime(tmp + "/net.sac")
assert rt.input_shape == (4, 16, 16), rt.input_shape
assert rt.nodes[0] == "input" and len(rt.nodes) > 3
rt.close(); rt.close()
PYEOF

run_py "a tensor: class, int logits, cycles and energy equal saccade sim" <<'PYEOF'
import sys, json, numpy as np, saccade
tmp = sys.argv[1]
ref = json.load(open(tmp + "/sim.json"))
x = np.load(tmp + "/zoo/sample.npy")[2]
with saccade.Runtime(tmp + "/net.sac") as rt:
    assert rt.classify(x) == ref["class"]
    assert rt.int_logits.tolist() == ref["int_logits"], (rt.int_logits, ref["int_logits"])
    assert np.allclose(rt.logits, ref["logits"], rtol=1e-12)
    cyc, ms = rt.latency
    assert cyc == ref["latency"]["cycles"] and abs(ms - ref["latency"]["ms"]) < 1e-9
    en = rt.energy
    assert abs(en["total"] - ref["energy_mj"]["total"]) < 1e-12
    assert abs(sum(v for k, v in en.items() if k != "total") - en["total"]) < 1e-9 * en["total"]
    assert [l["name"] for l in rt.layers] == [l["name"] for l in ref["layers"]]
    assert [l["cycles"] for l in rt.layers] == [l["cycles"] for l in ref["layers"]]
    pe = rt.pe_energy
    assert pe.shape == (16,) and np.allclose(pe, [p["energy_mj"] for p in ref["pes"]], rtol=1e-12)
    same, diff = rt.check_ref()
    assert same, diff
    # [1, C, H, W] works too; float64 input is converted.
    assert rt.classify(x[None].astype(np.float64)) == ref["class"]
PYEOF

run_py "the spike trace: int32 [C, H, W] per spiking node" <<'PYEOF'
import sys, numpy as np, saccade
tmp = sys.argv[1]
rt = saccade.Runtime(tmp + "/net.sac")
rt.set_input(np.load(tmp + "/zoo/sample.npy")[0]).run()
s = rt.spikes("input")
assert s.dtype == np.int32 and s.shape == (4, 16, 16), (s.dtype, s.shape)
assert s.max() >= 0 and s.min() >= -1
assert rt.spikes(len(rt.nodes) - 1) is None  # the readout does not spike
n = sum(int((rt.spikes(i) >= 0).sum()) for i in range(len(rt.nodes)) if rt.spikes(i) is not None)
assert n > 0
PYEOF

run_py "events: a file and a structured array give the same result" <<'PYEOF'
import sys, numpy as np, saccade
tmp = sys.argv[1]
f = tmp + "/set/anger_hdr_000.npy"
rt = saccade.Runtime(tmp + "/net.sac")
a = rt.set_events(f).run().int_logits
ev = np.load(f)
b = rt.set_events(ev).run().int_logits
assert (a == b).all(), (a, b)
# A structured array of other dtypes and polarity -1/+1.
ev2 = np.zeros(len(ev), dtype=[("t", "f8"), ("x", "i4"), ("y", "i4"), ("p", "i1")])
for k in "txy":
    ev2[k] = ev[k]
ev2["p"] = np.where(ev["p"] > 0, 1, -1)
c = rt.set_events(ev2).run().int_logits
assert (a == c).all()
PYEOF

run_py "evaluate: the table and predictions of saccade run, for 1 and 2 jobs" <<'PYEOF'
import sys, json, math, saccade
tmp = sys.argv[1]
ref = json.load(open(tmp + "/run.json"))
rt = saccade.Runtime(tmp + "/net.sac")
seen = []
s1, p1 = rt.evaluate(tmp + "/set/manifest.csv", jobs=1, progress=lambda d, t: seen.append((d, t)))
s2, p2 = rt.evaluate(tmp + "/set/manifest.csv", jobs=2)
assert (s1, p1) == (s2, p2)
assert seen[-1] == (28, 28) and len(seen) == 28
rs = ref["summary"]
assert s1["war"] == rs["war"] and s1["uar"] == rs["uar"], (s1["war"], rs["war"])
# The report's JSON numbers may lose the last digit (cJSON prints 15 digits).
for k in ("latency_ms", "energy_mj"):
    for q in ("mean", "p95"):
        assert math.isclose(s1[k][q], rs[k][q], rel_tol=1e-12), (k, q, s1[k][q], rs[k][q])
for k, v in rs["by_emotion"].items():
    assert s1["by_emotion"][k]["correct"] == v["correct"], k
assert [x["predicted"] for x in p1] == [x["predicted"] for x in ref["samples"]]
assert [x["cycles"] for x in p1] == [x["cycles"] for x in ref["samples"]]
PYEOF

run_py "misuse raises saccade.Error with the documented codes" <<'PYEOF'
import sys, numpy as np, saccade
tmp = sys.argv[1]
def code(f):
    try:
        f()
    except saccade.Error as e:
        assert e.message, "no message"
        return e.code
    raise AssertionError("no error")
assert code(lambda: saccade.Runtime(tmp + "/nothing.sac")) == saccade.ERR_IO
assert code(lambda: saccade.Runtime(tmp + "/set/manifest.csv")) < 0
rt = saccade.Runtime(tmp + "/net.sac")
assert code(rt.run) == saccade.ERR_STATE
assert code(lambda: rt.cls) == saccade.ERR_STATE
assert code(lambda: rt.logits) == saccade.ERR_STATE
assert code(lambda: rt.set_input(np.zeros((4, 16, 15), np.float32))) == saccade.ERR_SHAPE
assert code(lambda: rt.set_input(np.full((4, 16, 16), 2, np.float32))) == saccade.ERR_RANGE
assert code(rt.run) == saccade.ERR_STATE
assert code(lambda: rt.set_backend("rtl")) == saccade.ERR_UNSUPPORTED
assert code(lambda: rt.set_events(tmp + "/nothing.npy")) == saccade.ERR_IO
assert code(lambda: rt.set_events(tmp + "/set/fear_normal_000.npy", frames=3)) == saccade.ERR_SHAPE
assert code(lambda: rt.evaluate(tmp + "/zoo/model.yaml")) == saccade.ERR_PARSE
assert code(lambda: rt.spikes("nope")) == saccade.ERR_USAGE
rt.close()
assert code(rt.run) == saccade.ERR_USAGE
PYEOF

run_py "clones on Python threads give the serial results" <<'PYEOF'
import sys, threading, numpy as np, saccade
tmp = sys.argv[1]
xs = np.load(tmp + "/zoo/sample.npy")
rt = saccade.Runtime(tmp + "/net.sac")
want = [(rt.classify(x), rt.latency[0]) for x in xs]
got = {}
def work(k, r):
    got[k] = [(r.classify(x), r.latency[0]) for x in xs]
ts = [threading.Thread(target=work, args=(k, rt.clone())) for k in range(3)]
for t in ts: t.start()
for t in ts: t.join()
assert all(got[k] == want for k in range(3)), got
PYEOF

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
