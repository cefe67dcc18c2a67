#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The benchmark's statistics, tables and results.json.

    bench/report.py RUNS.jsonl RESULTS.json

RUNS.jsonl is what bench/bench.sh writes, one JSON object a line:
  {"kind": "host", "time", "kernel", "cpus", "scratch", "tools"}
  {"kind": "meta", "tool", ...}        the workload's parameters
  {"kind": "run", "tool", "group", "round", "pair", "mode", "cpu_ms",
   "wall_us", ...}                     one workload run; a traced run and the
                                       untraced run just before it share "pair"
  {"kind": "startup", "tool", "what", "us"}
  {"kind": "accuracy", "tool", "case", "field", "count", "truth"}
  {"kind": "detach", "tool", "mode", "exit_us", "gone_us", "target_alive"}
Prints the tables and writes RESULTS.json; entries of tools that are not in
RUNS are kept from the RESULTS.json already there. Can be run again on a
saved RUNS.jsonl.
"""
import json
import os
import statistics
import sys

LABELS = {
    "cachestat": {"system": "cachestat 1", "pid": "cachestat -p PID 1",
                  "cachetop": "cachetop -b 1", "bpftrace": "bpftrace, same tps",
                  "floor": "floor: empty tp_btf", "bcc": "bcc libbpf-tools cachestat 1",
                  "old": "BENCH_CS_OLD 1", "oldpid": "BENCH_CS_OLD -p PID 1"},
    "faultstat": {"count": "faultstat --json 1", "detail": "faultstat --json -d 1",
                  "bpftrace": "bpftrace software:page-faults:1"},
    "reclaimlat": {"reclaimlat": "reclaimlat --json -P 1", "bpftrace": "bpftrace, same tps"},
    "memleak": {"multi": "memleak ({links})", "nosess": "memleak (uprobe_multi links)",
                "perfn": "memleak --per-function-links", "s100": "memleak -s 100",
                "bpftrace": "bpftrace, same probes and maps",
                "floor": "floor: same uprobes, empty programs",
                "bcc": "bcc libbpf-tools memleak -p PID",
                "old": "BENCH_ML_OLD ({links})"},
}


def median(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def spread(v, fmt="{:.3f}", fmt_range="{:.2f}"):
    """'median (min-max)' of v, '-' when empty"""
    v = [x for x in v if x is not None]
    if not v:
        return "-"
    return (fmt + " (" + fmt_range + "-" + fmt_range + ")").format(median(v), min(v), max(v))


def num(x, fmt):
    return "-" if x is None else fmt.format(x)


def rounded(x, nd=4):
    return None if x is None else round(x, nd)


class Tool:
    """The lines of one tool: meta merged, runs paired by their pair number"""

    def __init__(self, name, lines):
        self.name = name
        self.meta = {}
        for l in lines:
            if l["kind"] == "meta":
                self.meta.update({k: v for k, v in l.items() if k not in ("kind", "tool")})
        self.runs = [l for l in lines if l["kind"] == "run"]
        self.startup = [l for l in lines if l["kind"] == "startup"]
        self.accuracy = [l for l in lines if l["kind"] == "accuracy"]
        self.detach = [l for l in lines if l["kind"] == "detach"]
        self.churn = [l for l in lines if l["kind"] == "churn"]

    def groups(self):
        return sorted({r.get("group", "") for r in self.runs})

    def modes(self, group=""):
        seen = []
        for r in self.runs:
            if r.get("group", "") == group and r["mode"] != "untraced" and r["mode"] not in seen:
                seen.append(r["mode"])
        return seen

    def untraced(self, group=""):
        return [r for r in self.runs if r.get("group", "") == group and r["mode"] == "untraced"]

    def pairs(self, mode, group=""):
        """[(untraced run, traced run)] of mode, in round order"""
        by_pair = {}
        for r in self.runs:
            if r.get("group", "") == group:
                by_pair.setdefault(r["pair"], {})[r["mode"]] = r
        return [(p["untraced"], p[mode]) for _, p in sorted(by_pair.items())
                if mode in p and "untraced" in p]

    def startup_ms(self, what, less_ms=0):
        return [s["us"] / 1000 - less_ms for s in self.startup if s["what"] == what]

    def killed(self):
        return [r for r in self.runs + self.detach if r.get("killed")]


def traced_common(tool, mode, group="", events=None, event_name=None):
    """the figures every tool's traced mode has, as lists and medians"""
    pairs = tool.pairs(mode, group)
    u_cpu = median([u["cpu_ms"] / 1000 for u in tool.untraced(group)])
    cpu_r = [t["cpu_ms"] / u["cpu_ms"] for u, t in pairs if u["cpu_ms"]]
    wall_r = [t["wall_us"] / u["wall_us"] for u, t in pairs if u["wall_us"]]
    t_runs = [t for _, t in pairs]
    out = {
        "cpu_s": [t["cpu_ms"] / 1000 for t in t_runs],
        "wall_s": [t["wall_us"] / 1e6 for t in t_runs],
        "cpu_ratios": [rounded(x) for x in cpu_r],
        "cpu_ratio_median": rounded(median(cpu_r)),
        "wall_ratios": [rounded(x) for x in wall_r],
        "wall_ratio_median": rounded(median(wall_r)),
        "tool_cpu_ms_during_run": [t.get("tool_cpu_ms") for t in t_runs],
        "tool_cpu_ms_during_run_median": median([t.get("tool_cpu_ms") for t in t_runs]),
        "tool_cpu_ms_total": [t.get("tool_cpu_total_ms") for t in t_runs],
        "tool_cpu_ms_total_median": median([t.get("tool_cpu_total_ms") for t in t_runs]),
        "tool_peak_rss_kb": [t.get("rss_kb") for t in t_runs],
        "tool_peak_rss_kb_median": median([t.get("rss_kb") for t in t_runs]),
        "tool_sigkilled": sum(1 for t in t_runs if t.get("killed")),
    }
    if events and out["cpu_ratio_median"] is not None and u_cpu is not None:
        out["extra_ns_per_" + event_name] = round(
            (median(cpu_r) - 1) * u_cpu * 1e9 / events)
    return out, cpu_r, wall_r


