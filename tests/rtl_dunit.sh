#!/usr/bin/env bash
# rtl_dunit.sh: the SystemVerilog dense unit (rtl/dense_unit.sv) against the
# C model of the dense unit (sac_dunit_exec, dense/dunit.c), instruction by
# instruction (docs/RTL.md, "Dense unit").  It lints the unit with
# `verilator --lint-only -Wall` (the default target's lanes and two extreme
# settings), builds the SystemC co-simulation rtl/dunit_cosim.cpp with
# Verilator, and runs: seeded random instructions of every compute opcode,
# some with a MAC input beyond its declared width that both sides must
# refuse (three seeds); networks lowered by sac_dlower (small ones: row
# tiles; column tiles with RECVs; the conv / dwconv / scan / mjos /
# gate_mix / layernorm / softmax / top-k MoE shapes in int8 and int16;
# and the reduced MCO-E head of the unit tests in int8 and int16 mode)
# whose every unit instruction is run on both sides and whose output must
# equal sac_dsim_run's; and a deliberate fault on the C side that must be
# reported as a divergence with exit 1.  Every instruction compares the
# cycles, every action counter and every data-memory word.
#
# Needs what configure found: VERILATOR (exit 77, skipped, without it),
# SystemC, the generated rtl/saccade_pkg.sv and rtl/libsaccade-rtl.a in the
# build tree.  Skipped in a sanitizer build: the Verilated model is not
# instrumented, and the library archive would need the sanitizer runtime.
set -u
SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
BLD=${abs_top_builddir:-.}
VERILATOR=${VERILATOR:-}
if [ -z "$VERILATOR" ]; then
	echo "rtl_dunit: no Verilator (configure did not find it): skipped"
	exit 77
fi
case " ${RTL_BUILD_CFLAGS:-} " in *-fsanitize*)
	echo "rtl_dunit: sanitizer build: skipped (the plain build runs it)"
	exit 77 ;;
esac
pkg=$BLD/rtl/saccade_pkg.sv
lib=$BLD/rtl/libsaccade-rtl.a
work=$BLD/tests/tmp/rtl_dunit
mkdir -p "$work"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=${SYSTEMC_DISABLE_COPYRIGHT_MESSAGE:-1}
pass=0 fail=0
check() { # name, condition result
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); echo "FAIL $1"; fi
}
if [ ! -f "$pkg" ] || [ ! -f "$lib" ]; then
	echo "rtl_dunit: $pkg or $lib missing (run make first)"
	exit 1
fi
rtl="$pkg $SRC/rtl/dense_unit.sv"
start=$(date +%s)

# The build first, in the background; lint meanwhile.  -O1: see rtl_noc.sh.
t0=$(date +%s)
"$VERILATOR" --sc --exe --build -j 2 -Wall $rtl --top-module dense_unit \
	-Mdir "$work/obj" -o dunit_cosim \
	-MAKEFLAGS OPT_FAST=-O1 -MAKEFLAGS OPT_SLOW=-O0 -MAKEFLAGS OPT_GLOBAL=-O1 \
	-CFLAGS "-I$SRC/include -I$SRC ${SYSTEMC_CFLAGS:-}" \
	-LDFLAGS "$lib ${RTL_LIBS:-} -lm -pthread ${SYSTEMC_LIBS:-}" \
	"$SRC/rtl/dunit_cosim.cpp" >"$work/build.log" 2>&1 &
bpid=$!
for g in "" "-GMAC_LANES=1 -GVEC_LANES=1 -GPIPELINE=0 -GNMAX=2 -GDIV_CYCLES=0" \
	"-GMAC_LANES=16 -GVEC_LANES=3 -GPIPELINE=7 -GDWORDS=1000 -GWBYTES=5000 -GNMAX=100 -GDIV_CYCLES=1"; do
	# shellcheck disable=SC2086
	"$VERILATOR" --lint-only -Wall $g $rtl --top-module dense_unit >"$work/lint.log" 2>&1
	rc=$?
	[ $rc = 0 ] || cat "$work/lint.log"
	check "lint -Wall clean: dense_unit ${g:-(default target)}" $rc
done
wait $bpid
rc=$?
[ "$rc" = 0 ] || tail -n 40 "$work/build.log"
check "Verilator + SystemC build ($(( $(date +%s) - t0 ))s)" "$rc"
if [ "$rc" = 0 ]; then
	run() { # expected exit, arguments
		local want=$1; shift
		"$work/obj/dunit_cosim" "$@" >"$work/run.log" 2>&1
		local rc=$?
		grep -E '^(DIVERGENCE|  |fault|layer|mamba|head)' "$work/run.log"
		local last
		last=$(grep -E 'identical|DIVERGED' "$work/run.log" | tail -n 1)
		check "dunit_cosim $* -> exit $rc (want $want): ${last:-no summary}" $(( rc != want ))
	}
	run 0 --test random --seed 1 --count 2000
	run 0 --test random --seed 2 --count 2000
	run 0 --test random --seed 3 --count 2000
	run 0 --test layer --seed 1
	run 0 --test layer --seed 2
	run 0 --test mamba --seed 1
	run 0 --test mamba --seed 2
	run 0 --test mamba16 --seed 3
	run 0 --test mamba16 --seed 4
	run 0 --test head --seed 5
	run 0 --test head16 --seed 3
	run 1 --test fault --seed 4 --count 500 --fault-at 123
fi
echo "rtl_dunit: $(( $(date +%s) - start ))s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
