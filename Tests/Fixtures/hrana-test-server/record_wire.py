"""Records WebSocket (hrana3, hrana3-protobuf) and /v3-protobuf HTTP exchanges with the reference server.

Usage: python3 record_wire.py OUTDIR   (run from a checkout of libsql/hrana-test-server)
Starts server_v3.py twice (ENCODING=json, ENCODING=protobuf) on loopback ports, replays the same
scenarios against each, and writes one JSON file per scenario and encoding.
"""
import asyncio, base64, json, os, subprocess, sys, time

import aiohttp
from google.protobuf import json_format

sys.path.insert(0, os.getcwd())
import proto.hrana_pb2 as hp
import proto.hrana.ws_pb2 as wp
import proto.hrana.http_pb2 as httpp

OUT = sys.argv[1]

# ---- Hrana JSON dict -> protobuf, for the client side (independent of the Swift code under test) ----

def value_pb(v, p):
    t = v["type"]
    if t == "null": p.null.SetInParent()
    elif t == "integer": p.integer = int(v["value"])
    elif t == "float": p.float = v["value"]
    elif t == "text": p.text = v["value"]
    elif t == "blob": p.blob = base64.b64decode(v["base64"])
    else: raise ValueError(t)

def stmt_pb(s, p):
    if "sql" in s and s["sql"] is not None: p.sql = s["sql"]
    if "sql_id" in s and s["sql_id"] is not None: p.sql_id = s["sql_id"]
    for a in s.get("args", []): value_pb(a, p.args.add())
    for na in s.get("named_args", []):
        q = p.named_args.add(); q.name = na["name"]; value_pb(na["value"], q.value)
    if "want_rows" in s: p.want_rows = s["want_rows"]

def cond_pb(c, p):
    t = c["type"]
    if t == "ok": p.step_ok = c["step"]
    elif t == "error": p.step_error = c["step"]
    elif t == "not": cond_pb(c["cond"], getattr(p, "not"))
    elif t in ("and", "or"):
        lst = getattr(p, t); lst.SetInParent()
        for x in c["conds"]: cond_pb(x, lst.conds.add())
    elif t == "is_autocommit": p.is_autocommit.SetInParent()
    else: raise ValueError(t)

def batch_pb(b, p):
    for st in b["steps"]:
        q = p.steps.add()
        if st.get("condition") is not None: cond_pb(st["condition"], q.condition)
        stmt_pb(st["stmt"], q.stmt)

def ws_request_pb(r, p):
    t = r["type"]
    sub = getattr(p, t); sub.SetInParent()
    for key in ("stream_id", "cursor_id", "sql_id", "max_count"):
        if key in r: setattr(sub, key, r[key])
    if "sql" in r: sub.sql = r["sql"]
    if "stmt" in r: stmt_pb(r["stmt"], sub.stmt)
    if "batch" in r: batch_pb(r["batch"], sub.batch)

def client_msg_pb(m):
    p = wp.ClientMsg()
    if m["type"] == "hello":
        p.hello.SetInParent()
        if m.get("jwt") is not None: p.hello.jwt = m["jwt"]
    else:
        p.request.request_id = m["request_id"]
        ws_request_pb(m["request"], p.request)
    return p

def http_request_pb(r, p):
    t = r["type"]
    sub = getattr(p, t); sub.SetInParent()
    if "sql_id" in r: sub.sql_id = r["sql_id"]
    if "sql" in r: sub.sql = r["sql"]
    if "stmt" in r: stmt_pb(r["stmt"], sub.stmt)
    if "batch" in r: batch_pb(r["batch"], sub.batch)

def with_want_rows(m):
    """The reference server reads an absent protobuf want_rows as false (from_proto.py sets None), so every
    statement states want_rows explicitly, in both encodings, to keep the twins identical."""
    if isinstance(m, list): return [with_want_rows(x) for x in m]
    if not isinstance(m, dict): return m
    out = {k: with_want_rows(x) for k, x in m.items()}
    if isinstance(out.get("stmt"), dict) and "want_rows" not in out["stmt"]:
        out["stmt"] = dict(out["stmt"], want_rows=True)
    return out

