// Registers the DCS backends pgha ships before main, as the daemon and pghactl do first thing,
// so that configurations a test loads are validated with their sections (and their PATRONI_*
// variables apply). Compiled into each test executable (INTERFACE_SOURCES of
// pgha_test_support): inside the static library nothing would reference this object and the
// linker would drop it with its initializer.
#include "pgha/backends/factory.h"

namespace {

[[maybe_unused]] const bool kRegistered = [] {
  pgha::backends::RegisterBuiltinBackends();
  return true;
}();

}  // namespace
