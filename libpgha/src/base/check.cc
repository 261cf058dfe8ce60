#include <cstdio>
#include <cstdlib>

#include "pgha/base/status_macros.h"

namespace pgha::internal {

void CheckFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "pgha: invariant violated at %s:%d: %s\n", file, line, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace pgha::internal
