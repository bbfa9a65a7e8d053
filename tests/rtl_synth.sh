#!/usr/bin/env bash
# rtl_synth.sh: the router synthesises with yosys (docs/SYNTH.md): the flow
# of `make synth` (tools/synth.sh, rtl/synth.ys) for the router with the
# default target's parameters must end with a non-zero number of logic
# cells and flip-flops, every array mapped (a router has no SRAM), no
# $div/$mod left and a transistor estimate.  About 45 s of CPU.
#
# Needs what configure found: YOSYS (exit 77, skipped, without it), PERL;
# the generated rtl/saccade_pkg.sv and tools/gen_rtlparams in the build
# tree.  Skipped in a sanitizer build: yosys is not instrumented, so the
# run would repeat the plain build's.
set -u
SRC=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
BLD=${abs_top_builddir:-.}
if [ -z "${YOSYS:-}" ]; then
	echo "rtl_synth: no yosys (configure did not find it): skipped"
	exit 77
fi
case " ${RTL_BUILD_CFLAGS:-} " in *-fsanitize*)
	echo "rtl_synth: sanitizer build: skipped (the plain build runs it)"
	exit 77 ;;
esac
work=$BLD/tests/tmp/rtl_synth
rm -rf "$work"
mkdir -p "$work"
pass=0 fail=0
check() { # name, condition result
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); echo "FAIL $1"; fi
}

SYNTH_DIR=$work YOSYS=$YOSYS PERL=${PERL:-perl} bash "$SRC/tools/synth.sh" "$BLD" router >"$work/out" 2>&1
rc=$?
check "synth.sh router exits 0" $rc
[ $rc = 0 ] || tail -n 20 "$work/out"
# | router | params | logic | flip-flops | div/mod | memories (bits) | transistors | NAND2 | of which | cpu |
row=$(grep '^| router |' "$work/report.md" 2>/dev/null)
echo "$row"
field() { awk -F'|' -v i="$1" '{gsub(/ /, "", $i); print $i}' <<<"$row"; }
logic=$(field 4) ff=$(field 5) ops=$(field 6) mem=$(field 7) tr=$(field 8)
[ "${logic:-0}" -gt 0 ] 2>/dev/null
check "logic cells > 0 ($logic)" $?
[ "${ff:-0}" -gt 0 ] 2>/dev/null
check "flip-flops > 0 ($ff)" $?
[ "$ops" = 0 ]
check "no \$div/\$mod cells ($ops)" $?
[ "$mem" = "0(0bits)" ]
check "every array mapped to flip-flops ($mem)" $?
[ "${tr:-0}" -gt "${logic:-0}" ] 2>/dev/null
check "transistor estimate > logic cells ($tr)" $?
grep -q '^| `\$_DFF_P_` |' "$work/router/details.md" 2>/dev/null
check "cell table lists \$_DFF_P_" $?

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
