#!/usr/bin/env bash
# synth.sh: `make synth`: yosys synthesis of the router and the PE with the
# default target's parameters, and a cell and area estimate of each
# (docs/SYNTH.md).
#
# For every configuration it reads rtl/saccade_pkg.sv and the module's
# sources, sets the parameters with chparam, runs rtl/synth.ys (yosys's
# generic synth without memory_map, gates of yosys's internal library) and
# reports: logic cells by type, flip-flops, the arrays kept as memories
# (words x bits, ports) and the transistor count of `stat -tech cmos`
# (yosys's CMOS cost per gate: NOT 2, NAND/NOR 4, AND/OR/ANDNOT/ORNOT 6,
# XOR/XNOR/MUX 12, DFF 16) with NAND2 equivalents = transistors / 4.
# Memories are not in that count.  $div/$mod cells are mapped once per
# shape on their own (synth) and counted as often as they occur.
# It is an estimate of logic size, not of a layout's area.
#
# yosys 0.23 (Debian 12) reads neither `int'(x)` nor a cast to a literal
# size `8'(x)`: the sources are copied with those written as
# `$signed((32)'(x))` and `(8)'(x)`, which mean the same.  Nor does it read
# an unpacked array parameter with an assignment pattern: the package's
# copy leaves out the dense unit's exp2 table (DENSE_EXP2TAB), which no
# synthesised module uses.
#
# Usage: tools/synth.sh BUILD_DIR [CONFIG...]; CONFIG is router, router-1vc
# or pe (default: all three).  Needs YOSYS (default: yosys) and PERL.
# Writes SYNTH_DIR (default BUILD_DIR/synth)/CONFIG/{yosys.log,
# synth-stat.txt, details.md, ...} and SYNTH_DIR/report.md, which it prints.
set -euo pipefail
B=$(cd "${1:?usage: synth.sh BUILD_DIR [CONFIG...]}" && pwd)
shift
SRC=$(cd "$(dirname "$0")/.." && pwd)
YOSYS=${YOSYS:-yosys}
PERL=${PERL:-perl}
configs=${*:-router router-1vc pe}
pkg=$B/rtl/saccade_pkg.sv
[ -f "$pkg" ] || { echo "synth: $pkg not found; run make first" >&2; exit 1; }
gen=$B/tools/gen_rtlparams
[ -x "$gen" ] || { echo "synth: $gen not found; run make first" >&2; exit 1; }
target=$SRC/examples/targets/yoso.yaml
O=${SYNTH_DIR:-$B/synth}
mkdir -p "$O" && O=$(cd "$O" && pwd)
mkdir -p "$O/src"

# The sources as yosys 0.23 reads them.
for f in "$pkg" "$SRC/rtl/pipe.sv" "$SRC/rtl/router.sv" "$SRC/rtl/pe.sv"; do
	"$PERL" -pe "1 while s/(?<![\\w'])int'(\\((?:[^()]++|(?1))*\\))/\\\$signed((32)'\$1)/g;" \
		-e "s/(?<![\\w'])(\\d+)'\\(/(\$1)'(/g;" "$f" >"$O/src/$(basename "$f")"
done
"$PERL" -0pi -e 's/^[^\n]*\bDENSE_EXP2TAB\b.*?\};\n//ms' "$O/src/saccade_pkg.sv"
! grep -q DENSE_EXP2TAB "$O/src/saccade_pkg.sv" ||
	{ echo "synth: could not remove DENSE_EXP2TAB from the package copy" >&2; exit 1; }
# The default target's parameters (the ones the RTL chip is built with).
"$gen" "$target" "$O/target" >/dev/null
tparam() { sed -n "s/^-G$1=//p" "$O/target.vc"; }
chparams() { # module, parameter names: chparam commands for them
	local m=$1 p out=""
	shift
	for p in "$@"; do out="$out chparam -set $p $(tparam "$p") $m;"; done
	echo "$out"
}
RP="VCS BUFFER_DEPTH ROUTE_DELAY VC_DELAY SWITCH_DELAY XBAR_DELAY CREDIT_DELAY IN_FIFO OUT_FIFO"
PP="NEURONS WEIGHT_BYTES WEIGHT_WIDTH LANES ROUTE_ENTRIES PIPELINE MAX_STEPS"
plist() { local p s=""; for p in "$@"; do s="$s $p=$(tparam "$p")"; done; echo "${s# }"; }

