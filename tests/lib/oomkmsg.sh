# SPDX-License-Identifier: BSD-2-Clause
# The kernel's own OOM report as ground truth for oomkill's tests: sourced.
# Every reader takes the victim's pid, so the report of another OOM on the
# machine (interleaved in the log) is never read as this one's.

# oomk_log: the kernel log without timestamps (dmesg -t), once per kill
oomk_log() { dmesg -t 2>/dev/null; }

# oomk_task LOG PID: "rss swapents pgtables_bytes oom_score_adj" of PID's
# last row in a dump_tasks table (vm.oom_dump_tasks=1), columns found by
# the table's header, which differs between kernels (rss_anon etc. since 6.x)
oomk_task() {
	tr '[]' '  ' <"$1" | awk -v pid="$2" '
		$1 == "pid" && $2 == "uid" { for (i = 1; i <= NF; i++) col[$i] = i; next }
		("rss" in col) && $1 == pid && NF >= col["oom_score_adj"] {
			row = $col["rss"] " " $col["swapents"] " " $col["pgtables_bytes"] " " $col["oom_score_adj"]
		}
		END { if (row != "") print row; else exit 1 }'
}

# oomk_killed LOG PID: "anon_kb oom_score_adj" from "Killed process PID (...)"
oomk_killed() {
	awk -v pid="$2" '
		/Killed process / {
			for (i = 1; i <= NF; i++) if ($i == "process" && $(i + 1) == pid) hit = 1
			if (!hit) next
			hit = 0
			match($0, /anon-rss:[0-9]+kB/); a = substr($0, RSTART + 9, RLENGTH - 11)
			match($0, /oom_score_adj:-?[0-9]+/); j = substr($0, RSTART + 14, RLENGTH - 14)
			row = a " " j
		}
		END { if (row != "") print row; else exit 1 }' "$1"
}

# oomk_constraint LOG PID: "CONSTRAINT_x oom_memcg" (oom_memcg "-" when
# none) from the oom-kill: line naming pid=PID
oomk_constraint() {
	awk -v pid="$2" '
		/oom-kill:constraint=/ && index($0, ",pid=" pid ",") {
			n = split(substr($0, index($0, "constraint=")), kv, ",")
			c = ""; m = "-"
			for (i = 1; i <= n; i++) {
				split(kv[i], p, "=")
				if (p[1] == "constraint") c = p[2]
				if (p[1] == "oom_memcg") m = p[2]
			}
			row = c " " m
		}
		END { if (row != "") print row; else exit 1 }' "$1"
}

# oomk_report LOG TRIGGER_PID: "gfp_mask(gfp_names) order" from the
# "invoked oom-killer" line whose dump_stack names PID: TRIGGER_PID
oomk_report() {
	awk -v pid="$2" '
		/invoked oom-killer: gfp_mask=/ {
			s = substr($0, index($0, "gfp_mask=") + 9)
			m = substr(s, 1, index(s, ")"))
			o = substr(s, index(s, "order=") + 6); o = substr(o, 1, index(o, ",") - 1)
			last = m " " o
			next
		}
		/ PID: [0-9]+ Comm: / && last != "" {
			for (i = 1; i < NF; i++) if ($i == "PID:" && $(i + 1) == pid) row = last
			last = ""
		}
		END { if (row != "") print row; else exit 1 }' "$1"
}

# have_oc [ARGS]: does oomkill ARGS get oom_control (fentry or kprobe on
# oom_kill_process) here?
have_oc() { "$OK" "$@" --probes | awk '/^oom decision/ { in_ev = 1 } /^direct reclaim/ { in_ev = 0 } in_ev && /CHOSEN/ { f = 1 } END { exit !f }'; }

