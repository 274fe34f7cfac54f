#!/usr/bin/env python3
"""libSQL's Python client (PyPI libsql-client 0.3.1, HTTP API v1 for http: URLs) against our server.

Usage: client_v1_interop.py URL TOKEN. Prints one line per check; exits non-zero on the first failure.
"""
import sys

import libsql_client
from interop_check import check

url, token = sys.argv[1], sys.argv[2]


with libsql_client.create_client_sync(url, auth_token=token) as client:
    client.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT UNIQUE, height REAL, photo BLOB)")
    insert = client.execute("INSERT INTO people (name, height, photo) VALUES (?, ?, ?)", ["Ada", 1.65, b"\x00\xff"])
    check("insert reports one row", insert.rows_affected == 1, insert.rows_affected)
    check("insert reports its rowid", insert.last_insert_rowid == 1, insert.last_insert_rowid)
    named = client.execute("INSERT INTO people (name) VALUES (:name)", {"name": "Grace"})
    check("named arguments", named.last_insert_rowid == 2, named.last_insert_rowid)
    rows = client.execute("SELECT id, name, height, photo FROM people ORDER BY id")
    check("columns", list(rows.columns) == ["id", "name", "height", "photo"], rows.columns)
    check("values", tuple(rows.rows[0]) == (1, "Ada", 1.65, b"\x00\xff"), tuple(rows.rows[0]))
    check("null", rows.rows[1][2] is None, rows.rows[1][2])
    results = client.batch([
        "INSERT INTO people (name) VALUES ('Linus')",
        libsql_client.Statement("SELECT count(*) FROM people"),
    ])
    check("batch", results[1].rows[0][0] == 3, results[1].rows[0][0])
    try:
        client.execute("INSERT INTO people (name) VALUES ('Ada')")
        check("a unique violation raises", False)
    except libsql_client.LibsqlError as error:
        check("a unique violation raises with its code", error.code == "SQLITE_CONSTRAINT", error.code)
    try:
        client.batch(["INSERT INTO people (name) VALUES ('Alan')", "INSERT INTO people (name) VALUES ('Ada')"])
        check("a failing batch raises", False)
    except libsql_client.LibsqlError:
        pass
    after = client.execute("SELECT count(*) FROM people").rows[0][0]
    check("a failing batch is rolled back as a whole", after == 3, after)

try:
    with libsql_client.create_client_sync(url, auth_token="wrong") as client:
        client.execute("SELECT 1")
    check("a wrong token is refused", False)
except libsql_client.LibsqlError as error:
    check("a wrong token is refused", "401" in str(error) or error.code != "", str(error))
print("all checks passed")
