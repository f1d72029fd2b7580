#!/usr/bin/env bash
# Generates the Python protobuf and gRPC stubs of Triggerfish's API into OUT_DIR
# (default: ./gen next to this script) with protoc and grpc_python_plugin
# (Debian: protobuf-compiler, protobuf-compiler-grpc).
#
#   ./generate_stubs.sh [OUT_DIR]
#
# Inputs: protos/ of the repository (triggerfish/v1 plus the vendored
# google/rpc and grpc/health/v1); google/protobuf's well-known types come from
# protoc's own include directory (/usr/include on Debian).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:-$here/gen}"
protoc="${PROTOC:-protoc}"
plugin="${GRPC_PYTHON_PLUGIN:-$(command -v grpc_python_plugin || true)}"
if [ -z "$plugin" ]; then
  echo "generate_stubs.sh: grpc_python_plugin not found (apt-get install protobuf-compiler-grpc)" >&2
  exit 1
fi
well_known="${PROTOBUF_INCLUDE:-/usr/include}"

mkdir -p "$out"
cd "$root/protos"
protos=(google/rpc/status.proto google/rpc/error_details.proto grpc/health/v1/health.proto
        triggerfish/v1/*.proto)
"$protoc" -I . -I "$well_known" \
  --python_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$plugin" \
  "${protos[@]}"

# The generated modules import each other as packages (triggerfish.v1.rule_pb2,
# google.rpc.status_pb2): make each directory a regular package, except two.
# google/ stays a namespace package so that the google.protobuf runtime remains
# importable beside it; grpc/ gets no __init__.py because it must not shadow
# grpcio's own `grpc` package: the client appends OUT_DIR/grpc to grpc.__path__
# to import grpc.health.v1 (grpcio itself ships no health stubs).
find "$out" -mindepth 1 -type d ! -path "$out/google" ! -path "$out/grpc" -exec touch {}/__init__.py \;
