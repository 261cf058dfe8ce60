#!/usr/bin/env bash
# Installs pgha into a temporary prefix the way a user would (cmake --install), then builds the
# embedding examples out of tree from the installed copy: once with find_package(pgha) and once
# with pkg-config. Also builds a program that links pgha::client alone and checks that it pulls
# in none of libpq, gRPC, cpp-httplib or OpenSSL, and that it explains a missing backend.
#
#   install_examples.sh BUILD_DIR OUT_DIR
# The embed test (tests/embed) runs what this builds; ctest chains them as a fixture.
set -euo pipefail
build_dir=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
prefix="$out/prefix"

echo "== cmake --install $build_dir --prefix $prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$out/install.log"
for f in bin/pgha bin/pghactl bin/pgha-fencer include/pgha/client/client.h \
         include/pgha/backends/factory.h lib/cmake/pgha/pghaConfig.cmake \
         lib/pkgconfig/pgha-client.pc lib/libpgha_client.a lib/systemd/system/pgha.service; do
  [[ -e "$prefix/$f" ]] || { echo "missing after install: $f" >&2; exit 1; }
done
# Nothing installed may point back into the source or build tree.
if grep -rlF -e "$(cd "$build_dir" && pwd)" -e "$(cd "$(dirname "$0")/../.." && pwd)" \
     "$prefix/lib/cmake" "$prefix/lib/pkgconfig"; then
  echo "installed CMake/pkg-config files refer to the build or source tree" >&2
  exit 1
fi

examples="$prefix/share/doc/libpgha-dev/examples/embed"
echo "== find_package(pgha) build of $examples"
cmake -S "$examples" -B "$out/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >"$out/cmake-configure.log"
cmake --build "$out/cmake-build" >"$out/cmake-build.log"

echo "== pkg-config build"
mkdir -p "$out/pkgconfig-build"
cp "$examples"/*.cc "$examples/Makefile" "$out/pkgconfig-build/"
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" make -C "$out/pkgconfig-build" >"$out/pkgconfig-build.log"

echo "== pgha::client alone"
mkdir -p "$out/client-only"
cat >"$out/client-only/main.cc" <<'CC'
#include <iostream>
#include "pgha/client/client.h"
int main() {
  // No backend registered: the error must say which one is missing and how to add it.
  auto c = pgha::client::Client::FromDcsUrl("etcd3://127.0.0.1:1", "demo");
  std::cout << c.status() << std::endl;
  return c.ok() ? 1 : 0;
}
CC
cat >"$out/client-only/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(client_only LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(pgha CONFIG REQUIRED)
add_executable(client_only main.cc)
target_link_libraries(client_only PRIVATE pgha::client)
CM
cmake -S "$out/client-only" -B "$out/client-only/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  >"$out/client-only.log"
cmake --build "$out/client-only/build" >>"$out/client-only.log"
if ldd "$out/client-only/build/client_only" | grep -E 'libpq|libgrpc|httplib|libssl|zookeeper'; then
  echo "a program linking pgha::client alone pulls in the libraries above" >&2
  exit 1
fi
message=$("$out/client-only/build/client_only")
echo "client_only: $message"
grep -q "etcd3" <<<"$message" || { echo "the missing-backend error does not name the section" >&2; exit 1; }
echo "install_examples: OK"