# run NAME FILES PARAMS: yosys in $O/NAME; prints its CPU seconds (user +
# system).
run() {
	local d=$O/$1 TIMEFORMAT='%U %S' tm
	mkdir -p "$d"
	tm=$( { time (cd "$d" && "$YOSYS" -q -l yosys.log -p "read_verilog -sv $2; $3 script $SRC/rtl/synth.ys" \
		>/dev/null 2>&1) ; } 2>&1 ) || { echo "synth: yosys failed for $1: see $d/yosys.log" >&2; exit 1; }
	awk '{printf "%.0f\n", $1 + $2}' <<<"$tm"
}

# op_cost SHAPE: transistors of one $div/$mod of that shape mapped alone.
op_cost() {
	local s=$1 d=$O/ops/$1 op sa aw sb bw yw
	IFS=_ read -r op sa aw sb bw yw <<<"$s"
	if [ ! -f "$d/t" ]; then
		mkdir -p "$d"
		local sym=/; [ "$op" = mod ] && sym=%
		cat >"$d/op.v" <<EOF
module op(input $( [ "$sa" = 1 ] && echo signed) [$((aw - 1)):0] a,
          input $( [ "$sb" = 1 ] && echo signed) [$((bw - 1)):0] b,
          output [$((yw - 1)):0] y);
  assign y = a $sym b;
endmodule
EOF
		(cd "$d" && "$YOSYS" -q -l yosys.log -p "read_verilog op.v; synth -flatten -top op; tee -o stat.txt stat -tech cmos" >/dev/null)
		sed -n 's/.*Estimated number of transistors: *\([0-9]*\).*/\1/p' "$d/stat.txt" | tail -n 1 >"$d/t"
	fi
	cat "$d/t"
}