def untraced_obj(tool, group=""):
    u = tool.untraced(group)
    cpu = [r["cpu_ms"] / 1000 for r in u]
    wall = [r["wall_us"] / 1e6 for r in u]
    return {"cpu_s": cpu, "cpu_s_median": median(cpu), "wall_s": wall, "wall_s_median": median(wall)}


def tool_cols(t):
    """TOOL_CPU_MS (during/total) and PEAK_MB cells"""
    d, tot = t["tool_cpu_ms_during_run_median"], t["tool_cpu_ms_total_median"]
    rss = t["tool_peak_rss_kb_median"]
    return ("{:.0f}/{:.0f}".format(d, tot) if d is not None else "-",
            num(rss and rss / 1024, "{:.1f}"))


def startup_obj(samples, command):
    return {"command": command, "samples": [round(s, 1) for s in samples],
            "median": rounded(median(samples), 1)}


def startup_line(samples, what):
    return "  start-up to attached: {}, median of {}: {} ms".format(
        what, len(samples), spread(samples, "{:.1f}", "{:.1f}"))


def bcc_line(meta):
    """what became of bcc's libbpf-tools peer (bench/bcc.sh, bcc_probe)"""
    why = meta.get("bcc")
    if why is None:
        return "  bcc libbpf-tools: not probed in this run"
    if why == "runs":
        return "  bcc libbpf-tools: built by bench/bcc.sh from BCC_SRC, the 'bcc' row"
    return "  bcc libbpf-tools: no row: " + why


def err_pct(count, truth):
    return None if count is None or not truth else (count - truth) * 100 / truth


# ---------------------------------------------------------------- cachestat

