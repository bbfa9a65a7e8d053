#!/usr/bin/env bash
# noc_cli.sh: `saccade noc`, the NoC alone under synthetic traffic, through
# the command line.  A single rate prints a report (text and JSON) and
# exits 0; a sweep on a 4x4 mesh stops at the first saturated rate, exits 0
# (saturation is a result), reports the last stable rate and the saturation
# throughput, and writes a CSV (one row per rate, the table's values) and
# an SVG that parses as XML with both plots, ticks and one point per rate;
# the output is reproducible; every bad parameter exits 1 or 2 with a
# message naming it; `saccade help noc` documents the command.
set -u
SACCADE=${SACCADE:-${abs_top_builddir:-.}/saccade}
PY=/usr/bin/python3
SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sac_noc_cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, condition result
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); echo "FAIL $1"; fi
}
# expect NAME STATUS TEXT ARGS...: exits with STATUS, stderr contains TEXT.
expect() {
	local name=$1 want=$2 text=$3
	shift 3
	"$SACCADE" noc "$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	grep -qF -- "$text" "$tmp/err"
	local found=$?
	check "$name: exit $want (got $got), '$text'" $(( got != want || found != 0 ))
	[ "$got" = "$want" ] && [ "$found" = 0 ] || sed 's/^/     /' "$tmp/err"
}
T=$SRC/examples/targets/tiny.yaml
FAST=(--warmup 300 --measure 2000 --quiet)

# --- one rate --------------------------------------------------------------
"$SACCADE" noc --target "$T" --traffic uniform --rate 0.1 "${FAST[@]}" >"$tmp/one.txt" 2>"$tmp/err"
rc=$?
check "one rate: exit 0 (got $rc)" $rc
grep -q "^accepted throughput: 0\.[0-9]* flits/node/cycle" "$tmp/one.txt" &&
	grep -q "^latency (cycles): avg [0-9.]*  p50 [0-9]*  p95 [0-9]*  p99 [0-9]*  max [0-9]*" "$tmp/one.txt" &&
	grep -q "^hops: avg" "$tmp/one.txt" && grep -q "^saturated: no" "$tmp/one.txt" &&
	grep -q "4x4 mesh" "$tmp/one.txt"
check "one rate: report has throughput, latency percentiles, hops, saturation" $?
[ ! -s "$tmp/err" ]
check "one rate: nothing on stderr when not a terminal" $?

"$SACCADE" noc --target "$T" --traffic transpose --rate 0.1 --length 4 "${FAST[@]}" --json >"$tmp/one.json"
check "--json: exit 0" $?
"$PY" - "$tmp/one.json" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
r = j["result"]
assert j["traffic"]["pattern"] == "transpose" and j["traffic"]["length"] == 4
assert j["target"]["mesh_w"] == 4 and j["target"]["name"] == "tiny"
assert r["packets"] > 0 and r["packets"] == r["delivered"], r
assert r["saturated"] is False
L = r["latency"]
assert L["min"] <= L["p50"] <= L["p95"] <= L["p99"] <= L["max"]
assert L["avg"] >= L["zero_load_avg"] - 1e-9
assert abs(r["hops_avg"] - 2.5) < 0.2, r["hops_avg"]
PYEOF
check "--json: a well-formed report (transpose, 4-flit packets)" $?

"$SACCADE" noc --target "$T" --traffic uniform --rate 1 "${FAST[@]}" >"$tmp/sat.txt"
rc=$?
check "rate 1.0: exit 0 (got $rc), not an abort" $rc
grep -q "^SATURATED: " "$tmp/sat.txt"
check "rate 1.0: reported SATURATED" $?

# --- a sweep ---------------------------------------------------------------
"$SACCADE" noc --target "$T" --traffic uniform --sweep 0.05:0.6:0.05 "${FAST[@]}" \
	--csv "$tmp/u.csv" --svg "$tmp/u.svg" >"$tmp/sweep.txt" 2>"$tmp/err"