def pb_dict(p):
    return json_format.MessageToDict(p, preserving_proto_field_name=True)

# ---- Scenarios ----

def v(t, x=None):
    if t == "null": return {"type": "null"}
    if t == "blob": return {"type": "blob", "base64": base64.b64encode(x).decode()}
    return {"type": t, "value": x}

def ex(rid, sid, sql, **kw):
    stmt = {"sql": sql}; stmt.update(kw)
    return {"type": "request", "request_id": rid, "request": {"type": "execute", "stream_id": sid, "stmt": stmt}}

def req(rid, **r):
    return {"type": "request", "request_id": rid, "request": r}

HELLO = {"type": "hello", "jwt": None}

WS_SCENARIOS = [
    ("values", "Every value type and extreme: integers at the Int64 limits, floats, text with non-ASCII and escapes, blobs, NULL; expressions have no decltype.", [
        HELLO, req(1, type="open_stream", stream_id=0),
        ex(2, 0, "SELECT 1 AS one, -9223372036854775808 AS min, 9223372036854775807 AS max, 1.5 AS f, 1.0 AS integral, -0.0 AS negzero, 1e308 AS big, 'h\u00e9llo \"q\" \\\\ \n' AS t, x'00ff7f80' AS b, x'' AS e, NULL AS n, '' AS empty"),
        ex(3, 0, "SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e", args=[v("integer", "-42"), v("float", 2.5), v("text", "\u65e5\u672c"), v("blob", b"\x01\x02\x03"), v("null")]),
        req(4, type="close_stream", stream_id=0),
    ]),
    ("dml", "Table setup, INSERT with positional and named arguments (affected_row_count, last_insert_rowid), SELECT with decltypes, want_rows false, UPDATE.", [
        HELLO, req(1, type="open_stream", stream_id=0),
        ex(2, 0, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL, data BLOB, note varchar(10))"),
        ex(3, 0, "INSERT INTO t (name, score, data) VALUES (?, ?, ?)", args=[v("text", "alice"), v("float", 9.5), v("blob", b"\xde\xad")]),
        ex(4, 0, "INSERT INTO t (name, score) VALUES (:name, @score), ($n2, 1)", named_args=[{"name": ":name", "value": v("text", "bob")}, {"name": "score", "value": v("integer", "7")}, {"name": "$n2", "value": v("text", "carol")}]),
        ex(5, 0, "SELECT id, name, score, data, note, score * 2 AS doubled FROM t ORDER BY id"),
        ex(6, 0, "UPDATE t SET score = score + 1 WHERE score IS NOT NULL", want_rows=False),
        ex(7, 0, "SELECT count(*) AS n FROM t", want_rows=True),
    ]),
    ("batch", "Batches: a transaction with every condition kind (ok, error, not, and, or, is_autocommit), a failing step and skipped steps.", [
        HELLO, req(1, type="open_stream", stream_id=0),
        ex(2, 0, "CREATE TABLE k (x INTEGER UNIQUE)"),
        req(3, type="batch", stream_id=0, batch={"steps": [
            {"stmt": {"sql": "BEGIN"}},
            {"condition": {"type": "ok", "step": 0}, "stmt": {"sql": "INSERT INTO k VALUES (1)"}},
            {"condition": {"type": "ok", "step": 1}, "stmt": {"sql": "INSERT INTO k VALUES (1)"}},
            {"condition": {"type": "error", "step": 2}, "stmt": {"sql": "SELECT 'after error' AS r"}},
            {"condition": {"type": "not", "cond": {"type": "error", "step": 2}}, "stmt": {"sql": "SELECT 'skipped' AS r"}},
            {"condition": {"type": "and", "conds": [{"type": "ok", "step": 0}, {"type": "ok", "step": 1}]}, "stmt": {"sql": "INSERT INTO k VALUES (2)"}},
            {"condition": {"type": "or", "conds": [{"type": "ok", "step": 4}, {"type": "error", "step": 2}]}, "stmt": {"sql": "SELECT x FROM k ORDER BY x"}},
            {"condition": {"type": "not", "cond": {"type": "is_autocommit"}}, "stmt": {"sql": "COMMIT"}},
            {"condition": {"type": "and", "conds": []}, "stmt": {"sql": "SELECT 1"}},
            {"condition": {"type": "or", "conds": []}, "stmt": {"sql": "SELECT 'never'"}},
            {"condition": {"type": "not", "cond": {"type": "ok", "step": 7}}, "stmt": {"sql": "ROLLBACK"}},
        ]}),
        req(4, type="get_autocommit", stream_id=0),
    ]),
    ("stored-sql", "store_sql, execute and batch by sql_id, sequence by text and by id, describe, get_autocommit inside and outside a transaction, close_sql.", [
        HELLO, req(1, type="open_stream", stream_id=0),
        req(2, type="store_sql", sql_id=5, sql="SELECT ?1 + 1 AS next, :name AS name"),
        {"type": "request", "request_id": 3, "request": {"type": "execute", "stream_id": 0, "stmt": {"sql_id": 5, "args": [v("integer", "41")], "named_args": [{"name": ":name", "value": v("text", "x")}]}}},
        req(4, type="sequence", stream_id=0, sql="CREATE TABLE s (a); INSERT INTO s VALUES (1); INSERT INTO s VALUES (2);"),
        req(5, type="store_sql", sql_id=6, sql="INSERT INTO s VALUES (3)"),
        req(6, type="sequence", stream_id=0, sql_id=6),
        req(7, type="describe", stream_id=0, sql="SELECT a, a + 1 AS b FROM s WHERE a > ? AND a < :hi AND a <> ?5"),
        req(8, type="describe", stream_id=0, sql="EXPLAIN SELECT 1"),
        req(9, type="describe", stream_id=0, sql_id=6),
        req(10, type="execute", stream_id=0, stmt={"sql": "BEGIN"}),
        req(11, type="get_autocommit", stream_id=0),
        req(12, type="execute", stream_id=0, stmt={"sql": "ROLLBACK"}),
        req(13, type="get_autocommit", stream_id=0),
        req(14, type="close_sql", sql_id=5),
        req(15, type="batch", stream_id=0, batch={"steps": [{"stmt": {"sql_id": 6}}, {"stmt": {"sql": "SELECT count(*) FROM s"}}]}),
    ]),
    ("cursor", "A cursor over a batch (rows, a failing step, a skipped step), fetched two entries at a time until done, then closed.", [
        HELLO, req(1, type="open_stream", stream_id=0),
        req(2, type="open_cursor", stream_id=0, cursor_id=3, batch={"steps": [
            {"stmt": {"sql": "SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3"}},
            {"stmt": {"sql": "SELECT * FROM missing"}},
            {"condition": {"type": "ok", "step": 1}, "stmt": {"sql": "SELECT 'skipped'"}},
            {"stmt": {"sql": "SELECT x'cafe' AS b, 0.25 AS f"}},
        ]}),
        req(3, type="fetch_cursor", cursor_id=3, max_count=2),
        req(4, type="fetch_cursor", cursor_id=3, max_count=2),
        req(5, type="fetch_cursor", cursor_id=3, max_count=2),
        req(6, type="fetch_cursor", cursor_id=3, max_count=2),
        req(7, type="fetch_cursor", cursor_id=3, max_count=2),
        req(8, type="close_cursor", cursor_id=3),
        req(9, type="close_stream", stream_id=0),
    ]),
    ("errors", "Errors answered with response_error while the connection stays up: a syntax error, a missing table, a constraint violation, too many arguments; a second hello re-authenticates with a JWT; two streams share the connection's database.", [
        HELLO, req(1, type="open_stream", stream_id=0), req(2, type="open_stream", stream_id=7),
        ex(3, 0, "SELEC 1"),
        ex(4, 0, "SELECT * FROM nope"),
        ex(5, 0, "CREATE TABLE u (x NOT NULL)"),
        ex(6, 7, "INSERT INTO u VALUES (NULL)"),
        ex(7, 0, "SELECT ?", args=[v("integer", "1"), v("integer", "2")]),
        {"type": "hello", "jwt": "eyJhbGciOiJFZERTQSJ9.e30.c2lnbmF0dXJl"},
        ex(8, 7, "SELECT count(*) AS n FROM u"),
        req(9, type="close_stream", stream_id=7),
        req(10, type="close_stream", stream_id=0),
    ]),
]

