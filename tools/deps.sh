# shellcheck shell=bash
# tools/deps.sh: sourced by quickstart.sh and test.sh.  Installs the Debian 12
# packages Saccade needs, unless they are all present already.
# Needs root for apt-get; a developer with everything installed needs nothing.

SACCADE_DEBS="build-essential autoconf automake libtool pkg-config \
libyaml-dev zlib1g-dev libzip-dev libcjson-dev check \
python3 python3-numpy python3-yaml \
verilator libsystemc-dev yosys"

saccade_deps_missing() {
	local missing="" p
	for p in $SACCADE_DEBS; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed'; then
			missing="$missing $p"
		fi
	done
	# Not a Debian system: fall back to asking pkg-config and the tools.
	if ! command -v dpkg-query >/dev/null 2>&1; then
		missing=""
		for p in yaml-0.1 zlib libzip libcjson check; do
			pkg-config --exists "$p" 2>/dev/null || missing="$missing $p"
		done
		for p in autoreconf libtoolize make cc; do
			command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
		done
	fi
	echo "$missing"
}

saccade_install_deps() {
	local missing
	missing=$(saccade_deps_missing)
	if [ -z "$missing" ]; then
		echo "==> dependencies: all present"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "==> missing:$missing" >&2
		echo "==> not root: install them with" >&2
		echo "    sudo apt-get install$missing" >&2
		return 1
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "==> missing:$missing (no apt-get here; install them by hand)" >&2
		return 1
	fi
	echo "==> installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $SACCADE_DEBS
}