def report_cachestat(tool, out):
    m = tool.meta
    reads, expected = m["reads_per_run"], m["reps"] * m["file_pages"]
    u = untraced_obj(tool)
    out("")
    out("cachestat")
    out("  overhead: pcload -n {} read FILE {} on a warm 64 MiB file = {} read() calls per run,"
        .format(m["reps"], m["chunk_bytes"], reads))
    out("  pinned to CPU {} (taskset) traced or not; {} rounds of (untraced, traced) pairs; RATIO ="
        .format(m["cpu"], m["rounds"]))
    out("  traced / the untraced run just before it, median (min-max); CPU = the workload's user+sys")
    out("  (where BPF programs run), WALL = elapsed")
    fmt = "  {:<20} {:>7} {:>20} {:>8} {:>7} {:>20} {:>12} {:>7} {:>7} {:>9}"
    out(fmt.format("MODE", "CPU_S", "CPU_RATIO", "+NS/READ", "WALL_S", "WALL_RATIO",
                   "TOOL_CPU_MS", "PEAK_MB", "SEEN", "BPF_NS/RD"))
    out(fmt.format("untraced", num(u["cpu_s_median"], "{:.3f}"), 1, "-",
                   num(u["wall_s_median"], "{:.3f}"), 1, "-", "-", "-", "-"))
    traced = {}
    for mode in tool.modes():
        t, cpu_r, wall_r = traced_common(tool, mode, events=reads, event_name="read")
        seen = [r.get("seen") for _, r in tool.pairs(mode)]
        t.update(command=LABELS["cachestat"].get(mode, mode), pages_seen=seen,
                 pages_expected=expected)
        bpf = [r["bpf_ns"] / reads for _, r in tool.pairs(mode) if r.get("bpf_runs")]
        t["bpf_ns_per_read"] = [round(x, 1) for x in bpf]
        t["bpf_ns_per_read_median"] = rounded(median(bpf), 1)
        t["rerun"] = "BENCH_TOOLS=cachestat BENCH_CS_MODES={} bench/bench.sh".format(mode)
        traced[mode] = t
        cpu, rss = tool_cols(t)
        s = median(seen)
        out(fmt.format(t["command"], num(median(t["cpu_s"]), "{:.3f}"), spread(cpu_r),
                       num(t.get("extra_ns_per_read"), "{}"), num(median(t["wall_s"]), "{:.3f}"),
                       spread(wall_r), cpu, rss,
                       "-" if mode == "floor" else num(s and s * 100 / expected, "{:.1f}%"),
                       num(median(bpf), "{:.0f}")))
    out("  BPF_NS/RD: the tracer's BPF program time per read() (kernel bpf_stats). floor: bench/floor.c,")
    out("  an empty tp_btf program on mm_filemap_get_pages. One mode again:")
    out("  BENCH_TOOLS=cachestat BENCH_CS_MODES=MODE bench/bench.sh (floor, system, pid, cachetop, bpftrace,")
    out("  bcc, old, oldpid: BENCH_CS_OLD=PATH, another cachestat)")
    out(bcc_line(m))
    out("  +NS/READ: extra workload CPU per read() call. TOOL_CPU_MS: the tracer's own user+sys,")
    out("  from the workload's start to its exit / over its whole life (start-up included), 10 ms")
    out("  granularity. PEAK_MB: its peak RSS (VmHWM). SEEN: accessed pages it counted / {}."
        .format(expected))
    if m.get("resident_after") not in (None, m["file_pages"]):
        out("  warning: only {} of {} pages of the file were still cached after the runs"
            .format(m["resident_after"], m["file_pages"]))
    st_cs, st_bt = tool.startup_ms("cachestat"), tool.startup_ms("bpftrace")
    out("")
    out(startup_line(st_cs, "cachestat -v 1 1 until its header"))
    out(startup_line(st_bt, "bpftrace until its BEGIN output"))
    st_ct = tool.startup_ms("screen")
    out(startup_line(st_ct, "cachetop until its first full screen (pty)"))
    acc = {"n_pages": m["acc_pages"]}
    out("")
    out("  accuracy vs ground truth (cachestat --json -p PID 1; a {}-page file unless named):"
        .format(m["acc_pages"]))
    fmt = "  {:<22} {:<8} {:>10} {:>10} {:>10}"
    out(fmt.format("CASE", "FIELD", "TOOL", "TRUTH", "ERROR"))
    for a in tool.accuracy:
        e = err_pct(a["count"], a["truth"])
        acc[a["case"]] = {"field": a["field"], "tool": a["count"], "truth": a["truth"],
                          "error_pct": rounded(e, 2)}
        out(fmt.format(a["case"], a["field"], a["count"], a["truth"], num(e, "{:.2f}%")))
    churn = report_churn(tool, out)
    return {
        "overhead": {"workload": {"command": "pcload -n {} read FILE {}".format(m["reps"], m["chunk_bytes"]),
                                  "reps": m["reps"], "file_pages": m["file_pages"],
                                  "chunk_bytes": m["chunk_bytes"], "reads_per_run": reads,
                                  "cpu": m["cpu"]},
                     "rounds": m["rounds"], "untraced": u, "traced": traced},
        "startup_ms": {"cachestat": startup_obj(st_cs, "cachestat -v 1 1, until its header"),
                       "bpftrace": startup_obj(st_bt, "bpftrace, until its BEGIN output"),
                       "cachetop": startup_obj(st_ct, "cachetop on a pty, until its first screen")},
        "accuracy": acc, "churn": churn, "bcc": m.get("bcc"),
    }