# HTTP /v3-protobuf exchanges: (name, description, path, body, baton_from)
HTTP_SCENARIOS = [
    ("pipeline-values", "A pipeline opening a stream: execute with every value type, then get_autocommit.", "pipeline",
     {"baton": None, "requests": [
        {"type": "execute", "stmt": {"sql": "SELECT 7 AS i, -1.25 AS f, 'x\u00e9' AS t, x'0001feff' AS b, NULL AS n"}},
        {"type": "get_autocommit"}]}, None),
    ("pipeline-setup", "Continues the stream: table setup by sequence, an INSERT with arguments, a failing statement, store_sql and describe.", "pipeline",
     {"baton": "FROM", "requests": [
        {"type": "sequence", "sql": "CREATE TABLE h (id INTEGER PRIMARY KEY, v TEXT UNIQUE); INSERT INTO h (v) VALUES ('a');"},
        {"type": "execute", "stmt": {"sql": "INSERT INTO h (v) VALUES (?)", "args": [{"type": "text", "value": "b"}]}},
        {"type": "execute", "stmt": {"sql": "INSERT INTO h (v) VALUES ('a')"}},
        {"type": "store_sql", "sql_id": 1, "sql": "SELECT id, v FROM h WHERE id >= ?"},
        {"type": "describe", "sql_id": 1}]}, "001"),
    ("pipeline-batch", "Continues the stream: a batch by stored SQL id with conditions, close_sql, then close.", "pipeline",
     {"baton": "FROM", "requests": [
        {"type": "batch", "batch": {"steps": [
            {"stmt": {"sql_id": 1, "args": [{"type": "integer", "value": "1"}]}},
            {"condition": {"type": "ok", "step": 0}, "stmt": {"sql": "SELECT * FROM nowhere"}},
            {"condition": {"type": "ok", "step": 1}, "stmt": {"sql": "SELECT 'skipped'"}},
            {"condition": {"type": "error", "step": 1}, "stmt": {"sql": "SELECT 'ran'"}}]}},
        {"type": "close_sql", "sql_id": 1},
        {"type": "close"}]}, "002"),
    ("cursor", "A cursor on a new stream: rows of two steps, a step error, a skipped step.", "cursor",
     {"baton": None, "batch": {"steps": [
        {"stmt": {"sql": "SELECT 1 AS a, 'one' AS b UNION ALL SELECT 2, 'two'"}},
        {"stmt": {"sql": "SELECT * FROM nowhere"}},
        {"condition": {"type": "ok", "step": 1}, "stmt": {"sql": "SELECT 'skipped'"}},
        {"stmt": {"sql": "SELECT 2.5 AS f"}}]}}, None),
]


