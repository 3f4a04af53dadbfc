#!/usr/bin/env python3
"""Compares what a load (load.py) was acknowledged with what a server now answers.

  check-restore.py --base URL --load load.json [--before T]

For every acknowledged submission (of those acknowledged before the time T, when given): the
submission read with its edit token equals the last one the API returned, and a published one's
feature equals the last one returned. Prints a JSON summary: how many were checked, and the ids
that are missing or differ.
"""
import argparse
import http.client
import json
from urllib.parse import urlsplit

ap = argparse.ArgumentParser()
ap.add_argument("--base", required=True)
ap.add_argument("--load", required=True)
ap.add_argument("--before", type=float, default=None)
args = ap.parse_args()
u = urlsplit(args.base)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def get(path, headers=None):
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    return r.status, r.read()


checked, published, missing, differ = 0, 0, [], []
for rec in json.load(open(args.load))["acked"]:
    if args.before is not None and rec["done_at"] >= args.before:
        continue
    if "submission" not in rec:
        continue
    checked += 1
    st, body = get(f"/submissions/{rec['id']}", {"Authorization": f"Bearer {rec['token']}"})
    if st != 200:
        missing.append(rec["id"]); continue
    if json.loads(body) != rec["submission"]:
        differ.append(rec["id"]); continue
    if "feature" in rec:
        published += 1
        st, body = get(f"/collections/initiatives/items/{rec['id']}")
        if st != 200:
            missing.append(rec["id"])
        elif json.loads(body) != rec["feature"]:
            differ.append(rec["id"])
print(json.dumps({"checked": checked, "published": published, "missing": missing, "differ": differ}))