rc=$?
check "sweep: exit 0 with saturation reached (got $rc)" $rc
grep -q "^saturation at offered 0\.[0-9]*: " "$tmp/sweep.txt" &&
	grep -q "^last stable rate: 0\.[0-9]*" "$tmp/sweep.txt" &&
	grep -q "^saturation throughput: 0\.[0-9]* flits/node/cycle" "$tmp/sweep.txt"
check "sweep: saturation rate, last stable rate and saturation throughput" $?
"$PY" - "$tmp/u.csv" "$tmp/u.svg" "$tmp/sweep.txt" <<'PYEOF'
import csv, re, sys
import xml.etree.ElementTree as ET
rows = list(csv.DictReader(open(sys.argv[1])))
table = [l.split() for l in open(sys.argv[3]) if re.match(r"\s*0\.\d+\s+0\.\d+", l)]
assert len(rows) == len(table) >= 3, (len(rows), len(table))
# Stops after the first saturated rate, which is the last row.
sat = [int(r["saturated"]) for r in rows]
assert sat[-1] == 1 and sum(sat) == 1, sat
for r, t in zip(rows, table):
    assert abs(float(r["offered"]) - float(t[0])) < 1e-9
    assert abs(float(r["accepted"]) - float(t[1])) < 1e-4
    assert int(r["packets"]) > 0
    assert (t[-1] == "SATURATED") == (r["saturated"] == "1")
offered = [float(r["offered"]) for r in rows]
assert offered == sorted(offered) and abs(offered[0] - 0.05) < 1e-12
# Below saturation the network accepts what is offered.
for r in rows[:-1]:
    assert abs(float(r["accepted"]) - float(r["created"])) < 0.05 * float(r["created"]) + 1e-3
lat = [float(r["lat_avg"]) for r in rows]
assert lat[-1] > lat[0]
sat_line = open(sys.argv[3]).read()
m = re.search(r"saturation throughput: ([0-9.]+)", sat_line)
assert abs(float(m.group(1)) - float(rows[-1]["accepted"])) < 1e-4

S = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[2]).getroot()
assert root.tag == S + "svg", root.tag
text = open(sys.argv[2]).read()
assert "<script" not in text and "href" not in text
classes = lambda c: [e for e in root.iter() if (e.get("class") or "").split()[:1] == [c]]
assert len(classes("axes")) == 2
for c in ("xtick", "ytick", "xlabel", "ylabel", "title"):
    assert classes(c), c
labels = "".join(t for e in classes("xlabel") + classes("ylabel") for t in e.itertext())
assert "offered load" in labels and "latency" in labels and "accepted" in labels
for series in ("lat-avg", "lat-p99", "accepted"):
    g = [e for e in root.iter(S + "g") if series in (e.get("class") or "").split()]
    assert len(g) == 1, series
    pts = g[0].findall(S + "circle")
    assert len(pts) == len(rows), (series, len(pts))
    assert [float(p.get("data-offered")) for p in pts] == offered
    assert [p.get("data-saturated") for p in pts] == [str(s) for s in sat]
    assert len(g[0].find(S + "polyline").get("points").split()) == len(rows)
PYEOF
check "sweep: CSV == table, stops at saturation; SVG parses, 2 plots, axes, 3 series" $?

"$SACCADE" noc --target "$T" --traffic uniform --sweep 0.05:0.6:0.05 "${FAST[@]}" \
	--csv "$tmp/u2.csv" --svg "$tmp/u2.svg" >/dev/null 2>&1 &&
	cmp -s "$tmp/u.csv" "$tmp/u2.csv" && cmp -s "$tmp/u.svg" "$tmp/u2.svg"
check "sweep: CSV and SVG reproducible" $?

