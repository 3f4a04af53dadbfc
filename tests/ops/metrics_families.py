"""Reads a Prometheus text exposition on stdin; fails (exit 1, naming them) when a sample's family
has no # HELP or no # TYPE line. A histogram's or summary's _bucket, _sum and _count samples
belong to the family without that suffix."""
import re
import sys

helps, types, samples = set(), {}, []
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("# HELP "):
        helps.add(line.split(" ")[2])
    elif line.startswith("# TYPE "):
        parts = line.split(" ")
        types[parts[2]] = parts[3]
    elif line and not line.startswith("#"):
        samples.append(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))

bad = []
for name in samples:
    family = name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            family = base
    if family not in helps or family not in types:
        bad.append(name)
if bad or not samples:
    print("without HELP or TYPE:", ", ".join(sorted(set(bad))) or "(no samples at all)")
    sys.exit(1)
