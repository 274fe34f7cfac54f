#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets from the recorded exchanges in Tests/Fixtures.

Usage: Fuzz/seed_corpus.py OUTPUT_DIR  (creates OUTPUT_DIR/<target>/ with one file per seed)
"""
import base64, gzip, hashlib, json, pathlib, sys, zlib

root = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures"
out = pathlib.Path(sys.argv[1])
seeds = {name: set() for name in ("hrana-json", "hrana-protobuf", "hrana-cursor-body", "gzip", "server-auth",
                                  "server-pipeline")}

def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    if data:
        seeds[target].add(bytes(data))

def as_bytes(body):
    return body.encode() if isinstance(body, str) else json.dumps(body).encode()

for path in sorted(root.rglob("*.json")):
    try:
        record = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        continue
    if not isinstance(record, dict):
        continue
    for key in ("request_body", "response_body"):
        if key in record and record[key] is not None:
            body = as_bytes(record[key])
            if "cursor" in str(record.get("path", "")) and key == "response_body":
                add("hrana-cursor-body", bytes([1]) + body)
                add("hrana-cursor-body", bytes([16]) + body)
            else:
                add("hrana-json", body)
                if key == "request_body" and "pipeline" in str(record.get("path", "")):
                    add("server-pipeline", bytes([0]) + body)
                    add("server-pipeline", bytes([1]) + body)
            add("gzip", bytes([0]) + gzip.compress(body))
            add("gzip", bytes([4 | 1]) + zlib.compress(body))
    for key in ("request_base64", "response_base64"):
        if isinstance(record.get(key), str):
            body = base64.b64decode(record[key])
            target = "hrana-cursor-body" if "cursor" in str(record.get("path", "")) and key == "response_base64" else "hrana-protobuf"
            add(target, bytes([3]) + body if target == "hrana-cursor-body" else body)
    for frame in record.get("frames", []) or []:
        if isinstance(frame, dict):
            if isinstance(frame.get("text"), str):
                add("hrana-json", frame["text"])
            if isinstance(frame.get("base64"), str):
                add("hrana-protobuf", base64.b64decode(frame["base64"]))
            if isinstance(frame.get("binary"), str):
                add("hrana-protobuf", base64.b64decode(frame["binary"]))

# Authorization headers: a static token, a JWT-shaped one, batons, and a key file line.
for text in ("Bearer fuzz-static-token", "Bearer eyJhbGciOiJFZERTQSJ9.eyJhIjoicm8ifQ.c2ln", "bearer  x",
             "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----",
             '{"alg":"EdDSA","typ":"JWT"}\0{"a":"ro","exp":4102444800}', "A" * 64):
    add("server-auth", text)

for target, items in seeds.items():
    directory = out / target
    directory.mkdir(parents=True, exist_ok=True)
    for item in items:
        (directory / hashlib.sha1(item).hexdigest()).write_bytes(item)
    print(f"{target}: {len(items)} seeds")
