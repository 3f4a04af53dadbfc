"""The write side of the soak: cycles of submit, correct, moderate and withdraw, plus one
deliberately bad request a cycle. Every request: a line in writes.tsv (seconds, operation,
expected status, status, ms, verdict). At the end: expected.csv (the state of every submission
as the 2xx answers left it), counts.tsv and summary.txt.

    python3 bench/soak/writer.py PORT MODERATOR_KEY SECONDS REQUESTS_PER_SECOND TAG OUTDIR TEMPLATE

as bench/soak.sh runs it: the server on 127.0.0.1:PORT, TAG in the name of every submission of the
run, TEMPLATE the JSON document every submission starts from (tests/cases/submission-valid.json)."""
import csv, http.client, json, sys, time

base_port, key, deadline_s, rate, tag, outdir, template = sys.argv[1:8]
port, deadline, rate = int(base_port), time.monotonic() + float(deadline_s), float(rate)
doc_template = json.load(open(template, encoding="utf-8"))
t0 = time.monotonic()
sent = 0
log = open(f"{outdir}/writes.tsv", "w", encoding="utf-8")
log.write("t_s\top\texpected\tstatus\tms\tverdict\n")
counts = {}          # (op, status, verdict) -> n
state = {}           # id -> dict(status, name, description, reason, token)
revisions_applied = 0
last_wrong_token = -1e9

def request(op, method, path, body=None, headers=None, expect=200, ctype="application/json"):
    """One request on a connection of its own, paced; returns (status, parsed JSON or None)."""
    global sent
    now = time.monotonic()
    slot = t0 + sent / rate
    if slot > now:
        time.sleep(slot - now)
    sent += 1
    h = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if isinstance(data, str):
            data = data.encode("utf-8")
        h["Content-Type"] = ctype
    start = time.monotonic()
    status, parsed = 0, None
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        raw = r.read()
        status = r.status
        c.close()
        if raw and "json" in (r.getheader("Content-Type") or ""):
            parsed = json.loads(raw)
    except Exception as e:  # a connection error or timeout: status 0
        sys.stderr.write(f"writer: {op} {method} {path}: {e!r}\n")
    ms = (time.monotonic() - start) * 1000
    if status == expect:
        verdict = "expected"
    elif status == 0:
        verdict = "UNEXPECTED (no answer)"
    else:
        verdict = "UNEXPECTED"
        sys.stderr.write(f"writer: {op} {method} {path}: {status}, expected {expect}: {str(parsed)[:300]}\n")
    counts[(op, status, verdict)] = counts.get((op, status, verdict), 0) + 1
    log.write(f"{start - t0:.3f}\t{op}\t{expect}\t{status}\t{ms:.2f}\t{verdict}\n")
    return status, parsed

def bearer(tok):
    return {"Authorization": f"Bearer {tok}"}

MOD = bearer(key)
closed = []          # ids of rejected or withdrawn submissions
last_decided = None  # an id whose new submission was approved or rejected

def deliberate(i):
    """One request that must be refused, by kind."""
    global last_wrong_token
    kind = i % 6
    if kind == 0:
        request("bad: invalid body", "POST", "/submissions", {}, expect=422)
    elif kind == 1:
        request("bad: malformed JSON", "POST", "/submissions", "{", expect=400)
    elif kind == 2:
        request("bad: text/plain", "POST", "/submissions", "{}", ctype="text/plain", expect=415)
    elif kind == 3 and last_decided is not None and state[last_decided]["status"] in ("published", "rejected", "withdrawn"):
        # nothing pending: a second approval
        request("bad: approve decided", "POST", f"/admin/submissions/{last_decided}/approve", headers=MOD, expect=409)
    elif kind == 4:
        request("bad: no such submission", "POST", "/admin/submissions/999999999/approve", headers=MOD, expect=404)
    elif kind == 5 and closed:
        sid = closed[-1]
        now = time.monotonic()
        if now - last_wrong_token >= 10:
            last_wrong_token = now
            request("bad: wrong edit token", "PATCH", f"/submissions/{sid}", {"description": "x"},
                    headers=bearer("rke_" + "A" * 32), expect=401)
        else:
            request("bad: change a closed one", "PATCH", f"/submissions/{sid}", {"description": "x"},
                    headers=bearer(state[sid]["token"]), expect=409)
    else:
        request("bad: invalid body", "POST", "/submissions", {"name": "x"}, expect=422)

