#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Feeds every file of the fuzz corpus (gen.py) through the symbolizer's two
ways in, each run alone under an address-space limit and a timeout:

  map      symcheck map FILE OFFSETS: a process maps the file and its frames
           inside it are symbolized (memleak's path for a traced process)
  offsets  symcheck offsets FILE: uprobe offsets (memleak -O's path)
  -O       memleak -p PID -O FILE --probes: the tool itself (root only)

    run.py CORPUS SYMCHECK|- MEMLEAK|-

Every run must end within TIMEOUT seconds, by itself (no signal), with its
report (exit 0) or one line naming the cause (exit 1), its peak RSS within
the unpack bound (16 x the file's size, at most 512 MiB) above what the
unmutated file costs; a bomb must be refused, and the file named. Prints
"ok ..." / "not ok ..." lines, and the slowest and largest runs."""
import os
import resource
import subprocess
import sys
import time

TIMEOUT = 10
AS_LIMIT = 2 << 30
SLACK = 32 << 20


def bound(size):
    return min(16 * size, 512 << 20)


def run_rss(argv):
    """Runs argv, returning its result and its own peak RSS (wait4)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))

    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=limit)
    deadline, timed_out = t0 + TIMEOUT, False
    outs, errs = [], []
    os.set_blocking(p.stdout.fileno(), False)
    os.set_blocking(p.stderr.fileno(), False)
    while True:
        for f, acc in ((p.stdout, outs), (p.stderr, errs)):
            b = f.read()
            if b:
                acc.append(b)
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            timed_out = True
            p.kill()
            pid, status, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.005)
    for f, acc in ((p.stdout, outs), (p.stderr, errs)):
        b = f.read()
        if b:
            acc.append(b)
    p.returncode = None  # reaped here, not by Popen
    return dict(status=status, rss=ru.ru_maxrss * 1024, secs=time.monotonic() - t0,
                timed_out=timed_out, out=b"".join(outs).decode(errors="replace"),
                err=b"".join(errs).decode(errors="replace"))


def main():
    corpus, symcheck, memleak = sys.argv[1:4]
    cases = [l.rstrip("\n").split("\t") for l in open(os.path.join(corpus, "cases.tsv"))]
    ways = {}
    if symcheck != "-":
        ways["map"] = lambda f, offs: [symcheck, "map", f] + offs.split(",")
        ways["offsets"] = lambda f, offs: [symcheck, "offsets", f, "malloc", "free",
                                           "msfuzz_leak"]
    if memleak != "-":
        ways["-O"] = lambda f, offs: [memleak, "-p", str(os.getpid()), "-O", f, "--probes"]
    base_rss = {}
    failures, n_runs, slowest, largest = [], 0, (0, ""), (0, "")
    for name, kind, offs, expect in cases:
        path = os.path.join(corpus, name)
        size = os.path.getsize(path)
        base = name[:-len("000.so")]
        for way, argv in ways.items():
            r = run_rss(argv(path, offs))
            n_runs += 1
            what = "%s %s (%s)" % (way, name, kind)
            err_lines = [l for l in r["err"].splitlines() if l]
            info = [l for l in err_lines if " not read: " in l]
            errors = [l for l in err_lines if " not read: " not in l]
            sig = os.WIFSIGNALED(r["status"])
            rc = os.WEXITSTATUS(r["status"]) if not sig else -os.WTERMSIG(r["status"])
            slowest = max(slowest, (r["secs"], what))
            largest = max(largest, (r["rss"], what))
            bad = None
            if r["timed_out"]:
                bad = "still running after %d s" % TIMEOUT
            elif sig:
                bad = "killed by signal %d" % -rc
            elif rc not in (0, 1):
                bad = "exit %d" % rc
            elif rc == 1 and len(errors) != 1:
                bad = "exit 1 with %d error lines: %r" % (len(errors), errors[:3])
            elif rc == 0 and errors:
                bad = "exit 0 with errors: %r" % errors[:3]
            elif rc == 0 and not r["out"].strip():
                bad = "exit 0 without a report"
            if kind == "unmutated":
                base_rss[(base, way)] = r["rss"]
                # memleak -O refuses a library without malloc
                if way == "-O" and base == "lib":
                    good = rc == 1 and "has no function malloc" in r["err"]
                else:
                    good = rc == 0 and ("msfuzz_leak" if base == "lib" else "malloc") in r["out"]
                if not bad and not good:
                    bad = "unexpected on the unmutated file: %r %r" % (r["out"][:200], errors)
            limit = base_rss.get((base, way), 0) + bound(size) + SLACK
            if not bad and r["rss"] > limit:
                bad = "peak RSS %d MiB, beyond the bound (%d MiB)" % (r["rss"] >> 20, limit >> 20)
            if not bad and expect == "refuse":
                said = info + errors
                if not any(name in l and ("unpack" in l or "not read" in l) for l in said):
                    bad = "a bomb not refused by name: %r" % said[:3]
            for link, target in (("link fifo", "fifo.debug"), ("link device", "dev.debug")):
                if not bad and link in kind and way == "map" and \
                   not any(target + " not read: not a regular file" in l for l in info):
                    bad = "%s beside it was not named at -v: %r" % (target, info[:3])
            if bad:
                failures.append("%s: %s" % (what, bad))
    for f in failures:
        print("not ok fuzz %s" % f)
    if not failures:
        print("ok fuzz: %d files x %d ways (%d runs): each ended by itself within %d s with "
              "its report or one error line, peak RSS within the unpack bound, every bomb "
              "refused by name" % (len(cases), len(ways), n_runs, TIMEOUT))
    print("fuzz: slowest run %.2f s (%s), largest %d MiB (%s)" %
          (slowest[0], slowest[1], largest[0] >> 20, largest[1]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