"$SACCADE" noc --target "$T" --traffic neighbour --sweep 0.1:0.3:0.1 "${FAST[@]}" --json >"$tmp/n.json"
rc=$?
"$PY" - "$tmp/n.json" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
assert [p["offered"] for p in j["points"]] == [0.1, 0.2, 0.3]
assert j["saturation"]["reached"] is False and j["saturation"]["last_stable_rate"] == 0.3
assert all(p["hops_avg"] == 1 for p in j["points"])
PYEOF
check "sweep --json below saturation (neighbour): exit $rc, 3 stable points" $(( rc != 0 || $? != 0 ))

# --- errors ----------------------------------------------------------------
expect "unknown pattern" 2 "unknown traffic pattern 'diagonal'" --traffic diagonal --rate 0.1
expect "rate 0" 2 "rate must be in (0, 1]" --traffic uniform --rate 0
expect "rate 1.5" 2 "got 1.5" --traffic uniform --rate 1.5
expect "rate not a number" 2 "--rate wants a number" --traffic uniform --rate fast
expect "length 0" 2 "packet length must be in [1, 65536] flits, got 0" --traffic uniform --rate 0.1 --length 0
expect "measure 0" 2 "measurement must be in" --traffic uniform --rate 0.1 --measure 0
expect "hotspot fraction" 2 "hotspot fraction must be a number in [0, 1]" --traffic hotspot:1.5 --rate 0.1
expect "no rate" 2 "missing --rate" --traffic uniform
expect "rate and sweep" 2 "not both" --traffic uniform --rate 0.1 --sweep 0.1:0.2:0.1
expect "bad sweep" 2 "--sweep wants R0:R1:STEP" --traffic uniform --sweep 0.1
expect "sweep step 0" 2 "STEP must be > 0" --traffic uniform --sweep 0.1:0.2:0
expect "no pattern" 2 "missing --traffic" --rate 0.1
expect "unknown option" 2 "unknown option" --traffic uniform --rate 0.1 --fast
expect "bad mesh" 2 "--mesh wants WxH" --traffic uniform --rate 0.1 --mesh 8
expect "bitcomp on 3x3" 1 "bitcomp traffic needs a power-of-two number of nodes" --traffic bitcomp --rate 0.1 --mesh 3x3
expect "transpose on 4x2" 1 "transpose traffic needs a square mesh, got 4x2" --traffic transpose --rate 0.1 --mesh 4x2
expect "hotspot off the mesh" 1 "--hotspot 9,9 is not on the 4x4 mesh" --traffic hotspot --rate 0.1 --mesh 4x4 --hotspot 9,9
expect "--hotspot without hotspot" 2 "--hotspot X,Y goes with --traffic hotspot" --traffic uniform --rate 0.1 --hotspot 1,1
expect "missing target" 1 "$tmp/none.yaml" --target "$tmp/none.yaml" --traffic uniform --rate 0.1
sed 's/buffer_depth: 4 /buffer_depth: 0 /' "$T" >"$tmp/zero.yaml"
grep -q "buffer_depth: 0 " "$tmp/zero.yaml"
check "zero-buffer target prepared" $?
expect "zero buffers" 1 "noc.buffer_depth" --target "$tmp/zero.yaml" --traffic uniform --rate 0.1
expect "unwritable CSV" 1 "$tmp/no/dir/c.csv" --target "$T" --traffic uniform --sweep 0.1:0.1:0.1 "${FAST[@]}" --csv "$tmp/no/dir/c.csv"

"$SACCADE" help noc >"$tmp/help.txt"
rc=$?
grep -q "^SYNOPSIS" "$tmp/help.txt" && grep -q -- "--sweep R0:R1:STEP" "$tmp/help.txt" &&
	grep -q "^EXIT STATUS" "$tmp/help.txt" && grep -q "bitcomp" "$tmp/help.txt"
check "help noc: exit $rc, synopsis, patterns, exit status" $(( rc != 0 || $? != 0 ))
"$SACCADE" --help | grep -q "^  noc "
check "saccade --help lists noc" $?

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
