"""The report of bench/soak.sh, in markdown on stdout; exit status 1 when something went wrong
(the checks: the header of bench/soak.sh).

    python3 bench/soak/report.py OUTDIR SECONDS WARMUP THREADS CONNECTIONS WRITES_PER_SECOND
        RSS_SLACK_MIB CACHE_MAX_BYTES NREADS SERVER_EXIT WRITER_OK LOADAVG START_SAMPLE END_SAMPLE

It reads what the run left in OUTDIR: wrk.txt (from bench/soak/reads.lua), writes.tsv,
counts.tsv and summary.txt (from bench/soak/writer.py), db-check.txt (bench/soak/db-check.sql)
and samples.tsv; START_SAMPLE and END_SAMPLE are lines in the format of samples.tsv."""
import os, re, sys
(out, seconds, warmup, threads, conns, write_rate, slack_mib, cache_max, nreads, server_exit,
 writer_ok, load, start_sample, end_sample) = sys.argv[1:15]
seconds, warmup, slack_mib, cache_max = int(seconds), int(warmup), int(slack_mib), int(cache_max or 0)
MiB = 1024.0
problems = []

def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]

# reads (wrk)
wrk = open(f"{out}/wrk.txt", encoding="utf-8", errors="replace").read()
rstatus = {int(a): int(b) for a, b in re.findall(r"^status (\d+) (\d+)$", wrk, re.M)}
m = re.search(r"^requests (\d+)$", wrk, re.M)
if not m:
    print(wrk[-2000:], file=sys.stderr)
    sys.exit("soak: wrk gave no summary")
rreq = int(m.group(1))
rdur = int(re.search(r"^duration_us (\d+)$", wrk, re.M).group(1)) / 1e6
err = dict(zip(("connect", "read", "write", "timeout"), map(int, re.search(
    r"^errors connect (\d+) read (\d+) write (\d+) timeout (\d+)$", wrk, re.M).groups())))
lat = re.search(r"^latency p50 (\d+) p99 (\d+) max (\d+)$", wrk, re.M)
r50, r99, rmax = (int(x) / 1000 for x in lat.groups())
r_unexpected = sum(n for c, n in rstatus.items() if c != 200) + sum(err.values())

# writes
rows = [l.rstrip("\n").split("\t") for l in open(f"{out}/writes.tsv", encoding="utf-8")][1:]
wlat = [float(r[4]) for r in rows]
wreq = len(rows)
wstatus, ops = {}, {}
for t, op, expect, st, ms, verdict in rows:
    o = ops.setdefault(op, [expect, 0, {}])
    if verdict == "expected":
        o[1] += 1
    else:
        o[2][st] = o[2].get(st, 0) + 1
    wstatus.setdefault(verdict == "expected", {}).setdefault(st, 0)
    wstatus[verdict == "expected"][st] += 1
for line in open(f"{out}/counts.tsv", encoding="utf-8") if writer_ok == "1" else []:
    op, st, verdict, n = line.rstrip("\n").split("\t")
    if op.endswith("another id or token"):
        ops.setdefault(op, ["same id", 0, {}])[2][st] = int(n)
w_unexpected = sum(sum(o[2].values()) for o in ops.values())
summary = dict(l.split() for l in open(f"{out}/summary.txt", encoding="utf-8") if l.strip())

# database
db = [l.rstrip("\n").split("\t") for l in open(f"{out}/db-check.txt", encoding="utf-8") if l.strip()]
dbv = {r[0]: int(r[1]) for r in db if r[0] != "mismatch"}
mismatches = [r[1:] for r in db if r[0] == "mismatch"]
acked = dbv.get("acknowledged", 0)
writes_2xx = sum(n for st, n in wstatus.get(True, {}).items() if st.startswith("2"))

# memory
samples = []
for l in list(open(f"{out}/samples.tsv", encoding="utf-8"))[1:]:
    f = l.rstrip("\n").split("\t")
    if len(f) == 8 and f[1]:
        samples.append({"t": int(f[0]), "rss": int(f[1]), "hwm": int(f[2]), "threads": f[3], "fds": f[4],
                        "cache": int(f[5] or 0), "entries": f[6], "5xx": int(f[7] or 0)})
start = start_sample.split("\t"); end = end_sample.split("\t")
rss_start = int(start[1]) / MiB
w = next(s for s in samples if s["t"] >= warmup)
after = [s for s in samples if s["t"] >= warmup]
peak = max(after, key=lambda s: s["rss"])
rss_end = int(end[1]) / MiB
n = len(after)
mt = sum(s["t"] for s in after) / n; mr = sum(s["rss"] for s in after) / n
den = sum((s["t"] - mt) ** 2 for s in after)
slope = (sum((s["t"] - mt) * (s["rss"] - mr) for s in after) / den * 600 / MiB) if den else 0.0
# the same slope of the RSS less what the response cache holds (which may fill up to its cap):
# a leak of 1 KiB per write at 4 writes a second is +2.3 MiB per 10 min of it, which the peak
# bound alone would let pass for half an hour
def net(s):
    return s["rss"] - s["cache"] / MiB
mn = sum(net(s) for s in after) / n
slope_net = (sum((s["t"] - mt) * (net(s) - mn) for s in after) / den * 600 / MiB) if den else 0.0
slope_bound = float(os.environ.get("SOAK_RSS_SLOPE_MIB", "1.5"))
cache_growth = max(0, peak["cache"] - w["cache"]) / MiB / MiB
growth = (peak["rss"] - w["rss"]) / MiB
excess = growth - cache_growth
server_5xx = int(end[7] or 0)

