#!/bin/bash
# tools/quickstart.sh: the README's first command.  On a fresh Debian 12
# machine, as root: install the dependencies, build Saccade, write the
# canonical TNAS-ER network and run the reference executors on it (prints
# each input's class and the int/TTFS agreement).  As a developer with the
# dependencies installed, it just builds and runs.
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
