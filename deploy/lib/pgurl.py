#!/usr/bin/env python3
"""PostgreSQL connection URLs and passwords for deploy/db-init.sh, deploy/backup.sh and restore.sh.

  pgurl.py check URL                      exit 1 with a message: not a postgresql:// URL, or a password in it
  pgurl.py dbname URL                     the URL's database (empty when it names none)
  pgurl.py user URL                       the URL's user (empty when it names none)
  pgurl.py where URL                      host and port, for messages
  pgurl.py with URL [--user U] [--dbname D]   the same server and options with another user or database
  pgurl.py scram < FILE                   the SCRAM-SHA-256 verifier of the password on FILE's first line
  pgurl.py pgpass ROLE < FILE             a pgpass line (any host, port and database) for ROLE

A URL may name its user and database in the authority and path or as query parameters
(postgresql:///db?host=/run/pg&user=u); both are handled. Passwords are read from files only.
"""
import base64
import hashlib
import hmac
import os
import sys
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit


def die(msg):
    print(f"pgurl: {msg}", file=sys.stderr)
    sys.exit(1)


def parse(url):
    u = urlsplit(url)
    if u.scheme not in ("postgresql", "postgres"):
        die(f"not a postgresql:// URL: {url.split('@')[-1]}")
    return u, parse_qsl(u.query, keep_blank_values=True)


def check(url):
    u, q = parse(url)
    if u.password is not None or any(k == "password" for k, _ in q):
        die("the URL holds a password, which every process listing would show; "
            "give it in a password file (PGPASSFILE, ~/.pgpass) instead")


def get(url, key):
    u, q = parse(url)
    for k, v in q:
        if k == key:
            return v
    if key == "user":
        return unquote(u.username or "")
    if key == "dbname":
        return unquote(u.path.lstrip("/"))
    return ""


def with_(url, user=None, dbname=None):
    u, q = parse(url)
    netloc = u.netloc.rsplit("@", 1)[-1]
    q = [(k, v) for k, v in q if k != "password"]
    if user is not None:
        if any(k == "user" for k, _ in q):
            q = [(k, user if k == "user" else v) for k, v in q]
        else:
            netloc = quote(user, safe="") + "@" + netloc
    elif u.username:
        netloc = quote(unquote(u.username), safe="") + "@" + netloc
    path = u.path
    if dbname is not None:
        q = [(k, v) for k, v in q if k != "dbname"]
        path = "/" + quote(dbname, safe="")
    query = urlencode(q, safe="/")
    return f"{u.scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def password():
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        die("the password file is empty")
    return line


def scram(pw, iterations=4096):
    # as PostgreSQL stores it (src/common/scram-common.c): SCRAM-SHA-256$iter:salt$StoredKey:ServerKey
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", pw.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda b: base64.b64encode(b).decode()
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def main(argv):
    if len(argv) < 2:
        die("usage: pgurl.py check|dbname|user|where|with|scram|pgpass ...")
    cmd = argv[1]
    if cmd == "check":
        check(argv[2])
    elif cmd in ("dbname", "user"):
        print(get(argv[2], cmd))
    elif cmd == "where":
        host = get(argv[2], "host") or urlsplit(argv[2]).hostname or "the local socket"
        port = get(argv[2], "port") or urlsplit(argv[2]).port or 5432
        print(f"{host} port {port}")
    elif cmd == "with":
        url, user, dbname, rest = argv[2], None, None, argv[3:]
        while rest:
            if rest[0] == "--user":
                user = rest[1]
            elif rest[0] == "--dbname":
                dbname = rest[1]
            else:
                die(f"unknown option {rest[0]}")
            rest = rest[2:]
        print(with_(url, user, dbname))
    elif cmd == "scram":
        print(scram(password()))
    elif cmd == "pgpass":
        esc = lambda s: s.replace("\\", "\\\\").replace(":", "\\:")
        print(f"*:*:*:{esc(argv[2])}:{esc(password())}")
    else:
        die(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
