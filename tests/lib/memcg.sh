# SPDX-License-Identifier: BSD-2-Clause
# Swap and memory-cgroup fixtures for reclaim and swap-in tests: sourced,
# after tests/lib/common.sh. Works with cgroup v1 (memory hierarchy at
# /sys/fs/cgroup/memory, as on the development host) and cgroup v2 (the 6.1
# guest). Everything made here is undone by memcg_cleanup, which the test
# must run on every exit path:  trap memcg_cleanup EXIT
#
#   swap_on MB          adds a swapfile of MB MiB on $SCRATCH (sets SWAPFILE)
#   memcg_new NAME MB   creates a memory cgroup limited to MB MiB with swap
#                       allowed (sets MEMCG: its directory, MEMCG_V: 1 or 2)
#   memcg_limit MB      changes MEMCG's limit (lowering it pushes pages out)
#   memcg_exec CMD...   runs CMD inside MEMCG (exec, in a subshell: use &)
#   memcg_stat KEY      a counter of MEMCG's memory.stat (v2: pgsteal, pgscan,
#                       pgmajfault...; v1 has no pgsteal: use /proc/vmstat's
#                       pgsteal_anon + pgsteal_file deltas, which count memcg
#                       reclaim too, unlike pgsteal_direct/kswapd)
#   memcg_cleanup       kills what runs in MEMCG, removes it, swapoff, rm

MEMHOG=$BUILD/tests/func/memhog
MEMCG= MEMCG_V= SWAPFILE=
MEMCG_PREFIX=memscope-test

# v1 memory hierarchy, or a cgroup2 mount with the memory controller
memcg_root() {
	local m
	if [ -f /sys/fs/cgroup/memory/memory.usage_in_bytes ] ||
		[ -f /sys/fs/cgroup/memory/memory.stat ] && [ ! -f /sys/fs/cgroup/memory/cgroup.controllers ]; then
		echo "1 /sys/fs/cgroup/memory"
		return 0
	fi
	for m in $(awk '$3 == "cgroup2" { print $2 }' /proc/mounts); do
		if grep -qw memory "$m/cgroup.controllers" 2>/dev/null; then
			echo "2 $m"
			return 0
		fi
	done
	return 1
}

# owner_gone NAME: the pid that ends NAME (-PID or .PID.) is no longer alive,
# so what NAME names is a leftover, not another suite's that runs beside this one
owner_gone() {
	local pid=${1##*-}
	case $1 in *-swap.*) pid=${1#*-swap.} pid=${pid%%.*} ;; esac
	case $pid in '' | *[!0-9]*) return 0 ;; esac
	! kill -0 "$pid" 2>/dev/null
}

# Removes what an earlier run that was killed may have left behind.
memcg_sweep() {
	local root d f
	root=$(memcg_root) || return 0
	for d in "${root#* }"/$MEMCG_PREFIX-*; do
		[ -d "$d" ] && owner_gone "$d" || continue
		for f in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$f" 2>/dev/null; done
		rmdir "$d" 2>/dev/null
	done
	for f in "$SCRATCH"/$MEMCG_PREFIX-swap.*; do
		[ -e "$f" ] && owner_gone "$f" || continue
		swapoff "$f" 2>/dev/null
		rm -f "$f"
	done
}

swap_on() {
	local mb=$1
	SWAPFILE=$(mktemp "$SCRATCH/$MEMCG_PREFIX-swap.$$.XXXXXX") || return 1
	chmod 600 "$SWAPFILE"
	# dd, not fallocate: swapon refuses files with holes or unwritten extents on some filesystems
	dd if=/dev/zero of="$SWAPFILE" bs=1M count="$mb" status=none &&
		mkswap "$SWAPFILE" >/dev/null &&
		swapon "$SWAPFILE"
}

memcg_new() {
	local name=$1 mb=$2 root
	root=$(memcg_root) || { echo "no memory cgroup controller (v1 or v2) is mounted" >&2; return 1; }
	MEMCG_V=${root%% *}
	root=${root#* }
	MEMCG=$root/$MEMCG_PREFIX-$name-$$
	if [ "$MEMCG_V" = 2 ]; then
		grep -qw memory "$root/cgroup.subtree_control" ||
			echo +memory >"$root/cgroup.subtree_control" || return 1
	fi
	mkdir "$MEMCG" || return 1
	if [ "$MEMCG_V" = 1 ]; then
		echo 1 >"$MEMCG/memory.use_hierarchy" 2>/dev/null
		echo 60 >"$MEMCG/memory.swappiness"
	fi
	memcg_limit "$mb"
}

memcg_limit() {
	local bytes=$(( $1 * 1024 * 1024 ))
	if [ "$MEMCG_V" = 1 ]; then
		echo "$bytes" >"$MEMCG/memory.limit_in_bytes"
	else
		echo "$bytes" >"$MEMCG/memory.max" && echo max >"$MEMCG/memory.swap.max" 2>/dev/null
		return 0
	fi
}

memcg_exec() {
	echo "$BASHPID" >"$MEMCG/cgroup.procs" || exit 125
	exec "$@"
}

memcg_stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$MEMCG/memory.stat"
}

# vmstat KEY...: the sum of /proc/vmstat counters
vmstat() {
	awk -v keys=" $* " 'index(keys, " " $1 " ") { s += $2 } END { print s + 0 }' /proc/vmstat
}

memcg_cleanup() {
	local p t
	if [ -n "$MEMCG" ] && [ -d "$MEMCG" ]; then
		for t in 1 2 3 4 5 6 7 8 9 10; do
			p=$(cat "$MEMCG/cgroup.procs" 2>/dev/null)
			[ -z "$p" ] && break
			kill -CONT $p 2>/dev/null
			kill -9 $p 2>/dev/null
			sleep 0.1
		done
		rmdir "$MEMCG" 2>/dev/null || echo "memcg_cleanup: cannot remove $MEMCG" >&2
	fi
	MEMCG=
	if [ -n "$SWAPFILE" ]; then
		swapoff "$SWAPFILE" 2>/dev/null
		rm -f "$SWAPFILE"
	fi
	SWAPFILE=
}

memcg_sweep