# ---------------------------------------------------------------- faultstat

def report_faultstat(tool, out):
    m = tool.meta
    faults = m["reps"] * m["pages_each"]
    u = untraced_obj(tool)
    out("")
    out("faultstat")
    out("  overhead: faultstat_spawn {0} {1} = {0} processes forked, each touching {1} fresh pages"
        .format(m["reps"], m["pages_each"]))
    out("  (minor faults) and exiting, after an unmeasured pass of {} processes; {} rounds;"
        .format(m["warm_children"], m["rounds"]))
    out("  RATIO = traced / the untraced run before it")
    fmt = "  {:<34} {:>7} {:>20} {:>9} {:>20} {:>12} {:>7} {:>8}"
    out(fmt.format("MODE", "CPU_S", "CPU_RATIO", "+NS/FAULT", "WALL_RATIO", "TOOL_CPU_MS",
                   "PEAK_MB", "SEEN"))
    out(fmt.format("untraced", num(u["cpu_s_median"], "{:.3f}"), 1, "-", 1, "-", "-", "-"))
    traced = {}
    for mode in tool.modes():
        t, cpu_r, wall_r = traced_common(tool, mode, events=faults, event_name="fault")
        seen = [rounded(r["seen"] * 100 / r["truth"], 2) for _, r in tool.pairs(mode) if r["truth"]]
        t.update(command=LABELS["faultstat"].get(mode, mode), seen_pct=seen)
        traced[mode] = t
        cpu, rss = tool_cols(t)
        out(fmt.format(t["command"], num(median(t["cpu_s"]), "{:.3f}"), spread(cpu_r),
                       num(t.get("extra_ns_per_fault"), "{}"), spread(wall_r), cpu, rss,
                       num(median(seen), "{:.2f}%")))
    out("  +NS/FAULT: extra workload CPU per minor fault. SEEN: minor faults the tracer counted for the")
    out("  workload's children / their own getrusage total (bpftrace counts every fault entry, retries too).")
    out("  -d hooks major faults only: on this minor-fault workload it costs what counting costs.")
    st = tool.startup_ms("faultstat", 1000)
    out("")
    out(startup_line(st, "faultstat --json 1 1 until its report, less the 1 s interval"))
    st_scr = tool.startup_ms("screen")
    out(startup_line(st_scr, "faultstat until its first full screen (pty)"))
    out("")
    out("  accuracy: memhog touching 25600 fresh pages; truth = its getrusage over the touching loop")
    fmt = "  {:<44} {:>10} {:>10} {:>9}"
    out(fmt.format("COUNTER", "COUNT", "TRUTH", "ERROR"))
    acc = {"memhog_25600": None, "perf_stat": None}
    for a in tool.accuracy:
        e = err_pct(a["count"], a["truth"])
        if a["case"] == "perf_stat":
            acc["perf_stat"] = {"minor": a["count"], "major": a.get("major"),
                                "truth_minor_loop": a["truth"]}
            label = "perf stat -e minor-faults memhog (whole run)"
        else:
            acc[a["case"]] = {"tool": a["count"], "truth": a["truth"]}
            label = "faultstat --json -p PID 1 (minor)"
        out(fmt.format(label, num(a["count"], "{}"), a["truth"], num(e, "{:.2f}%")))
    if acc["perf_stat"]:
        out("  (perf stat counts the whole process, exec and loader included; faultstat -p counts")
        out("  from attach, so it sees the loop plus the exit path)")
    churn = report_churn(tool, out)
    return {
        "overhead": {"workload": {"command": "faultstat_spawn {} {}".format(m["reps"], m["pages_each"]),
                                  "processes": m["reps"], "pages_each": m["pages_each"],
                                  "warm_up_processes": m["warm_children"]},
                     "rounds": m["rounds"], "untraced": u, "traced": traced},
        "startup_ms": startup_obj(st, "faultstat --json 1 1, first report less 1000 ms"),
        "startup_screen_ms": startup_obj(st_scr, "faultstat on a pty, until its first screen"),
        "accuracy": acc, "churn": churn,
    }


