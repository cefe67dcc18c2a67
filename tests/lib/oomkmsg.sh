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

# oomk_report LOG TRIGGER_PID: "gfp_mask gfp_names order" from the
# "invoked oom-killer" line whose dump_stack names PID: TRIGGER_PID
oomk_report() {
	awk -v pid="$2" '
		/invoked oom-killer: gfp_mask=/ {
			s = substr($0, index($0, "gfp_mask=") + 9)
			m = substr(s, 1, index(s, "(") - 1)
			g = substr(s, index(s, "(") + 1); g = substr(g, 1, index(g, ")") - 1)
			o = substr(s, index(s, "order=") + 6); o = substr(o, 1, index(o, ",") - 1)
			last = m " " (g == "" ? "-" : g) " " o
			next
		}
		/ PID: [0-9]+ Comm: / && last != "" {
			for (i = 1; i < NF; i++) if ($i == "PID:" && $(i + 1) == pid) row = last
			last = ""
		}
		END { if (row != "") print row; else exit 1 }' "$1"
}
