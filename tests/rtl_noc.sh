#!/usr/bin/env bash
# rtl_noc.sh: the SystemVerilog mesh (rtl/) against the C NoC model, cycle
# for cycle (docs/RTL.md).  For three small meshes with different router
# parameters it lints the RTL with `verilator --lint-only -Wall`, builds the
# SystemC co-simulation rtl/noc_cosim.cpp with Verilator, and runs seeded
# random traffic (1-flit and multi-flit), every source-destination pair
# alone (every direction; zero-load latency), a hotspot whose PE stops
# consuming (back-pressure, stall report, recovery), every turn at one
# router under simultaneous contention (turns) and a deliberate fault
# that must be reported as a divergence with exit 1.  Every run compares
# each ejection and injection in every cycle, and the per-router counters
# at the end.
#
# Needs what configure found: VERILATOR (exit 77, skipped, without it),
# SystemC, the generated rtl/saccade_pkg.sv in the build tree.  Skipped in
# a sanitizer build: the Verilated model is not instrumented, so the run
# would repeat the plain build's.
set -u
SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
BLD=${abs_top_builddir:-.}
VERILATOR=${VERILATOR:-}
CC=${RTL_CC:-cc}
if [ -z "$VERILATOR" ]; then
	echo "rtl_noc: no Verilator (configure did not find it): skipped"
	exit 77
fi
case " ${RTL_BUILD_CFLAGS:-} " in *-fsanitize*)
	echo "rtl_noc: sanitizer build: skipped (the plain build runs it)"
	exit 77 ;;
esac
pkg=$BLD/rtl/saccade_pkg.sv
work=$BLD/tests/tmp/rtl_noc
mkdir -p "$work"
pass=0 fail=0
check() { # name, condition result
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); echo "FAIL $1"; fi
}
rtl="$pkg $SRC/rtl/pipe.sv $SRC/rtl/router.sv $SRC/rtl/mesh.sv"

# The C model, compiled without the build's sanitizer flags (the harness
# links it into a Verilator-built C++ program).
ref=$work/libnocref.a
$CC -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I"$SRC/include" -I"$SRC" \
	-c "$SRC/sim/noc.c" -o "$work/noc.o" &&
	$CC -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I"$SRC/include" -I"$SRC" \
		-c "$SRC/common/err.c" -o "$work/err.o" &&
	ar rcs "$ref" "$work/noc.o" "$work/err.o"
check "C model compiled for the harness" $?

# name W H VCS D route vc switch xbar link credit in_fifo out_fifo
configs=(
	"default 4 4 2 4 1 1 1 1 1 1 16 16"
	"fast 3 3 3 2 0 0 1 1 1 2 2 3"
	"slow 2 2 1 1 2 2 2 2 2 3 1 1"
)
# name -> -G parameters for Verilator and -D COSIM_* for the harness
params() {
	set -- $1
	W=$2 H=$3 V=$4 D=$5 RD=$6 VD=$7 SD=$8 XD=$9 LD=${10} CD=${11} IN=${12} OUT=${13}
	G="-GW=$W -GH=$H -GVCS=$V -GBUFFER_DEPTH=$D -GROUTE_DELAY=$RD -GVC_DELAY=$VD \
-GSWITCH_DELAY=$SD -GXBAR_DELAY=$XD -GLINK_DELAY=$LD -GCREDIT_DELAY=$CD \
-GIN_FIFO=$IN -GOUT_FIFO=$OUT"
	DEF="-DCOSIM_W=$W -DCOSIM_H=$H -DCOSIM_VCS=$V -DCOSIM_D=$D -DCOSIM_RD=$RD \
-DCOSIM_VD=$VD -DCOSIM_SD=$SD -DCOSIM_XD=$XD -DCOSIM_LD=$LD -DCOSIM_CD=$CD \
-DCOSIM_IN_FIFO=$IN -DCOSIM_OUT_FIFO=$OUT"
	tag="$1 ${W}x$H V=$V D=$D rd=$RD vd=$VD sd=$SD xd=$XD ld=$LD cd=$CD in=$IN out=$OUT"
}
build() { # config: Verilate and compile; the log says how long it took
	params "$1"
	local name=${1%% *} t0
	t0=$(date +%s)
	# The generated model is large straight-line code: -O1 compiles in
	# half the time of Verilator's default -Os and runs as fast here.
	# shellcheck disable=SC2086
	"$VERILATOR" --sc --exe --build -j 1 -Wall $G $rtl --top-module mesh \
		-Mdir "$work/obj_$name" -o noc_cosim \
		-MAKEFLAGS OPT_FAST=-O1 -MAKEFLAGS OPT_SLOW=-O0 -MAKEFLAGS OPT_GLOBAL=-O1 \
		-CFLAGS "-I$SRC/include -I$SRC $DEF ${SYSTEMC_CFLAGS:-}" \
		-LDFLAGS "$ref ${SYSTEMC_LIBS:-}" \
		"$SRC/rtl/noc_cosim.cpp" >"$work/build_$name.log" 2>&1
	local rc=$?
	echo "$rc $(( $(date +%s) - t0 ))" >"$work/build_$name.rc"
}

start=$(date +%s)
# The three builds are mostly one large file each: build them side by side.
pids=()
for c in "${configs[@]}"; do
	build "$c" &
	pids+=($!)
done
for c in "${configs[@]}"; do
	params "$c"
	name=${c%% *}
	# shellcheck disable=SC2086
	"$VERILATOR" --lint-only -Wall $G $rtl --top-module mesh >"$work/lint_$name.log" 2>&1
	rc=$?
	[ $rc = 0 ] || cat "$work/lint_$name.log"
	check "lint -Wall clean: $tag" $rc
done
wait "${pids[@]}"
for c in "${configs[@]}"; do
	params "$c"
	name=${c%% *}
	obj=$work/obj_$name
	read -r rc secs <"$work/build_$name.rc"
	[ "$rc" = 0 ] || tail -n 40 "$work/build_$name.log"
	check "Verilator + SystemC build (${secs}s): $tag" "$rc"
	[ "$rc" = 0 ] || continue
	run() { # expected exit, arguments
		local want=$1; shift
		"$obj/noc_cosim" "$@" >"$work/run.log" 2>&1
		local rc=$?
		grep -E '^(DIVERGENCE|  expected|  got|hotspot|turns)' "$work/run.log"
		local last
		last=$(grep -E 'identical|DIVERGED' "$work/run.log" | tail -n 1)
		check "cosim $* -> exit $rc (want $want): ${last:-no summary}" $(( rc != want ))
	}
	run 0 --test random --seed 1 --cycles 3000 --rate 0.2
	run 0 --test random --seed 2 --cycles 3000 --rate 0.3 --pop 0.4 --max-flits 9
	run 0 --test pairs --seed 3 --max-flits 6
	run 0 --test hotspot --seed 4 --cycles 400 --max-flits 3
	run 0 --test turns --seed 6 --pop 0.5 --max-flits 4
	run 1 --test fault --seed 5 --cycles 2000 --rate 0.2
done
echo "rtl_noc: $(( $(date +%s) - start ))s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