def start(encoding, port):
    env = dict(os.environ, ENCODING=encoding, PORT=str(port), LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "server_v3.py"], env=env)
    for _ in range(100):
        try:
            import urllib.request
            urllib.request.urlopen(f"http://127.0.0.1:{port}/").read()
            return proc
        except Exception:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


async def record_ws(encoding, port, name, description, messages):
    protocol = "hrana3" if encoding == "json" else "hrana3-protobuf"
    frames = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"http://127.0.0.1:{port}/", protocols=(protocol,)) as ws:
            assert ws.protocol == protocol, ws.protocol
            for m in with_want_rows(messages):
                if encoding == "json":
                    text = json.dumps(m, separators=(",", ":"), ensure_ascii=False)
                    await ws.send_str(text)
                    frames.append({"from": "client", "text": text})
                else:
                    data = client_msg_pb(m).SerializeToString()
                    await ws.send_bytes(data)
                    frames.append({"from": "client", "message": m, "base64": base64.b64encode(data).decode()})
                reply = await asyncio.wait_for(ws.receive(), 10)
                if encoding == "json":
                    assert reply.type == aiohttp.WSMsgType.TEXT, reply
                    frames.append({"from": "server", "text": reply.data})
                else:
                    assert reply.type == aiohttp.WSMsgType.BINARY, reply
                    decoded = wp.ServerMsg(); decoded.ParseFromString(reply.data)
                    frames.append({"from": "server", "protobuf": pb_dict(decoded), "base64": base64.b64encode(reply.data).decode()})
            await ws.close()
    return {"description": description, "scenario": name, "subprotocol": protocol, "frames": frames}


