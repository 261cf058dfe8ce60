// Assertions on absl::Status that print the status message when they fail.
#ifndef PGHA_TESTS_SUPPORT_STATUS_TESTING_H_
#define PGHA_TESTS_SUPPORT_STATUS_TESTING_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pgha::testing {
inline std::string StatusText(const absl::Status& s) { return s.ToString(); }
template <typename T>
std::string StatusText(const absl::StatusOr<T>& s) {
  return s.status().ToString();
}
}  // namespace pgha::testing

#define PGHA_STATUS_OK_(macro, expr)                 \
  do {                                               \
    const auto& pgha_result_ = (expr);               \
    INFO(#expr << " -> " << ::pgha::testing::StatusText(pgha_result_)); \
    macro(pgha_result_.ok());                        \
  } while (0)

#define REQUIRE_OK(expr) PGHA_STATUS_OK_(REQUIRE, expr)
#define CHECK_OK(expr) PGHA_STATUS_OK_(CHECK, expr)

#endif  // PGHA_TESTS_SUPPORT_STATUS_TESTING_H_