# ---------------------------------------------------------------- reclaimlat

def report_reclaimlat(tool, out):
    m = tool.meta
    u = untraced_obj(tool)
    out("")
    out("reclaimlat")
    out("  overhead: memhog -p {} {} ({} MiB, {} passes) in a {} MiB memory cgroup with swap;"
        .format(m["passes"], m["pages"], m["pages"] // 256, m["passes"], m["memcg_limit_mb"]))
    out("  {} rounds of (untraced, traced) pairs; RATIO = traced / the untraced run just before it"
        .format(m["rounds"]))
    fmt = "  {:<22} {:>7} {:>20} {:>7} {:>20} {:>12} {:>7} {:>9}"
    out(fmt.format("MODE", "CPU_S", "CPU_RATIO", "WALL_S", "WALL_RATIO", "TOOL_CPU_MS",
                   "PEAK_MB", "PAGES_ERR"))
    out(fmt.format("untraced", num(u["cpu_s_median"], "{:.3f}"), 1,
                   num(u["wall_s_median"], "{:.3f}"), 1, "-", "-", "-"))
    traced, swap_err = {}, []
    for mode in tool.modes():
        t, cpu_r, wall_r = traced_common(tool, mode)
        runs = [r for _, r in tool.pairs(mode)]
        perr = [rounded(err_pct(r["pages"], r["pgsteal"]), 2) for r in runs]
        t.update(command=LABELS["reclaimlat"].get(mode, mode), pages_error_pct_vs_pgsteal=perr)
        if mode == "reclaimlat":
            swap_err = [rounded(err_pct(r["swap_out"], r["pswpout"]), 2) for r in runs]
        traced[mode] = t
        cpu, rss = tool_cols(t)
        out(fmt.format(t["command"], num(median(t["cpu_s"]), "{:.3f}"), spread(cpu_r),
                       num(median(t["wall_s"]), "{:.3f}"), spread(wall_r), cpu, rss,
                       num(median(perr), "{:.2f}%")))
    out("  TOOL_CPU_MS: the tracer's user+sys from the storm's start to its exit / over its life.")
    out("  PAGES_ERR: pages reclaimed it reported vs /proc/vmstat pgsteal_anon + pgsteal_file, median.")
    out("  swap-out: reclaimlat out_pages vs pswpout, error % per round: {}".format(
        " ".join(num(e, "{:.2f}") for e in swap_err)))
    st = tool.startup_ms("reclaimlat", 1000)
    out(startup_line(st, "reclaimlat --json 1 1 until its first report, less 1 s"))
    return {
        "overhead": {"workload": {"command": "memhog -p {} {}".format(m["passes"], m["pages"]),
                                  "memcg_limit_mb": m["memcg_limit_mb"]},
                     "rounds": m["rounds"], "untraced": u, "traced": traced},
        "swap_out_error_pct_vs_pswpout": swap_err,
        "startup_ms": startup_obj(st, "reclaimlat --json 1 1, first report minus 1 s"),
    }


# ---------------------------------------------------------------- memleak

def report_ml_scaling(tool, out):
    """memleak with LIVE blocks held through the pairs (groups "<T>t_<LIVE>")"""
    groups = [g for g in tool.groups() if "_" in g]
    if not groups:
        return {}
    groups.sort(key=lambda g: (int(g.split("_")[1]), int(g.split("_")[0].rstrip("t"))))
    out("")
    out("  scaling: memleak -p PID ({}) with LIVE malloc(64) blocks held through the pairs".format(
        tool.meta.get("links", "")))
    out("  (--max-allocs LIVE + 262144). CPU_NS/PAIR here is the leaker's own process CPU over")
    out("  the pairs only (CLOCK_PROCESS_CPUTIME_ID around its loop), median (min-max). BPF_NS/PAIR*:")
    out("  the programs' time over the whole run per pair, recording the LIVE blocks included")
    fmt = "  {:>8} {:>2} {:>14} {:>20} {:>7} {:>16} {:>7}  {}"
    out(fmt.format("LIVE", "T", "UNTRACED_NS", "CPU_NS/PAIR", "+NS", "BPF_NS/PAIR*", "PEAK_MB",
                   "RERUN"))
    res = {}
    for g in groups:
        thr, live = int(g.split("_")[0].rstrip("t")), int(g.split("_")[1])
        u = [r.get("wl_cpu_ns_per_pair") for r in tool.untraced(g)]
        pairs = tool.pairs("multi", g)
        ns = [t.get("wl_cpu_ns_per_pair") for _, t in pairs]
        bpf = [t["bpf_ns"] / t["pairs"] for _, t in pairs if t.get("bpf_runs")]
        rss = [t.get("rss_kb") for _, t in pairs]
        u_med, t_med = median(u), median(ns)
        extra = None if u_med is None or t_med is None else t_med - u_med
        rerun = "BENCH_TOOLS=memleak BENCH_ML_MODES= BENCH_ML_SCALE={} bench/bench.sh".format(live)
        res[g] = {"live": live, "threads": thr, "untraced_cpu_ns_per_pair": u,
                  "untraced_cpu_ns_per_pair_median": rounded(u_med, 1),
                  "cpu_ns_per_pair": ns, "cpu_ns_per_pair_median": rounded(t_med, 1),
                  "extra_cpu_ns_per_pair": rounded(extra, 1),
                  "bpf_ns_per_pair_live_included": [round(x, 1) for x in bpf],
                  "bpf_ns_per_pair_live_included_median": rounded(median(bpf), 1),
                  "tool_peak_rss_kb": rss, "tool_peak_rss_kb_median": median(rss), "rerun": rerun}
        out(fmt.format(live, thr, num(u_med, "{:.0f}"), spread(ns, "{:.0f}", "{:.0f}"),
                       num(extra, "{:.0f}"), spread(bpf, "{:.0f}", "{:.0f}"),
                       num(median(rss) and median(rss) / 1024, "{:.1f}"), rerun))
    return res


def report_churn(tool, out):
    """tracer CPU under `leaker spawn RATE SECS` (kind "churn")"""
    if not tool.churn:
        return {}
    out("")
    out("  process churn: leaker spawn RATE {0} (RATE short-lived processes a second for {0} s, each".format(
        tool.churn[0]["secs"]))
    out("  touching 16 pages); TOOL_CPU_MS/S: the tracer's user+sys per second of churn, median")
    out("  (min-max) over the rounds (10 ms granularity)")
    fmt = "  {:<24} {:>6} {:>9} {:>20} {:>7}  {}"
    out(fmt.format("TRACER", "RATE", "SPAWNED/S", "TOOL_CPU_MS/S", "PEAK_MB", "RERUN"))
    res = {}
    for key in dict.fromkeys((c["tracer"], c["rate"]) for c in tool.churn):
        cs = [c for c in tool.churn if (c["tracer"], c["rate"]) == key]
        per_s = [c["tool_cpu_ms"] * 1e6 / c["wall_us"] for c in cs]
        got = [c["spawned"] * 1e6 / c["wall_us"] for c in cs]
        rss = [c["rss_kb"] for c in cs]
        rerun = "BENCH_TOOLS={} BENCH_SPAWN_RATES={} bench/bench.sh".format(tool.name, key[1])
        res["{}@{}".format(*key)] = {
            "tracer": key[0], "rate": key[1], "spawned_per_s": [round(x) for x in got],
            "tool_cpu_ms_per_s": [round(x, 1) for x in per_s],
            "tool_cpu_ms_per_s_median": rounded(median(per_s), 1),
            "tool_peak_rss_kb_median": median(rss), "rerun": rerun}
        out(fmt.format(key[0], key[1], num(median(got), "{:.0f}"),
                       spread(per_s, "{:.1f}", "{:.1f}"),
                       num(median(rss) and median(rss) / 1024, "{:.1f}"), rerun))
    return res


def ns_per_pair(r):
    return r["cpu_ms"] * 1e6 / r["pairs"]


def report_memleak(tool, out):
    m = tool.meta
    labels = {k: v.format(links=m.get("links", "")) for k, v in LABELS["memleak"].items()}
    out("")
    out("memleak")
    out("  workload: leaker pairs N T: T threads each do N malloc(64)+free pairs (N={} traced, {}"
        .format(m["pairs_traced"], m["pairs_untraced"]))
    out("  untraced), stopped before its exec while the tracer attaches to its pid (as -c does).")
    out("  CPU_NS/PAIR: the leaker's user+sys per pair (all threads), median of {} (min-max); untraced:"
        .format(m["rounds"]))
    out("  of all the untraced runs, one before each traced run. +NS: minus untraced: the CPU one")
    out("  traced malloc+free pair costs")
    out("  BPF_NS/PAIR: the tracer's programs' run time per pair from the kernel's own figures")
    out("  (kernel.bpf_stats_enabled for the run; run_time_ns over the workload), RUNS: program runs")
    out("  per pair; median (min-max)")
    fmt = "  {:<34} {:>2} {:>22} {:>7} {:>11} {:>7} {:>18} {:>5}"
    out(fmt.format("MODE", "T", "CPU_NS/PAIR", "+NS", "TOOL_CPU_MS", "PEAK_MB", "BPF_NS/PAIR", "RUNS"))
    modes = {}
    for group in [g for g in tool.groups() if "_" not in g]:
        thr = int(group.rstrip("t"))
        u = tool.untraced(group)
        u_ns = [ns_per_pair(r) for r in u]
        u_med = median(u_ns)
        modes["untraced_" + group] = {
            "command": "untraced", "threads": thr,
            "cpu_ns_per_pair": [round(x, 1) for x in u_ns], "cpu_ns_per_pair_median": rounded(u_med, 1),
            "wall_ns_per_pair": [r["wl_ns_per_pair"] for r in u]}
        out(fmt.format("untraced", thr, spread(u_ns, "{:.0f}", "{:.0f}"), "-", "-", "-", "-", "-"))
        for mode in tool.modes(group):
            pairs = tool.pairs(mode, group)
            ns = [ns_per_pair(t) for _, t in pairs]
            ratio = [ns_per_pair(t) / ns_per_pair(u) for u, t in pairs if u["cpu_ms"]]
            t, _, _ = traced_common(tool, mode, group)
            for k in ("cpu_s", "wall_s", "cpu_ratios", "cpu_ratio_median", "wall_ratios",
                      "wall_ratio_median"):
                del t[k]
            extra = None if u_med is None else median(ns) - u_med
            t = {"command": labels.get(mode, mode), "threads": thr,
                 "cpu_ns_per_pair": [round(x, 1) for x in ns],
                 "cpu_ns_per_pair_median": rounded(median(ns), 1),
                 "extra_cpu_ns_per_pair": rounded(extra, 1),
                 "cpu_ratios_per_pair": [rounded(x) for x in ratio],
                 "wall_ns_per_pair": [r["wl_ns_per_pair"] for _, r in pairs], **t}
            bpf = [r["bpf_ns"] / r["pairs"] for _, r in pairs if r.get("bpf_runs")]
            runs = [r["bpf_runs"] / r["pairs"] for _, r in pairs if r.get("bpf_runs")]
            t["bpf_ns_per_pair"] = [round(x, 1) for x in bpf]
            t["bpf_ns_per_pair_median"] = rounded(median(bpf), 1)
            t["bpf_runs_per_pair_median"] = rounded(median(runs), 2)
            t["rerun"] = "BENCH_TOOLS=memleak BENCH_ML_MODES={} bench/bench.sh".format(mode)
            modes[mode + "_" + group] = t
            cpu, rss = tool_cols(t)
            out(fmt.format(t["command"], thr, spread(ns, "{:.0f}", "{:.0f}"), num(extra, "{:.0f}"),
                           cpu, rss, spread(bpf, "{:.0f}", "{:.0f}"), num(median(runs), "{:.2f}")))
    out("  rerun one mode: BENCH_TOOLS=memleak BENCH_ML_MODES=MODE bench/bench.sh (MODE: multi,")
    out("  nosess, perfn, s100, bpftrace, floor, bcc; BENCH_ROUNDS=1 for a quick look). floor: build/bench/floor,")
    out("  bench/floor.bpf.c's empty program on malloc's entry and return and free's probe address")
    out("  (the leaker's own wall time per pair, its throughput, is in results.json: wall_ns_per_pair)")
    scaling = report_ml_scaling(tool, out)
    detach = {}
    out("")
    out("  detach, from outside: SIGINT to a tracer attached to a live leaker (still running after),")
    out("  until the tracer has exited (EXIT_MS) and until none of its programs and links is loaded")
    out("  (GONE_MS, polled with bpftool: ~20 ms steps); median (min-max). KILLED: samples where the")
    out("  tracer ignored SIGINT for 10 s and got SIGKILL (their EXIT_MS is that 10 s)")
    fmt = "  {:<34} {:>20} {:>20} {:>7} {:>6} {:>6}"
    out(fmt.format("MODE", "EXIT_MS", "GONE_MS", "OBJECTS", "ALIVE", "KILLED"))
    for mode in dict.fromkeys(d["mode"] for d in tool.detach):
        ds = [d for d in tool.detach if d["mode"] == mode]
        ex = [d["exit_us"] / 1000 for d in ds]
        gn = [d["gone_us"] / 1000 for d in ds]
        alive = sum(d["target_alive"] for d in ds)
        detach[mode] = {"command": labels.get(mode, mode), "exit_ms": [round(x, 1) for x in ex],
                        "exit_ms_median": rounded(median(ex), 1), "gone_ms": [round(x, 1) for x in gn],
                        "gone_ms_median": rounded(median(gn), 1),
                        "objects": [d["objects"] for d in ds], "target_alive": alive == len(ds),
                        "sigkilled": sum(d["killed"] for d in ds)}
        out(fmt.format(labels.get(mode, mode), spread(ex, "{:.0f}", "{:.0f}"),
                       spread(gn, "{:.0f}", "{:.0f}"), median([d["objects"] for d in ds]),
                       "{}/{}".format(alive, len(ds)), detach[mode]["sigkilled"]))
    st = tool.startup_ms("memleak")
    out("")
    out(startup_line(st, "memleak -v -p PID 1 until its 'Attaching' line"))
    out(bcc_line(m))
    return {"workload": {"command": "leaker pairs N T", "pairs_traced": m["pairs_traced"],
                         "pairs_untraced": m["pairs_untraced"], "rounds": m["rounds"]},
            "modes": modes, "scaling": scaling, "bcc": m.get("bcc"), "detach_ms": detach, "startup_ms": [round(s, 1) for s in st]}


REPORTS = {"cachestat": report_cachestat, "memleak": report_memleak,
           "faultstat": report_faultstat, "reclaimlat": report_reclaimlat}


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: report.py RUNS.jsonl RESULTS.json\n")
        return 2
    with open(argv[1]) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    host = next((l for l in lines if l["kind"] == "host"), None)
    if host is None:
        sys.stderr.write("report.py: {} has no host line\n".format(argv[1]))
        return 1
    out = print
    out("memscope bench  {}  kernel {}  {} CPUs  scratch {}".format(
        host["time"], host["kernel"], host["cpus"], host["scratch"]))
    try:
        with open(argv[2]) as f:
            results = json.load(f)
        if not isinstance(results, dict):
            results = {}
    except (OSError, ValueError):
        results = {}
    results.update(time=host["time"], kernel=host["kernel"], host={"cpus": host["cpus"]})
    results.setdefault("tools", {})
    killed = []
    for name in host["tools"].split():
        tool = Tool(name, [l for l in lines if l.get("tool") == name])
        if not tool.runs and not tool.startup:
            continue
        results["tools"][name] = REPORTS[name](tool, out)
        killed += tool.killed()
    for r in killed:
        out("warning: {} {} {}: the tracer ignored its signal and was SIGKILLed".format(
            r["tool"], r.get("group", ""), r["mode"]))
    tmp = argv[2] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    os.replace(tmp, argv[2])
    out("")
    out("results: " + argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
