// Polling with a deadline: the only way tests wait. No fixed sleeps.
#ifndef PGHA_TESTS_SUPPORT_WAIT_H_
#define PGHA_TESTS_SUPPORT_WAIT_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace pgha::testing {

// Calls `condition` every `interval` until it returns true (then returns true) or `timeout`
// passes (then returns false).
inline bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
                    absl::Duration interval = absl::Milliseconds(50)) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(interval);
  }
}

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_WAIT_H_
