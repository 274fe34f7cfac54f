#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer and AddressSanitizer (swiftc -sanitize=fuzzer,address).
#
# Usage: Fuzz/run.sh [seconds per target, default 60] [target ...]
# Targets: hrana-json hrana-protobuf hrana-cursor-body gzip server-auth server-pipeline (default: all).
#
# Each target is what one entry file does with one input (`Tests/HranaTests/FuzzEntries.swift`,
# `Tests/LibSQLServerTests/GzipFuzzEntries.swift`, `AuthFuzzEntries.swift`, `PipelineFuzzEntries.swift`), compiled against the library sources with instrumentation. Seeds come from the
# recorded exchanges in Tests/Fixtures (Fuzz/seed_corpus.py). A crash input is copied into
# Tests/Fixtures/fuzz/<target>/, where `FuzzRegressionTests` replays it in the normal test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-60}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(hrana-json hrana-protobuf hrana-cursor-body gzip server-auth server-pipeline)
BUILD=.build/fuzz
mkdir -p "$BUILD"
FLAGS=(-sanitize=fuzzer,address -parse-as-library -package-name swift_libsql -O -g -swift-version 6)

# swift-crypto, swift-log and NIOConcurrencyHelpers are linked from the debug build (not instrumented:
# coverage is of our code).
[ -e .build/debug/Modules/Crypto.swiftmodule ] || swift build --product libsql >&2
CRYPTO_SOURCES=.build/checkouts/swift-crypto/Sources
CRYPTO_FLAGS=(-I .build/debug/Modules -I Sources/CSQLite
  -Xcc "-fmodule-map-file=$CRYPTO_SOURCES/CCryptoBoringSSL/include/module.modulemap"
  -Xcc "-fmodule-map-file=$CRYPTO_SOURCES/CCryptoBoringSSLShims/include/module.modulemap"
  -Xcc "-fmodule-map-file=.build/debug/CNIOAtomics.build/module.modulemap")
mapfile -t DEPENDENCY_OBJECTS < <(find .build/debug/Crypto.build .build/debug/CryptoBoringWrapper.build \
  .build/debug/CCryptoBoringSSLShims.build .build/debug/CCryptoBoringSSL.build .build/debug/Logging.build \
  .build/debug/NIOConcurrencyHelpers.build .build/debug/CNIOAtomics.build -name "*.o")
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp"

quiet() { grep -v "^/usr/bin/ld.gold: warning" || true; }

build_module() { # name sources... (an instrumented object file and its module)
  local name="$1"; shift
  swiftc -c -wmo "${FLAGS[@]}" -enable-testing -module-name "$name" -emit-module \
    -emit-module-path "$BUILD/$name.swiftmodule" -I "$BUILD" -I Sources/CZlib "${CRYPTO_FLAGS[@]}" "$@" \
    -o "$BUILD/$name.o" 2>&1 | quiet
}

build_target() { # target entries-file module [extra objects...]
  local target="$1" entries="$2" module="$3"; shift 3
  rm -f "$BUILD/$target"
  swiftc "${FLAGS[@]}" -module-name FuzzTarget -I "$BUILD" -I Sources/CZlib "${CRYPTO_FLAGS[@]}" "$entries" \
    "Fuzz/Targets/$target.swift" "$BUILD/$module.o" "$@" -lz -o "$BUILD/$target" 2>&1 | quiet
  [ -x "$BUILD/$target" ] || { echo "could not build $target" >&2; exit 1; }
}

echo "Building instrumented modules..." >&2
build_module Hrana Sources/Hrana/*.swift
build_module Gzip Sources/Gzip/*.swift
build_module SQLiteCore Sources/SQLiteCore/*.swift
# The server below HTTP (engine, streams, authentication, batons), compiled under the server's module name
# so that the entry files' `@testable import LibSQLServer` finds it.
build_module LibSQLServer Sources/LibSQLServer/Engine/*.swift Sources/LibSQLServer/Streams/*.swift \
  Sources/LibSQLServer/Authenticator.swift Sources/LibSQLServer/JWTPublicKey.swift \
  Sources/LibSQLServer/ServerConfiguration.swift Sources/LibSQLServer/Replication/ReplicationConnections.swift \
  Sources/LibSQLServer/Replication/ReplicationOptions.swift Sources/LibSQLServer/Replication/ReplicationFile.swift
python3 Fuzz/seed_corpus.py "$BUILD/seeds" >&2

echo "| Target | Seconds | Executions | Executions/s | Coverage (edges) | Features | Corpus | Crashes |"
echo "|---|---|---|---|---|---|---|---|"
for target in "${TARGETS[@]}"; do
  case "$target" in
    gzip) build_target gzip Tests/LibSQLServerTests/GzipFuzzEntries.swift Gzip ;;
    server-auth) build_target server-auth Tests/LibSQLServerTests/AuthFuzzEntries.swift LibSQLServer \
      "$BUILD/SQLiteCore.o" "$BUILD/Hrana.o" "${DEPENDENCY_OBJECTS[@]}" -lsqlite3 ;;
    server-pipeline) build_target server-pipeline Tests/LibSQLServerTests/PipelineFuzzEntries.swift LibSQLServer \
      "$BUILD/SQLiteCore.o" "$BUILD/Hrana.o" "${DEPENDENCY_OBJECTS[@]}" -lsqlite3 ;;
    hrana-*) build_target "$target" Tests/HranaTests/FuzzEntries.swift Hrana ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
  esac
  corpus="$BUILD/corpus/$target"
  artifacts="$BUILD/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  log="$BUILD/$target.log"
  SWIFT_BACKTRACE=enable=no "$BUILD/$target" "$corpus" "$BUILD/seeds/$target" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || true
  crashes=0
  for artifact in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* "$artifacts"/leak-*; do
    [ -e "$artifact" ] || continue
    mkdir -p "Tests/Fixtures/fuzz/$target"
    cp "$artifact" "Tests/Fixtures/fuzz/$target/"
    crashes=$((crashes + 1))
  done
  runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -1)
  speed=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{ print $2 }')
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | awk '{ print $2 }')
  size=$(find "$corpus" -type f | wc -l)
  echo "| $target | $SECONDS_PER_TARGET | ${runs:-?} | ${speed:-?} | ${cov:-?} | ${ft:-?} | $size | $crashes |"
done
