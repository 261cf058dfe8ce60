// Status helpers that Debian's Abseil (20220623) does not ship, and the one assertion macro.
//
// PGHA_RETURN_IF_ERROR / PGHA_ASSIGN_OR_RETURN propagate absl::Status from expressions.
// PGHA_CHECK is for broken invariants only: the environment (network, disk, DCS, Postgres) must
// never trigger it. Crashing is safe for HA because the leader lease then expires.
#ifndef PGHA_BASE_STATUS_MACROS_H_
#define PGHA_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pgha::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}  // namespace pgha::internal

#define PGHA_INTERNAL_CONCAT_(a, b) a##b
#define PGHA_INTERNAL_CONCAT(a, b) PGHA_INTERNAL_CONCAT_(a, b)

#define PGHA_RETURN_IF_ERROR(expr)                    \
  do {                                                \
    ::absl::Status pgha_status_ = (expr);             \
    if (!pgha_status_.ok()) return pgha_status_;      \
  } while (0)

#define PGHA_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                   \
  if (!tmp.ok()) return std::move(tmp).status();        \
  lhs = std::move(tmp).value()

#define PGHA_ASSIGN_OR_RETURN(lhs, rexpr) \
  PGHA_INTERNAL_ASSIGN_OR_RETURN(PGHA_INTERNAL_CONCAT(pgha_statusor_, __LINE__), lhs, rexpr)

#define PGHA_CHECK(cond) \
  ((cond) ? (void)0 : ::pgha::internal::CheckFailed(#cond, __FILE__, __LINE__))

#endif  // PGHA_BASE_STATUS_MACROS_H_
