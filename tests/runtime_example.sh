#!/usr/bin/env bash
# runtime_example.sh: the C API as an outside program uses it.  Installs
# the build into a staging directory (make install DESTDIR=...), builds
# examples/runtime/classify with its own Makefile through
# `pkg-config --cflags --libs saccade` (PKG_CONFIG_PATH and
# PKG_CONFIG_SYSROOT_DIR pointing into the staging directory), and runs it
# on a small image: it must print the class that `saccade sim` gives on
# the same framed events, and fail cleanly on a missing file.
set -u
SACCADE=${SACCADE:-${abs_top_builddir:-.}/saccade}
BUILD=${abs_top_builddir:-.}
SRC=${abs_top_srcdir:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sac_rt_example.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, condition result
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"
	else fail=$((fail + 1)); echo "FAIL $1"; fi
}
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }

# A make of our own, not the test harness's (its jobserver and flags).
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$BUILD" install DESTDIR="$tmp/dest" \
	>"$tmp/install.log" 2>&1
check "make install DESTDIR=..." $?
pc=$(find "$tmp/dest" -name saccade.pc | head -n 1)
[ -n "$pc" ] && [ -n "$(find "$tmp/dest" -name 'runtime.h' -path '*saccade/*')" ]
check "installed saccade.pc and saccade/runtime.h" $?
[ -n "$pc" ] || finish
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$tmp/dest
libdir=$(dirname "$(find "$tmp/dest" -name 'libsaccade.so' | head -n 1)")

# The sanitizer build's library needs its runtime in the program too.
extra=""
if ldd "$BUILD/.libs/libsaccade.so" 2>/dev/null | grep -q libasan; then
	extra="-fsanitize=address,undefined -fno-omit-frame-pointer"
fi
mkdir -p "$tmp/ex"
cp "$SRC/examples/runtime/classify.c" "$SRC/examples/runtime/Makefile" "$tmp/ex/"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$tmp/ex" \
	CFLAGS="-O1 -Wall -Wextra -Werror $extra" LDFLAGS="$extra" >"$tmp/ex.log" 2>&1
rc=$?
[ $rc = 0 ] || cat "$tmp/ex.log"
check "the example builds with pkg-config --cflags --libs saccade (-Wall -Wextra -Werror)" $rc
grep -q -- "-I$tmp/dest" "$tmp/ex.log" && grep -q -- "-L$tmp/dest" "$tmp/ex.log"
check "it compiled and linked against the staged install" $?
[ -x "$tmp/ex/classify" ] || finish

"$SACCADE" zoo tnas-er --genome 3s --input 4x16x16 --seed 3 --calib-count 4 \
	-o "$tmp/zoo" >/dev/null &&
"$SACCADE" compile "$tmp/zoo/model.yaml" --weights "$tmp/zoo/weights.npz" \
	--target "$SRC/examples/targets/tiny.yaml" -o "$tmp/net.sac" >/dev/null &&
"$SACCADE" events synth --class anger --lighting lowlight --seed 4 --duration 0.42 \
	-o "$tmp/ev.npy" >/dev/null &&
"$SACCADE" events frames "$tmp/ev.npy" --size 16x16 -o "$tmp/x.npy" >/dev/null
check "a small image and a recording" $?
LD_LIBRARY_PATH=$libdir "$tmp/ex/classify" "$tmp/net.sac" "$tmp/ev.npy" >"$tmp/out" 2>&1
check "classify runs (exit $?)" $?
cat "$tmp/out"
want=$("$SACCADE" sim "$tmp/net.sac" --input "$tmp/x.npy" --quiet | sed -n 's/^class \([0-9]*\) .*/\1/p')
grep -q "(class $want)" "$tmp/out"
check "classify gives the class saccade sim gives ($want)" $?
cyc=$("$SACCADE" sim "$tmp/net.sac" --input "$tmp/x.npy" --quiet | sed -n 's/^latency: \([0-9]*\) cycles.*/\1/p')
grep -q " $cyc cycles" "$tmp/out"
check "and the same cycles ($cyc)" $?
LD_LIBRARY_PATH=$libdir "$tmp/ex/classify" "$tmp/net.sac" "$tmp/none.npy" >"$tmp/out" 2>&1
[ $? = 1 ] && grep -q "none.npy: cannot open" "$tmp/out"
check "a missing file: exit 1 with the library's message" $?
LD_LIBRARY_PATH=$libdir "$tmp/ex/classify" "$tmp/zoo/model.yaml" "$tmp/ev.npy" >"$tmp/out" 2>&1
[ $? = 1 ] && grep -q "not a Saccade image" "$tmp/out"
check "not an image: exit 1 with the library's message" $?
finish
