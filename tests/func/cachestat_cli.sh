#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# cachestat's handling of bad input, of its traced process exiting, and of
# signals: clear one-line errors, exit 2 for usage and 1 for runtime errors,
# and no BPF program left in the kernel after it exits.
set -u
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/cli.sh"
CS=$BUILD/cachestat

expect_exit "zero interval" 2 "cachestat: invalid interval '0'" "$CS" 0
expect_exit "non-numeric interval" 2 "invalid interval 'abc': not a number" "$CS" abc
expect_exit "bad count" 2 "invalid count 'x'" "$CS" 1 x
expect_exit "extra argument" 2 "unexpected argument '3'" "$CS" 1 2 3
expect_exit "unknown flag" 2 "^cachestat: unrecognized option '--bogus'" "$CS" --bogus
expect_exit "missing pid" 2 "^cachestat: option requires an argument" "$CS" -p
expect_exit "bad pid" 2 "invalid pid 'x'" "$CS" -p x
expect_help "--help" "$CS"

if [ "$(id -u)" != 0 ]; then
	skip "cachestat runtime errors and detach: need root"
	exit 0
fi

expect_exit "pid that does not exist" 1 "cachestat: pid 2147483647 does not exist" \
	"$CS" -p 2147483647
expect_not_root "not root" "$CS" 1 1

dir=$(mktemp -d "$SCRATCH/memscope-cli.XXXXXX")
trap 'rm -rf "$dir"' EXIT
for sig in INT TERM; do
	expect_detach "SIG$sig" "$sig" 5 "$dir" "$CS" 1
done

# the traced process exits mid-trace: last report, a note, exit 0
expect_pid_exit "traced pid exits" "$dir" "$CS"
