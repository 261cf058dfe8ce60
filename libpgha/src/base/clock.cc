#include "pgha/base/clock.h"

#include <chrono>
#include <thread>

#include "absl/time/clock.h"

namespace pgha {

absl::Time RealClock::Now() const { return absl::Now(); }

absl::Time RealClock::Monotonic() const {
  auto since_boot = std::chrono::steady_clock::now().time_since_epoch();
  return absl::UnixEpoch() + absl::FromChrono(since_boot);
}

void RealClock::SleepFor(absl::Duration d) { absl::SleepFor(d); }

absl::Time MonotonicNow() { return RealClock::Get()->Monotonic(); }

RealClock* RealClock::Get() {
  static RealClock* clock = new RealClock();
  return clock;
}

}  // namespace pgha