# summarise NAME PARAMS CPU: a row of $O/rows.md and $O/NAME/details.md.
summarise() {
	local d=$O/$1 n sh t extra=0 nops=0 logic ff tr bits arrays
	# Cells of the flattened top in the last statistics: "type count".
	awk '/^=== /{delete c} /^ +\$[_a-z]/ && NF == 2 {c[$1] = $2}
		END {for (k in c) print k, c[k]}' "$d/synth-stat.txt" | sort >"$d/cells.txt"
	# Every cell must be a gate, a flip-flop, an SRAM or a $div/$mod.
	if grep -v -E '^\$(_|mem_v2 |div |mod )' "$d/cells.txt" >"$d/unmapped.txt"; then
		echo "synth: $1: cells left unmapped (see $d/unmapped.txt):" $(cat "$d/unmapped.txt") >&2
		exit 1
	fi
	tr=$(sed -n 's/.*Estimated number of transistors: *\([0-9]*\).*/\1/p' "$d/synth-stat.txt" | tail -n 1)
	logic=$(awk '$1 ~ /^\$_/ && $1 != "$_DFF_P_" {s += $2} END {print s + 0}' "$d/cells.txt")
	ff=$(awk '$1 == "$_DFF_P_" {s += $2} END {print s + 0}' "$d/cells.txt")
	# Memories: MEMID SIZE WIDTH RD_PORTS WR_PORTS.
	awk '/^ *cell /{id=""; s=w=r=p=0} /parameter .MEMID/{id=$3; gsub(/[\\"]/, "", id)}
		/parameter .SIZE/{s=$3} /parameter .WIDTH/{w=$3} /parameter .RD_PORTS/{r=$3}
		/parameter .WR_PORTS/{p=$3} /^ *end/{if (id != "") print id, s, w, r, p; id=""}' \
		"$d/synth-mem.txt" | sort >"$d/mem.txt"
	arrays=$(wc -l <"$d/mem.txt")
	bits=$(awk '{s += $2 * $3} END {print s + 0}' "$d/mem.txt")
	# $div/$mod shapes: op_signedA_widthA_signedB_widthB_widthY.
	awk '/^ *cell /{op=$2; sub(/^\$/, "", op); as=bs=aw=bw=yw=0}
		/parameter .A_SIGNED/{as=$3} /parameter .B_SIGNED/{bs=$3} /parameter .A_WIDTH/{aw=$3}
		/parameter .B_WIDTH/{bw=$3} /parameter .Y_WIDTH/{yw=$3}
		/^ *end/{if (op != "") print op "_" as "_" aw "_" bs "_" bw "_" yw; op=""}' \
		"$d/synth-ops.txt" | sort | uniq -c >"$d/shapes.txt"
	: >"$d/ops.txt"
	while read -r n sh; do
		t=$(op_cost "$sh")
		echo "$n $sh $t" >>"$d/ops.txt"
		extra=$((extra + n * t))
		nops=$((nops + n))
	done <"$d/shapes.txt"
	t=$((tr + extra))
	printf '| %s | %s | %d | %d | %d | %d (%d bits) | %d | %d | %d | %s |\n' "$1" "$2" "$logic" "$ff" \
		"$nops" "$arrays" "$bits" "$t" $((t / 4)) "$extra" "$3" >>"$O/rows.md"
	{
		printf '### %s\n\nParameters: %s. yosys CPU time: %s s.\n\n| cell | count |\n|---|---|\n' "$1" "$2" "$3"
		awk '{printf "| `%s` | %d |\n", $1, $2}' "$d/cells.txt"
		printf '\nTransistors (stat -tech cmos) of the mapped cells: %d\n' "$tr"
		if [ "$nops" != 0 ]; then
			printf '\n$div/$mod cells, one of each shape mapped alone (shape: op, signed A, width A, signed B, width B, width Y):\n\n'
			printf '| count | shape | transistors each |\n|---|---|---|\n'
			awk '{printf "| %d | %s | %d |\n", $1, $2, $3}' "$d/ops.txt"
		fi
		if [ "$arrays" != 0 ]; then
			printf '\nMemories (not in the transistor count):\n\n| array | words x bits | bits | ports |\n|---|---|---|---|\n'
			awk '{printf "| %s | %d x %d | %d | %d R, %d W |\n", $1, $2, $3, $2 * $3, $4, $5}' "$d/mem.txt"
		fi
		echo
	} >"$d/details.md"
}

: >"$O/rows.md"
for c in $configs; do
	case $c in
	router) cpu=$(run "$c" "$O/src/saccade_pkg.sv $O/src/pipe.sv $O/src/router.sv" "$(chparams router $RP)")
		summarise "$c" "$(plist $RP)" "$cpu" ;;
	router-1vc) cpu=$(run "$c" "$O/src/saccade_pkg.sv $O/src/pipe.sv $O/src/router.sv" \
			"$(chparams router $RP) chparam -set VCS 1 router;")
		summarise "$c" "$(plist $RP | sed 's/VCS=[0-9]*/VCS=1/')" "$cpu" ;;
	pe) cpu=$(run "$c" "$O/src/saccade_pkg.sv $O/src/pe.sv" "$(chparams pe $PP)")
		summarise "$c" "$(plist $PP)" "$cpu" ;;
	*) echo "synth: unknown configuration $c (router, router-1vc, pe)" >&2; exit 1 ;;
	esac
done

{
	echo "# make synth: $(date -u '+%Y-%m-%d %H:%M UTC'), $("$YOSYS" -V)"
	echo
	echo "Target: examples/targets/yoso.yaml. Estimate: yosys generic gates, stat -tech cmos transistors; NAND2 eq. = transistors / 4; memories in bits, not in the estimate."
	echo
	echo "| configuration | parameters | logic cells | flip-flops | \$div/\$mod cells | memories | transistors | NAND2 eq. | of which \$div/\$mod | yosys CPU s |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	cat "$O/rows.md"
	echo
	for c in $configs; do cat "$O/$c/details.md"; done
} >"$O/report.md"
cat "$O/report.md"
