#!/bin/bash
# tools/quickstart.sh: the README's first command.  On a fresh Debian 12
# machine, as root: install the dependencies, build Saccade, write the
# canonical TNAS-ER network, run the reference executors on it (prints each
# input's class and the int/TTFS agreement), then compile it for the default
# target and simulate one input (prints class, latency and energy).  As a
# developer with the dependencies installed, it just builds and runs.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/deps.sh

saccade_install_deps

# Build out of tree in build/ (tools/test.sh uses the same directory).
echo "==> building in build/"
if [ -f config.status ]; then
	# Configured in place by hand: use that build.
	make -j2
	sac=./saccade
else
	[ -x configure ] || ./autogen.sh
	mkdir -p build
	[ -f build/Makefile ] || (cd build && ../configure)
	make -C build -j2
	sac=build/saccade
fi

echo "==> $sac zoo tnas-er --genome see -o build-example/see"
"$sac" zoo tnas-er --genome see -o build-example/see
echo "==> $sac ref (float, int, ttfs) on build-example/see/sample.npy"
"$sac" ref build-example/see/model.yaml \
	--weights build-example/see/weights.npz \
	--input build-example/see/sample.npy --mode all

# The hardware: compile for the default target (examples/targets/yoso.yaml)
# and simulate the first sample cycle by cycle: class, latency and energy,
# checked spike for spike against ref-int.
echo "==> $sac compile build-example/see/model.yaml -o build-example/see.sac"
"$sac" compile build-example/see/model.yaml \
	--weights build-example/see/weights.npz -o build-example/see.sac
echo "==> $sac sim build-example/see.sac (sample 0)"
"$sac" sim build-example/see.sac --input build-example/see/sample.npy \
	--index 0 --check --quiet
