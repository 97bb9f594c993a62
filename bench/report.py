#!/usr/bin/python3
"""report.py - turn bench/run's results.tsv into a Markdown table.

usage: report.py results.tsv            print the table
       report.py --readme FILE results.tsv
                                        replace the part of FILE between
                                        <!-- bench:begin --> and
                                        <!-- bench:end --> with it

results.tsv lines: N TOOL RUN PHASE SECONDS MAXRSS_KB [LOADAVG [CPU]]
(one per timed command; a phase's commands add up, its peak RSS is the largest).
Several files may be given (e.g. a default run and a --big run).
"""

import collections
import os
import platform
import statistics
import subprocess
import sys
import time

TOOLS = ("debpipe", "debpipe-copy", "aptly", "aptly-bz2", "reprepro",
         "floor")


def load(paths):
    secs = collections.defaultdict(float)     # (n, tool, run, phase)
    rss = collections.defaultdict(int)        # (n, tool)
    sizes = {}
    runs = collections.defaultdict(set)       # (n, tool) -> runs
    loads = []
    cpu = collections.defaultdict(float)      # (n, tool, run, phase)
    for path in paths:
        f = open(path)
        for line in f:
            p = line.rstrip("\n").split("\t")
            c = None
            if len(p) == 8:
                c = float(p.pop())
            if len(p) == 7:
                loads.append(float(p.pop()))
            if len(p) != 6:
                continue
            n, tool, run, phase, s, kb = p
            n = int(n)
            if tool == "floor-size":
                sizes[n] = int(phase)
                continue
            secs[(n, tool, run, phase)] += float(s)
            if c is not None:
                cpu[(n, tool, run, phase)] += c
            rss[(n, tool)] = max(rss[(n, tool)], int(kb))
            runs[(n, tool)].add(run)
        f.close()
    return secs, rss, sizes, runs, loads, cpu


def median(secs, runs, n, tool, phase):
    v = [secs[(n, tool, r, phase)] for r in sorted(runs[(n, tool)])
         if (n, tool, r, phase) in secs]
    return statistics.median(v) if v else None


def fmt(x):
    if x is None:
        return "-"
    return "%.2f" % x if x < 10 else "%.1f" % x


def ratio(x, base):
    if x is None or not base:
        return "-"
    return "%.1fx" % (x / base)


def table(paths):
    secs, rss, sizes, runs, loads, cpu = load(paths)
    out = []
    ns = sorted({k[0] for k in runs})
    out.append("| N | tool | runs | add (s) | publish (s) | add+publish (s) "
               "| incremental (s) | peak RSS (MiB) | add vs debpipe "
               "| publish vs debpipe | add+publish vs debpipe "
               "| incremental vs debpipe |")
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in ns:
        base_total = base_incr = base_add = base_pub = None
        for tool in TOOLS:
            if (n, tool) not in runs:
                continue
            add = median(secs, runs, n, tool, "add")
            pub = median(secs, runs, n, tool, "publish")
            inc = median(secs, runs, n, tool, "incr")
            total = None
            if tool != "floor" and add is not None and pub is not None:
                total = add + pub
            if tool == "debpipe":
                base_total, base_incr, base_add = total, inc, add
                base_pub = pub
            out.append("| %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s "
                       "| %s |"
                       % (n, tool, len(runs[(n, tool)]), fmt(add), fmt(pub),
                          fmt(total), fmt(inc),
                          "%.0f" % (rss[(n, tool)] / 1024.0),
                          ratio(add, base_add)
                          if tool not in ("debpipe", "floor") else "",
                          ratio(pub, base_pub)
                          if tool not in ("debpipe", "floor") else "",
                          ratio(total, base_total)
                          if tool not in ("debpipe", "floor") else "",
                          ratio(inc, base_incr)
                          if tool not in ("debpipe", "floor") else ""))
    out.append("")
    floors = []
    for n in ns:
        pub = median(secs, runs, n, "debpipe", "publish")
        flo = median(secs, runs, n, "floor", "publish")
        if pub is not None and flo:
            floors.append("N=%d: %.1fx" % (n, pub / flo))
    if floors:
        out.append("debpipe's publish against the compression floor (debpipe "
                   "/ floor, wall): " + ", ".join(floors) + ".")
        out.append("")
    if cpu:
        out.append("CPU time (user+sys seconds, medians; less sensitive than "
                   "wall time to other load on the machine):")
        out.append("")
        out.append("| N | tool | add | publish | add+publish | incremental "
                   "| add+publish vs debpipe | incremental vs debpipe |")
        out.append("|---:|---|---:|---:|---:|---:|---:|---:|")
        for n in ns:
            base_total = base_incr = None
            for tool in TOOLS:
                if (n, tool) not in runs:
                    continue
                add = median(cpu, runs, n, tool, "add")
                pub = median(cpu, runs, n, tool, "publish")
                inc = median(cpu, runs, n, tool, "incr")
                total = None
                if tool != "floor" and add is not None and pub is not None:
                    total = add + pub
                if tool == "debpipe":
                    base_total, base_incr = total, inc
                other = tool not in ("debpipe", "floor")
                out.append("| %d | %s | %s | %s | %s | %s | %s | %s |"
                           % (n, tool, fmt(add), fmt(pub), fmt(total),
                              fmt(inc),
                              ratio(total, base_total) if other else "",
                              ratio(inc, base_incr) if other else ""))
        out.append("")
    if sizes:
        out.append("Packages file sizes (uncompressed, the floor's input): " +
                   ", ".join("N=%d: %.1f MiB" % (n, sizes[n] / 1048576.0)
                             for n in sorted(sizes)) + ".")
    if loads:
        out.append("")
        out.append("Load average (1 min) after the timed commands: "
                   "%.1f to %.1f, median %.1f (2 CPUs; above 1-2 other "
                   "work shared the machine)." % (min(loads), max(loads),
                                                 statistics.median(loads)))
    out.append("")
    return "\n".join(out)


def machine():
    def cmd(*a):
        try:
            r = subprocess.run(a, capture_output=True, text=True,
                               timeout=10)
            return (r.stdout + r.stderr).strip().split("\n")[0]
        except Exception:
            return "?"
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = "%.0f GiB" % (int(f.readline().split()[1]) / 1048576.0)
    except OSError:
        pass
    return ("Measured %s on %s, %d CPUs, %s RAM, kernel %s; %s; %s."
            % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               platform.machine(), os.cpu_count() or 0, mem,
               platform.release(), cmd("aptly", "version"),
               cmd("reprepro", "--version") or "reprepro"))


def main():
    args = sys.argv[1:]
    readme = None
    if args[:1] == ["--readme"]:
        readme, args = args[1], args[2:]
    t = table(args)
    if readme is None:
        sys.stdout.write(t)
        return
    with open(readme) as f:
        text = f.read()
    b, e = "<!-- bench:begin -->", "<!-- bench:end -->"
    if b not in text or e not in text:
        sys.exit("report.py: %s has no %s ... %s markers" % (readme, b, e))
    head, rest = text.split(b, 1)
    _, tail = rest.split(e, 1)
    with open(readme, "w") as f:
        f.write(head + b + "\n" + machine() + "\n\n" + t + e + tail)


if __name__ == "__main__":
    main()
