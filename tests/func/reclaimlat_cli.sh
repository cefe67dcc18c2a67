#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# reclaimlat's handling of bad input, of its traced process exiting, and of
# signals: one-line errors, exit 2 for usage and 1 for runtime errors, and
# no BPF program left in the kernel after it exits.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/cli.sh"
RL=$BUILD/reclaimlat

expect_exit "reclaimlat zero interval" 2 "reclaimlat: invalid interval '0'" "$RL" 0
expect_exit "reclaimlat bad count" 2 "invalid count 'x'" "$RL" 1 x
expect_exit "reclaimlat extra argument" 2 "unexpected argument '3'" "$RL" 1 2 3
expect_exit "reclaimlat unknown flag" 2 "^reclaimlat: unrecognized option '--bogus'" "$RL" --bogus
expect_exit "reclaimlat bad pid" 2 "invalid pid 'x'" "$RL" -p x
expect_exit "reclaimlat bad -d" 2 "invalid MIN_MS 'ten': not a number" "$RL" -e -d ten
expect_exit "reclaimlat -d without -e" 2 "reclaimlat: -d is for event mode: add -e" "$RL" -d 5
expect_exit "reclaimlat -P with -e" 2 "reclaimlat: -P is for summary mode, not -e" "$RL" -e -P
expect_exit "reclaimlat missing cgroup" 1 "^reclaimlat: cgroup /nonexistent/cg: No such file or directory$" \
	"$RL" -c /nonexistent/cg
expect_exit "reclaimlat cgroup not a cgroup" 1 "^reclaimlat: /proc is not a cgroup directory$" "$RL" -c /proc
expect_help "reclaimlat --help" "$RL" "-d, --min=MIN_MS"

if [ "$(id -u)" != 0 ]; then
	skip "reclaimlat runtime errors and detach: need root"
	exit 0
fi

expect_exit "reclaimlat pid that does not exist" 1 "reclaimlat: pid 2147483647 does not exist" \
	"$RL" -p 2147483647
expect_not_root "reclaimlat not root" "$RL" 1 1

dir=$(mktemp -d "$SCRATCH/memscope-rlcli.XXXXXX")
trap 'rm -rf "$dir"' EXIT
# summary and event mode (which also holds the ring buffer)
expect_detach "reclaimlat summary SIGINT" INT 7 "$dir" "$RL" 1
expect_detach "reclaimlat event mode SIGTERM" TERM 7 "$dir" "$RL" -e 1

# the traced process exits mid-trace: last report, a note, exit 0
expect_pid_exit "reclaimlat traced pid exits" "$dir" "$RL"