# check_points NAME LINE PID TOTAL KMSG OC: the record of victim PID against
# the kernel's formulas over its own fields (TOTAL: the pages the adj is
# scaled by) and against the kernel's report, read into KMSG. OC non-empty:
# oom_control was read (its points exact for a victim that is the trigger,
# blocked in its allocation; 1% else); empty: derived, and order and gfp
# come from the trigger's direct reclaim for a page allocator OOM
check_points() {
	local name=$1 line=$2 pid=$3 total=$4 kmsg=$5 oc=$6 fail= rss sw pgt adj pts tp score want tol=0
	local ram swp gt b task k_rss k_sw k_pgt k_adj kpts killed cons rep from
	oomk_log >"$kmsg"
	read -r rss sw pgt adj pts tp score from < <(jq -r '[(.anon_rss_kb + .file_rss_kb + .shmem_rss_kb) / 4, .swap_kb / 4, .pgtables_kb * 1024, .oom_score_adj, .points, .total_pages, .oom_score, .decision_from] | map(tostring) | join(" ")' <<<"$line")
	want=$((rss + sw + pgt / 4096 + adj * (total / 1000)))
	[ "$tp" = "$total" ] || fail+=" total_pages $tp != $total;"
	[ "$(jq -r .trigger_pid <<<"$line")" = "$pid" ] || tol=1
	within "$pts" "$want" "$tol" || fail+=" points $pts != rss $rss + swap $sw + pgtables $((pgt / 4096)) + $adj * ($total / 1000) = $want;"
	# /proc/PID/oom_score: RAM + swap pages in both the badness and the scale
	ram=$(awk '/^MemTotal/ { print $2 / 4 }' /proc/meminfo)
	swp=$(awk '/^SwapTotal/ { print $2 / 4 }' /proc/meminfo)
	gt=$((ram + swp))
	b=$((rss + sw + pgt / 4096 + adj * (gt / 1000)))
	[ "$score" = $(((1000 + b * 1000 / gt) * 2 / 3)) ] || fail+=" oom_score $score != $(((1000 + b * 1000 / gt) * 2 / 3));"
	if ! task=$(oomk_task "$kmsg" "$pid"); then
		fail+=" no dump_tasks row for $pid in the kernel log (vm.oom_dump_tasks $(sysctl -n vm.oom_dump_tasks));"
	else
		read -r k_rss k_sw k_pgt k_adj <<<"$task"
		kpts=$((k_rss + k_sw + k_pgt / 4096 + k_adj * (total / 1000)))
		[ "$k_adj" = "$adj" ] || fail+=" dump_tasks oom_score_adj $k_adj != $adj;"
		# the kernel's table and mark_victim read the same counters of a
		# task blocked in its charge: equal, or a per-CPU batch apart (6.2+)
		within "$pts" "$kpts" 1 || fail+=" points $pts vs dump_tasks' rss $k_rss + swap $k_sw + pgtables $((k_pgt / 4096)) -> $kpts (1%);"
	fi
	if ! killed=$(oomk_killed "$kmsg" "$pid"); then
		fail+=" no 'Killed process $pid' line;"
	else
		within "$(jq .anon_rss_kb <<<"$line")" "${killed% *}" 1 || fail+=" anon_rss_kb $(jq .anon_rss_kb <<<"$line") vs the kernel's anon-rss ${killed% *} kB;"
		[ "${killed#* }" = "$adj" ] || fail+=" Killed process oom_score_adj ${killed#* } != $adj;"
	fi
	if ! cons=$(oomk_constraint "$kmsg" "$pid"); then
		fail+=" no oom-kill: line for pid $pid;"
	else
		local kc=${cons% *} km=${cons#* } mine
		mine=$(jq -r .constraint <<<"$line")
		case "$kc:$mine" in
		CONSTRAINT_MEMCG:memcg | CONSTRAINT_NONE:none | CONSTRAINT_CPUSET:cpuset | CONSTRAINT_MEMORY_POLICY:mempolicy) ;;
		*) fail+=" constraint $mine, the kernel's $kc;" ;;
		esac
		[ "$km" = - ] || [ "$km" = "$(jq -r .oom_cgroup <<<"$line")" ] || fail+=" oom_cgroup $(jq -r .oom_cgroup <<<"$line") != the kernel's oom_memcg $km;"
	fi
	rep=$(oomk_report "$kmsg" "$(jq -r .trigger_pid <<<"$line")") || fail+=" no 'invoked oom-killer' line for the trigger;"
	if [ -n "$oc" ]; then
		[ "$from" = oom_control ] || fail+=" decision_from $from with the oom decision hook attached;"
		[ "$(jq -r '[.gfp_flags, .order] | map(tostring) | join(" ")' <<<"$line")" = "$rep" ] || fail+=" gfp_flags order '$(jq -r '[.gfp_flags, .order] | map(tostring) | join(" ")' <<<"$line")' != the kernel's '$rep';"
	else
		[ "$from" = derived ] || fail+=" decision_from $from without the oom decision hook;"
		if [ "$(jq -r .constraint <<<"$line")" = memcg ]; then
			[ "$(jq -r '[.order, .gfp_flags] | map(tostring) | join(" ")' <<<"$line")" = "null null" ] || fail+=" order/gfp of a memcg OOM without oom_control are not absent;"
		else
			[ "$(jq -r '[.gfp_flags, .order] | map(tostring) | join(" ")' <<<"$line")" = "$rep" ] || fail+=" direct reclaim's gfp_flags order '$(jq -r '[.gfp_flags, .order] | map(tostring) | join(" ")' <<<"$line")' != the kernel's '$rep';"
		fi
	fi
	if [ -z "$fail" ]; then
		ok "$name: points $pts ~$tol% rss $rss + swap $sw + pgtables $((pgt / 4096)) + $adj * ($total / 1000) (dump_tasks: $kpts), oom_score $score, from $from, kernel report '$rep'$([ "$from" = oom_control ] && echo " = the record's")"
	else
		notok "$name:$fail"
	fi
}

