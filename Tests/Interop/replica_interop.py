#!/usr/bin/env python3
"""Drives libSQL's official embedded-replica client against a running `libsql serve` (sync protocol v2).

Usage: replica_interop.py URL TOKEN WORKDIR [MODULE]
  MODULE is `libsql` (PyPI libsql 0.1.11, Rust crate 0.9.22; the default) or `libsql_experimental`
  (0.0.55, crate 0.9.10).

The primary is written over plain Hrana HTTP (urllib, independent of the client under test). After every
step the replica syncs and must match the primary: schema (with root pages), every row, page count, and
`pragma_integrity_check()` run on the replica itself. Exits 0 when every check passed, 1 otherwise, and
prints one line per step.
"""
import base64
import hashlib
import importlib
import json
import os
import sys
import time
import urllib.request

URL, TOKEN, WORKDIR = sys.argv[1], sys.argv[2], sys.argv[3]
MODULE = sys.argv[4] if len(sys.argv) > 4 else "libsql"
client = importlib.import_module(MODULE)
failures = []


def hrana(statements):
    """Runs statements on the primary in one pipeline and returns their results."""
    requests = [{"type": "execute", "stmt": {"sql": sql, "args": [encode(a) for a in args]}} for sql, args in statements]
    body = json.dumps({"baton": None, "requests": requests + [{"type": "close"}]}).encode()
    request = urllib.request.Request(URL + "/v3/pipeline", data=body, method="POST",
                                     headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        results = json.load(response)["results"]
    for result in results[:-1]:
        if result["type"] != "ok":
            raise RuntimeError(f"primary statement failed: {result}")
    return [r["response"]["result"] for r in results[:-1]]


def encode(value):
    if value is None:
        return {"type": "null"}
    if isinstance(value, bytes):
        return {"type": "blob", "base64": base64.b64encode(value).decode()}
    if isinstance(value, int):
        return {"type": "integer", "value": str(value)}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    return {"type": "text", "value": value}


def decode(value):
    kind = value["type"]
    if kind == "null":
        return None
    if kind == "integer":
        return int(value["value"])
    if kind == "float":
        return float(value["value"])
    if kind == "blob":
        data = value["base64"]
        return base64.b64decode(data + "=" * (-len(data) % 4))
    return value["value"]


def fingerprint(rows):
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr([(type(v).__name__, v.hex() if isinstance(v, bytes) else v) for v in row]).encode())
    return digest.hexdigest()


SCHEMA = "SELECT type, name, tbl_name, rootpage, sql FROM sqlite_schema ORDER BY name"


def primary_state():
    schema = [[decode(v) for v in row] for row in hrana([(SCHEMA, [])])[0]["rows"]]
    tables = [row[1] for row in schema if row[0] == "table" and not row[1].startswith("sqlite_")]
    results = hrana([(f'SELECT * FROM "{t}" ORDER BY 1', []) for t in tables] + [("SELECT * FROM pragma_page_count()", [])])
    rows = {t: fingerprint([[decode(v) for v in row] for row in r["rows"]]) for t, r in zip(tables, results)}
    return schema, rows, decode(results[-1]["rows"][0][0])


def replica_state(conn):
    schema = [list(row) for row in conn.execute(SCHEMA).fetchall()]
    tables = [row[1] for row in schema if row[0] == "table" and not row[1].startswith("sqlite_")]
    rows = {t: fingerprint(conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall()) for t in tables}
    pages = conn.execute("SELECT * FROM pragma_page_count()").fetchall()[0][0]
    return schema, rows, pages


def generation():
    request = urllib.request.Request(URL + "/info", headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["current_generation"]


def check(conn, step):
    conn.sync()
    expected, actual = primary_state(), replica_state(conn)
    integrity = conn.execute("SELECT * FROM pragma_integrity_check()").fetchall()
    ok = expected == actual and integrity == [("ok",)]
    print(f"{'ok  ' if ok else 'FAIL'} {step} (generation {generation()}, {len(actual[1])} tables, {actual[2]} pages)")
    if not ok:
        failures.append(step)
        if expected != actual:
            print(f"     primary {expected}\n     replica {actual}")
        if integrity != [("ok",)]:
            print(f"     integrity {integrity}")


def connect():
    return client.connect(os.path.join(WORKDIR, "replica.db"), sync_url=URL, auth_token=TOKEN)


hrana([("CREATE TABLE IF NOT EXISTS seed(id INTEGER PRIMARY KEY, v TEXT)", []),
       ("INSERT INTO seed(v) VALUES ('before the replica existed')", [])])
conn = connect()
check(conn, "bootstrap")

hrana([("CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, data BLOB)", [])])
check(conn, "create table")
hrana([("INSERT INTO items(name, qty) VALUES (?, ?)", [f"item {i}", i]) for i in range(300)])
check(conn, "insert 300 rows")
hrana([("UPDATE items SET qty = qty * 10 WHERE id % 3 = 0", []), ("DELETE FROM items WHERE id % 7 = 0", [])])
check(conn, "update and delete")
hrana([("CREATE INDEX items_name ON items(name)", []), ("ALTER TABLE items ADD COLUMN note TEXT DEFAULT 'n'", [])])
check(conn, "create index, alter table")
blob = bytes((i * 7) % 256 for i in range(200_000))
hrana([("INSERT INTO items(name, data) VALUES ('blob', ?)", [blob])])
check(conn, "200 KB blob over many overflow pages")
before_cut = generation()
for round in range(6):
    hrana([("INSERT INTO items(name, data) VALUES (?, randomblob(30000))", [f"filler {round}"])])
    time.sleep(0.15)  # lets the server cut a generation between writes
    if round == 2:
        check(conn, "writes, then a cut while the replica is in the old generation")
check(conn, "writes across a generation cut")
if generation() <= before_cut:
    failures.append("no generation cut happened during the workload")
    print("FAIL no generation cut happened (start the server with a small --generation-max-frames)")
hrana([("DELETE FROM items WHERE data IS NOT NULL", []), ("DROP INDEX items_name", []), ("DROP TABLE seed", [])])
check(conn, "drop index and table, delete blobs")
hrana([("VACUUM", [])])
check(conn, "vacuum shrinks the database")
hrana([("CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID", []), ("INSERT INTO kv VALUES ('a', 1), ('b', 2.5), ('c', NULL)", []),
       ("PRAGMA user_version = 7", [])])
check(conn, "without-rowid table, user_version")

conn.execute("INSERT INTO kv VALUES ('through the replica', 42)")
conn.commit()
check(conn, "write through the replica (remote write, read-your-writes)")
if conn.execute("SELECT v FROM kv WHERE k = 'through the replica'").fetchall() != [(42,)]:
    failures.append("own write not visible")
    print("FAIL own write not visible on the replica")

conn.close() if hasattr(conn, "close") else None
del conn
hrana([("INSERT INTO kv VALUES ('while closed', 3)", [])])
conn = connect()
check(conn, "reopen the replica files and sync")

print(f"{MODULE}: {'all checks passed' if not failures else 'FAILED: ' + ', '.join(failures)}")
sys.exit(1 if failures else 0)