if r_unexpected:
    problems.append(f"{r_unexpected} unexpected reads")
if w_unexpected:
    problems.append(f"{w_unexpected} unexpected writes")
if server_5xx:
    problems.append(f"the server counted {server_5xx} 5xx answers (/metrics)")
if writer_ok != "1":
    problems.append("the write process failed")
if dbv.get("as_answered") != acked or dbv.get("rows_of_run") != acked or dbv.get("revisions_approved") != int(summary.get("revisions_applied", -1)):
    problems.append("the database does not hold the writes as answered")
if excess > slack_mib:
    problems.append(f"RSS grew {excess:.1f} MiB after the warm-up beyond the cache's growth (bound {slack_mib} MiB)")
if slope_net > slope_bound:
    problems.append(f"RSS less the cache rose {slope_net:+.2f} MiB per 10 min after the warm-up (bound {slope_bound} MiB)")
if server_exit != "0":
    problems.append(f"the server exited {server_exit} on SIGTERM")

def codes(d):
    return ", ".join(f"{c} × {n:,}" for c, n in sorted(d.items())) or "none"

total = rreq + wreq
print(f"Soak: {seconds} s; reads: wrk, {threads} threads, {conns} connections, cycling through {nreads} targets; "
      f"writes: one process, {write_rate} requests/s, {summary.get('cycles', '?')} cycles. Load average at the end: {load}.")
print()
print("| | reads | writes | all |")
print("|---|---:|---:|---:|")
print(f"| duration | {rdur:.0f} s | {seconds} s | |")
print(f"| requests | {rreq:,} | {wreq:,} | {total:,} |")
print(f"| req/s | {rreq / rdur:,.0f} | {wreq / seconds:.1f} | {total / rdur:,.0f} |")
print(f"| p50 / p99 latency | {r50:.2f} / {r99:.2f} ms (max {rmax:.0f}) | {pct(wlat, 50):.1f} / {pct(wlat, 99):.1f} ms (max {max(wlat or [0]):.0f}) | |")
print(f"| expected statuses | {codes({c: n for c, n in rstatus.items() if c == 200})} | {codes(wstatus.get(True, {}))} | |")
print(f"| UNEXPECTED | {r_unexpected} ({codes({c: n for c, n in rstatus.items() if c != 200})}; connection errors {err['connect'] + err['read'] + err['write']}, timeouts {err['timeout']}) "
      f"| {w_unexpected} ({codes(wstatus.get(False, {}))}) | {r_unexpected + w_unexpected} |")
print()
print("| write | expected | as expected | UNEXPECTED |")
print("|---|---|---:|---:|")
for op, (expect, ok, bad) in sorted(ops.items(), key=lambda kv: (kv[0].startswith("bad"), kv[0])):
    print(f"| {op} | {expect} | {ok:,} | {sum(bad.values())}{' (' + codes(bad) + ')' if bad else ''} |")
print()
print(f"| memory (VmRSS of routekaartd) | |")
print("|---|---:|")
print(f"| at start (listening, before the load) | {rss_start:.1f} MiB |")
print(f"| after the warm-up ({warmup} s) | {w['rss'] / MiB:.1f} MiB |")
print(f"| max after the warm-up | {peak['rss'] / MiB:.1f} MiB (at {peak['t']} s) |")
print(f"| at the end | {rss_end:.1f} MiB |")
print(f"| slope after the warm-up (least squares) | {slope:+.2f} MiB per 10 min |")
print(f"| slope of the RSS less the cache after the warm-up | {slope_net:+.2f} MiB per 10 min (bound {slope_bound} MiB): {'ok' if slope_net <= slope_bound else 'EXCEEDED'} |")
print(f"| response cache after the warm-up / at the max / at the end | {w['cache'] / MiB / MiB:.1f} / {peak['cache'] / MiB / MiB:.1f} / {int(end[5] or 0) / MiB / MiB:.1f} MiB (cap {cache_max / MiB / MiB:.0f} MiB) |")
print(f"| growth after the warm-up beyond the cache's | {excess:+.1f} MiB (bound {slack_mib} MiB): {'ok' if excess <= slack_mib else 'EXCEEDED'} |")
print(f"| threads, open descriptors after the warm-up / at the end | {w['threads']}, {w['fds']} / {end[3]}, {end[4]} |")
print()
print(f"Database: {acked:,} submissions acknowledged (201), {writes_2xx:,} writes answered 2xx; "
      f"{dbv.get('as_answered', 0):,} of them in the database exactly as the last 2xx left them "
      f"(status, name, description, reason); {dbv.get('rows_of_run', 0):,} rows of this run in all "
      f"(a repeated Idempotency-Key made none); {dbv.get('revisions_approved', 0)} approved revisions of "
      f"{summary.get('revisions_applied', '?')} answered 200.")
for mm in mismatches:
    print(f"  mismatch: id {mm[0]}: {mm[1]}: {mm[2]}")
print(f"Server: {server_5xx} 5xx answers by its own count; exit status {server_exit} on SIGTERM.")
print()
print("RSS every minute (MiB; cache = routekaart_cache_bytes):")
print()
print("| s | RSS | cache | entries | threads | fds |")
print("|---:|---:|---:|---:|---:|---:|")
for s in samples:
    if s["t"] % 60 == 0:
        print(f"| {s['t']} | {s['rss'] / MiB:.1f} | {s['cache'] / MiB / MiB:.1f} | {s['entries']} | {s['threads']} | {s['fds']} |")
print()
print("Result: " + ("ok" if not problems else "FAILED: " + "; ".join(problems)))
sys.exit(1 if problems else 0)
