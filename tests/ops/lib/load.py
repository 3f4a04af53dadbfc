#!/usr/bin/env python3
"""A read and write load on a running routekaartd, for the operations tests.

  load.py --base http://127.0.0.1:PORT --out FILE --stop FILE [--readers N] [--writers N] [--key rkk_...]

Readers ask for pages, features, overviews and tiles with parameters that miss the response
cache, so that every answer comes from the database. Writers submit an initiative
(tests/cases/submission-valid.json), approve every second one with the moderator key, and read
back what the API then says: the submission (with its edit token) and, when published, the feature.
Runs until the file --stop exists; every worker ends its step first. Writes to --out a JSON
document: the answers by status, each unexpected answer (5xx, a status the step does not expect,
an error that is not application/problem+json, a connection error), and per acknowledged (201)
submission its id, token and the last submission document and feature the API returned.
"""
import argparse
import http.client
import json
import os
import random
import threading
import time
from urllib.parse import urlsplit

ap = argparse.ArgumentParser()
ap.add_argument("--base", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--stop", required=True)
ap.add_argument("--readers", type=int, default=4)
ap.add_argument("--writers", type=int, default=0)
ap.add_argument("--key", default="")
ap.add_argument("--pause", type=float, default=0, help="seconds each reader waits between requests")
ap.add_argument("--body", default=os.path.join(os.path.dirname(__file__), "../../cases/submission-valid.json"))
args = ap.parse_args()

base = urlsplit(args.base)
body = open(args.body, "rb").read()
lock = threading.Lock()
statuses = {}
unexpected = []
acked = {}
timeline = []   # (start, end, status) of every request, time.time()


def note(what, status, ctype, expected, t0):
    with lock:
        timeline.append((t0, time.time(), status))
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        bad = status not in expected or (status >= 400 and not ctype.startswith("application/problem+json"))
        if bad and len(unexpected) < 50:
            unexpected.append({"request": what, "status": status, "content_type": ctype})
        elif bad:
            unexpected.append(None)


class Client:
    def __init__(self):
        self.c = None

    def ask(self, method, path, data=None, headers=None, expected=(200,)):
        for attempt in (0, 1):
            t0 = time.time()
            try:
                if self.c is None:
                    self.c = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
                self.c.request(method, path, body=data, headers=headers or {})
                r = self.c.getresponse()
                payload = r.read()
                ctype = r.getheader("Content-Type", "")
                if r.getheader("Connection", "").lower() == "close":
                    self.c.close(); self.c = None
                note(f"{method} {path}", r.status, ctype, expected, t0)
                return r.status, payload
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                # a kept-alive connection the server closed between requests: once more on a new one
                self.c = None
                if attempt == 1:
                    note(f"{method} {path}: {e!r}", 0, "", expected, t0)
                    return 0, b""
            except OSError as e:
                self.c = None
                note(f"{method} {path}: {e!r}", 0, "", expected, t0)
                return 0, b""


def reader(seed):
    rnd = random.Random(seed)
    cl = Client()
    while not os.path.exists(args.stop):
        k = rnd.randrange(6)
        if k == 0:
            path = f"/collections/initiatives/items?limit={rnd.randint(1, 100)}&offset={rnd.randint(0, 500)}"
        elif k == 1:
            path = f"/collections/initiatives/items?niveau={rnd.randint(2, 4)}&limit={rnd.randint(1, 200)}"
        elif k == 2:
            path = f"/collections/initiatives/items/{rnd.randint(1, 600)}?f=json&x={rnd.random()}"
            cl.ask("GET", path, expected=(200, 400, 404))
            time.sleep(args.pause)
            continue
        elif k == 3:
            path = f"/overviews/arbeidsmarktregio?as_of=2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        elif k == 4:
            z = rnd.randint(5, 12); n = 1 << z
            path = f"/collections/initiatives/tiles/{z}/{rnd.randrange(n)}/{rnd.randrange(n)}"
            cl.ask("GET", path, expected=(200, 204))
            time.sleep(args.pause)
            continue
        else:
            path = f"/collections/schools/items?limit={rnd.randint(1, 100)}&offset={rnd.randint(0, 1000)}"
        cl.ask("GET", path)
        time.sleep(args.pause)


def writer(seed):
    cl = Client()
    n = 0
    while not os.path.exists(args.stop):
        n += 1
        st, p = cl.ask("POST", "/submissions", body, {"Content-Type": "application/json"}, expected=(201,))
        if st != 201:
            continue
        doc = json.loads(p)
        sid, token = doc["id"], doc["edit_token"]
        rec = {"id": sid, "token": token, "published": False, "acked_at": time.time()}
        with lock:
            acked[sid] = rec
        if args.key and n % 2 == 0:
            st, _ = cl.ask("POST", f"/admin/submissions/{sid}/approve",
                           b"", {"Authorization": f"Bearer {args.key}"}, expected=(200,))
            rec["published"] = st == 200
        st, p = cl.ask("GET", f"/submissions/{sid}", headers={"Authorization": f"Bearer {token}"})
        if st == 200:
            rec["submission"] = json.loads(p)
        if rec["published"]:
            st, p = cl.ask("GET", f"/collections/initiatives/items/{sid}")
            if st == 200:
                rec["feature"] = json.loads(p)
        rec["done_at"] = time.time()


threads = [threading.Thread(target=reader, args=(i,)) for i in range(args.readers)]
threads += [threading.Thread(target=writer, args=(i,)) for i in range(args.writers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(args.out, "w") as f:
    json.dump({"statuses": statuses, "unexpected": unexpected, "timeline": timeline,
               "acked": sorted(acked.values(), key=lambda r: r["id"])}, f)