def record_http(encoding, port, scenarios):
    import urllib.request
    out = []
    batons = {}
    for index, (name, description, kind, body, baton_from) in enumerate(scenarios, 1):
        body = with_want_rows(json.loads(json.dumps(body)))
        if baton_from: body["baton"] = batons[baton_from]
        number = f"{index:03d}"
        if encoding == "json":
            path = f"/v3/{kind}"
            data = json.dumps(body, separators=(",", ":")).encode()
            ctype = "application/json"
        else:
            path = f"/v3-protobuf/{kind}"
            if kind == "pipeline":
                p = httpp.PipelineReqBody()
                if body["baton"] is not None: p.baton = body["baton"]
                for r in body["requests"]: http_request_pb(r, p.requests.add())
            else:
                p = httpp.CursorReqBody()
                if body["baton"] is not None: p.baton = body["baton"]
                batch_pb(body["batch"], p.batch)
            data = p.SerializeToString()
            ctype = "application/x-protobuf"
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers={"content-type": ctype})
        with urllib.request.urlopen(request) as response:
            status, rtype, raw = response.status, response.headers["content-type"], response.read()
        record = {"description": description, "scenario": name, "method": "POST", "path": path,
                  "request_headers": {"content-type": ctype}, "status": status, "response_content_type": rtype}
        if baton_from: record["baton_from"] = baton_from
        if encoding == "json":
            record["request_body"] = body
            if kind == "pipeline":
                record["response_body"] = json.loads(raw)
                batons[number] = record["response_body"]["baton"]
            else:
                record["response_body"] = raw.decode()
                record["response_lines"] = [json.loads(line) for line in raw.decode().splitlines()]
                batons[number] = record["response_lines"][0]["baton"]
        else:
            record["request_message"] = body
            record["request_base64"] = base64.b64encode(data).decode()
            record["response_base64"] = base64.b64encode(raw).decode()
            if kind == "pipeline":
                decoded = httpp.PipelineRespBody(); decoded.ParseFromString(raw)
                record["response_protobuf"] = pb_dict(decoded)
                batons[number] = decoded.baton
            else:
                items, pos = [], 0
                while pos < len(raw):
                    length, shift = 0, 0
                    while True:
                        b = raw[pos]; pos += 1
                        length |= (b & 0x7F) << shift; shift += 7
                        if b < 0x80: break
                    items.append(raw[pos:pos + length]); pos += length
                header = httpp.CursorRespBody(); header.ParseFromString(items[0])
                lines = [pb_dict(header)]
                for item in items[1:]:
                    entry = hp.CursorEntry(); entry.ParseFromString(item); lines.append(pb_dict(entry))
                record["response_items_protobuf"] = lines
                batons[number] = header.baton
        out.append((f"{number}-{kind}-{name.split('-')[-1] if kind == 'pipeline' else name}.json", record))
    return out


def main():
    for encoding, folder, port in (("json", "ws-hrana3", 18731), ("protobuf", "ws-hrana3-protobuf", 18732)):
        proc = start(encoding, port)
        try:
            os.makedirs(os.path.join(OUT, folder), exist_ok=True)
            for index, (name, description, messages) in enumerate(WS_SCENARIOS, 1):
                record = asyncio.run(record_ws(encoding, port, name, description, messages))
                with open(os.path.join(OUT, folder, f"{index:03d}-{name}.json"), "w") as f:
                    json.dump(record, f, indent=2, ensure_ascii=False); f.write("\n")
            http_folder = "http-v3-json-twins" if encoding == "json" else "http-v3-protobuf"
            os.makedirs(os.path.join(OUT, http_folder), exist_ok=True)
            for filename, record in record_http(encoding, port, HTTP_SCENARIOS):
                with open(os.path.join(OUT, http_folder, filename), "w") as f:
                    json.dump(record, f, indent=2, ensure_ascii=False); f.write("\n")
        finally:
            proc.terminate(); proc.wait()


main()
