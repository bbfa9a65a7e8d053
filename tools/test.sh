#!/bin/bash
# tools/test.sh: the README's second command, and what CI runs.  Installs the
# dependencies (as root, when missing), then builds in build/ and runs
# `make check`, then builds in build-asan/ with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs `make check` again.  With
# RUN_DISTCHECK=1 (CI sets it) it also runs `make distcheck`.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
. tools/deps.sh
jobs=${JOBS:-2}

saccade_install_deps

# An in-tree build would stop the VPATH builds below: refuse it clearly.
if [ -f config.status ]; then
	echo "==> the source tree is configured in place; run 'make distclean' first" >&2
	exit 1
fi
echo "==> autogen"
./autogen.sh >/dev/null 2>autogen.log || { cat autogen.log >&2; exit 1; }
rm -f autogen.log

show_logs() { # test-suite.log holds the logs of the failed tests
	[ -f "$1/test-suite.log" ] || return 0
	echo "----- $1/test-suite.log -----"
	cat "$1/test-suite.log"
}

check_in() {
	local dir=$1; shift
	echo "==> configure in $dir/ $*"
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" "$@" >configure.out) || {
		cat "$dir/configure.out" "$dir/config.log" >&2 2>/dev/null; return 1; }
	tail -n 12 "$dir/configure.out"
	echo "==> make -j$jobs in $dir/"
	make -C "$dir" -j"$jobs"
	echo "==> make check in $dir/"
	if ! make -C "$dir" -j"$jobs" check; then
		show_logs "$dir"
		echo "==> make check FAILED in $dir/" >&2
		return 1
	fi
}

start=$(date +%s)
# Warnings are errors in the plain build; the sanitizer build can give false
# positives (-Wstringop-overflow and friends) and keeps them as warnings.
check_in build --enable-werror
# The sanitizer build skips the RTL: its tests skip themselves there (a
# Verilated model is not instrumented) and Verilating the chips again
# would cost minutes of CI for nothing.
check_in build-asan --enable-sanitizers --disable-rtl
if [ "${RUN_DISTCHECK:-0}" = 1 ]; then
	echo "==> make distcheck in build/"
	# The RTL's tests ran in build/ above; the tarball's check skips them
	# (README, "Quick start").
	if ! make -C build -j"$jobs" distcheck DISTCHECK_CONFIGURE_FLAGS=--disable-rtl; then
		find build -name test-suite.log -path '*/_build/*' -exec sh -c \
			'echo "----- $1 -----"; cat "$1"' _ {} \;
		echo "==> make distcheck FAILED" >&2
		exit 1
	fi
fi
# One closing line that any reader understands: the tests of both builds.
count() { # count FIELD: sum "# FIELD: n" over both builds' test-suite.log
	cat build/test-suite.log build-asan/test-suite.log |
		awk -v f="# $1:" '$1 " " $2 == f { n += $3 } END { print n + 0 }'
}
echo "==> all tests passed ($(( $(date +%s) - start ))s)"
echo "tests: $(count PASS) passed, $(( $(count FAIL) + $(count ERROR) + $(count XPASS) )) failed, $(count SKIP) skipped"
