#!/usr/bin/env bash
# map_svg.sh: `saccade map NET.sac --svg MAP.svg` draws the PE map.  For a
# small TNAS-ER genome compiled for the 8x8 test target, the SVG must be
# well-formed XML with one PE square per mesh node, a legend entry (with
# the right PE count) for every layer the table prints, links whose traffic
# is non-zero somewhere and sums to the optimised hop-weighted cost the
# table reports; the output must be byte-for-byte reproducible; and an
# --svg path that cannot be created must fail with exit 1 naming it.
set -u
SACCADE=${SACCADE:-${abs_top_builddir:-.}/saccade}
PY=${PYTHON:-/usr/bin/python3}
SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sac_map_svg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, condition result
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); echo "FAIL $1"; fi
}
d=$tmp/m
if ! "$SACCADE" zoo tnas-er --genome 3s-35 --input 4x32x32 --calib-count 4 \
	-o "$d" >/dev/null; then
	check "zoo tnas-er 3s-35" 1
	echo "$pass passed, $fail failed"; exit 1
fi
"$SACCADE" compile "$d/model.yaml" --weights "$d/weights.npz" \
	--target "$SRC/examples/targets/small.yaml" -o "$d/net.sac" >/dev/null
check "compile for small.yaml" $?

"$SACCADE" map "$d/net.sac" --svg "$d/map.svg" >"$d/table.txt" 2>"$d/err.txt"
rc=$?
check "map --svg exits 0 (exit $rc)" $rc
grep -q "^PE (x,y)" "$d/table.txt"
check "map --svg still prints the table" $?

"$PY" - "$d/map.svg" "$d/table.txt" <<'PYEOF'
import re, sys
import xml.etree.ElementTree as ET
svg, table = sys.argv[1], open(sys.argv[2]).read().splitlines()
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(svg).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
text = open(svg).read()
assert "<script" not in text and "xlink:href" not in text and "@import" not in text

# The table: "PE map: U of N PEs (WxH mesh), ..." then one line per PE.
m = re.match(r"PE map: (\d+) of (\d+) PEs \((\d+)x(\d+) mesh\)", table[1])
assert m, table[1]
used, npe, w, h = map(int, m.groups())
assert (npe, w, h) == (64, 8, 8), (npe, w, h)
start = next(i for i, l in enumerate(table) if l.startswith("PE (x,y)")) + 1
rows = [l.split() for l in table[start:] if l.startswith("(")]
assert len(rows) == used, (len(rows), used)
pes_per_layer = {}
for r in rows:
    pes_per_layer[r[1]] = pes_per_layer.get(r[1], 0) + 1
cost = int(next(re.search(r"optimised (\d+)", l).group(1) for l in table if "optimised" in l))

# One PE group per mesh node, each with exactly one square.
pes = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "pe"]
assert len(pes) == 64, len(pes)
assert sorted(int(g.get("data-pe")) for g in pes) == list(range(64))
for g in pes:
    assert len(g.findall("s:rect", ns)) == 1, g.get("data-pe")
assert sum(1 for g in pes if g.get("data-layer") is not None) == used

# A legend entry for every layer in the table, with its PE count.
leg = {g.get("data-name"): int(g.get("data-pes"))
       for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "legend-layer"}
assert leg == pes_per_layer, (leg, pes_per_layer)

# Links: every directed neighbour pair once; some carry traffic; the sum
# over links is the hop-weighted cost (each route counted once per hop).
links = [e for e in root.iter() if e.get("class") == "link"]
assert len(links) == 2 * ((w - 1) * h + w * (h - 1)), len(links)
traffic = [int(e.get("data-traffic")) for e in links]
assert max(traffic) > 0
assert sum(traffic) == cost, (sum(traffic), cost)
for e in links:
    a, b = int(e.get("data-from")), int(e.get("data-to"))
    assert abs(a % w - b % w) + abs(a // w - b // w) == 1, (a, b)
scale = [e for e in root.iter() if e.get("class") == "traffic-scale"][0]
assert int(scale.get("data-max")) == max(traffic)

title = "".join(t for e in root.iter() if e.get("class") == "title" for t in e.itertext())
assert "tnas-er-3s-35" in title and "8x8" in title and f"{used} of 64" in title, title
PYEOF
check "SVG: 64 PE squares, legend == table layers, link traffic sums to the cost" $?

"$SACCADE" map "$d/net.sac" --svg "$d/map2.svg" >/dev/null 2>&1 &&
	cmp -s "$d/map.svg" "$d/map2.svg"
check "SVG output is deterministic" $?

bad=$tmp/no/such/dir/map.svg
"$SACCADE" map "$d/net.sac" --svg "$bad" >/dev/null 2>"$d/err.txt"
rc=$?
grep -qF "$bad" "$d/err.txt"
check "unwritable --svg path: exit 1 (got $rc) naming the path" $(( rc != 1 || $? != 0 ))

"$SACCADE" map "$d/net.sac" --svg >/dev/null 2>&1
rc=$?
check "--svg without a value: exit 2 (got $rc)" $(( rc != 2 ))

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