i = 0
while time.monotonic() < deadline:
    i += 1
    name = f"Soak {tag} {i}"
    doc = dict(doc_template, name=name)
    idem = {"Idempotency-Key": f"soak-{tag}-{i}"}
    st, body = request("submit", "POST", "/submissions", doc, headers=idem, expect=201)
    if st != 201:
        deliberate(i)
        continue
    sid, tok = body["id"], body["edit_token"]
    state[sid] = {"status": "submitted", "name": name, "description": doc.get("description"), "reason": None, "token": tok}
    if i % 5 == 0:
        st, again = request("submit again (same key)", "POST", "/submissions", doc, headers=idem, expect=201)
        if st == 201 and (again.get("id") != sid or again.get("edit_token") != tok):
            counts[("submit again (same key): another id or token", st, "UNEXPECTED")] = 1 + counts.get(("submit again (same key): another id or token", st, "UNEXPECTED"), 0)
    desc = f"Soak-correctie {tag} {i}: ook met stages in de regio."
    st, _ = request("correct (PATCH)", "PATCH", f"/submissions/{sid}", {"description": desc}, headers=bearer(tok))
    if st == 200:
        state[sid]["description"] = desc
    if i % 8 == 7:
        reason = f"Soak {tag}: geen mbo-partner bevestigd."
        st, _ = request("reject", "POST", f"/admin/submissions/{sid}/reject", {"reason": reason}, headers=MOD)
        if st == 200:
            state[sid].update(status="rejected", reason=reason)
            closed.append(sid)
            last_decided = sid
    else:
        st, _ = request("approve", "POST", f"/admin/submissions/{sid}/approve", headers=MOD)
        if st == 200:
            state[sid]["status"] = "published"
            last_decided = sid
    if state[sid]["status"] == "published" and i % 3 == 0:
        newname = f"Soak {tag} {i} herzien"
        st, _ = request("revise (PATCH published)", "PATCH", f"/submissions/{sid}", {"name": newname}, headers=bearer(tok))
        if st == 200:
            st, _ = request("approve revision", "POST", f"/admin/submissions/{sid}/approve", headers=MOD)
            if st == 200:
                state[sid]["name"] = newname
                revisions_applied += 1
    if state[sid]["status"] == "published" and i % 4 == 1:
        reason = f"Soak {tag}: de route wordt niet meer aangeboden."
        st, _ = request("withdraw (moderator)", "POST", f"/admin/submissions/{sid}/withdraw", {"reason": reason}, headers=MOD)
        if st == 200:
            state[sid].update(status="withdrawn", reason=reason)
            closed.append(sid)
    elif state[sid]["status"] == "published" and i % 8 == 2:
        st, _ = request("withdraw (submitter)", "DELETE", f"/submissions/{sid}", headers=bearer(tok))
        if st == 200:
            state[sid]["status"] = "withdrawn"
            closed.append(sid)
    deliberate(i)

log.close()
with open(f"{outdir}/expected.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    for sid, s in sorted(state.items()):
        w.writerow([sid, s["status"], s["name"], s["description"] or "", s["reason"] or ""])
with open(f"{outdir}/counts.tsv", "w", encoding="utf-8") as f:
    for (op, st, verdict), n in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        f.write(f"{op}\t{st}\t{verdict}\t{n}\n")
with open(f"{outdir}/summary.txt", "w", encoding="utf-8") as f:
    f.write(f"cycles {i}\nrequests {sent}\nsubmissions {len(state)}\nrevisions_applied {revisions_applied}\n")
