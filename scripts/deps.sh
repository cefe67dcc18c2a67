#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs the Debian packages memscope needs that this machine lacks.
#   scripts/deps.sh [build|test|bench]...   default: build test
# Quiet and fast when everything is present; needs root only to install.
set -eu

build="clang llvm make gcc g++ pkg-config libbpf-dev libelf-dev zlib1g-dev bpftool libncurses-dev libdw-dev liblzma-dev libmicrohttpd-dev"
test="jq bpftool util-linux procps tmux python3 libc6-dbg prometheus curl"
bench="bpftrace time linux-perf python3"

groups=${*:-build test}
want=
for g in $groups; do
	case $g in
	build) want="$want $build" ;;
	test) want="$want $test" ;;
	bench) want="$want $build $test $bench" ;;
	*) echo "deps.sh: unknown group '$g' (build, test, bench)" >&2; exit 2 ;;
	esac
done

missing=
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages:$missing; run as root (sudo make ...) to install them" >&2
	exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
