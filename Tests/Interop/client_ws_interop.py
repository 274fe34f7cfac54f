#!/usr/bin/env python3
"""libSQL's Python client (PyPI libsql-client 0.3.1, Hrana 2 over WebSocket for ws: URLs) against our server.

Usage: client_ws_interop.py WS_URL TOKEN. Prints one line per check; exits non-zero on the first failure.
"""
import sys

import libsql_client
from interop_check import check

url, token = sys.argv[1], sys.argv[2]


with libsql_client.create_client_sync(url, auth_token=token) as client:
    client.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT UNIQUE, balance INTEGER)")
    client.batch([
        libsql_client.Statement("INSERT INTO accounts (owner, balance) VALUES (?, ?)", ["alice", 100]),
        libsql_client.Statement("INSERT INTO accounts (owner, balance) VALUES (:owner, :balance)", {"owner": "bob", "balance": 5}),
    ])
    rows = client.execute("SELECT owner, balance FROM accounts ORDER BY id").rows
    check("batch and arguments", [tuple(r) for r in rows] == [("alice", 100), ("bob", 5)], rows)

    with client.transaction() as tx:
        tx.execute("UPDATE accounts SET balance = balance - 30 WHERE owner = 'alice'")
        tx.execute("UPDATE accounts SET balance = balance + 30 WHERE owner = 'bob'")
        inside = tx.execute("SELECT balance FROM accounts WHERE owner = 'bob'").rows[0][0]
        check("a transaction sees its own write", inside == 35, inside)
        tx.commit()
    check("a committed transaction is visible",
          client.execute("SELECT balance FROM accounts WHERE owner = 'alice'").rows[0][0] == 70)

    with client.transaction() as tx:
        tx.execute("DELETE FROM accounts")
        tx.rollback()
    check("a rolled-back transaction leaves nothing", client.execute("SELECT count(*) FROM accounts").rows[0][0] == 2)

    try:
        client.execute("INSERT INTO accounts (owner, balance) VALUES ('alice', 1)")
        check("a unique violation raises", False)
    except libsql_client.LibsqlError as error:
        check("a unique violation raises with its code", error.code == "SQLITE_CONSTRAINT", error.code)
    survivor = client.execute("SELECT 1").rows[0][0]
    check("the connection survives a statement error", survivor == 1, survivor)

try:
    with libsql_client.create_client_sync(url, auth_token="wrong") as client:
        client.execute("SELECT 1")
    check("a wrong token is refused", False)
except Exception as error:
    text = str(error).lower()
    check("a wrong token is refused as unauthenticated", "auth" in text or "jwt" in text or "401" in text, repr(error))
print("all checks passed")
