// Time source. Everything that reads time or waits takes a Clock so that tests of logic can move
// a simulated clock instead of sleeping.
//
// Thread-safety: implementations are safe to call from any thread.
#ifndef PGHA_BASE_CLOCK_H_
#define PGHA_BASE_CLOCK_H_

#include "absl/time/time.h"

namespace pgha {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time: timestamps that other processes see (history, scheduled switchover).
  virtual absl::Time Now() const = 0;
  // Monotonic time: deadlines and lease accounting. Unrelated to Now()'s epoch; never jumps.
  virtual absl::Time Monotonic() const = 0;
  virtual void SleepFor(absl::Duration d) = 0;
};

// The process clock (absl::Now and std::chrono::steady_clock).
class RealClock final : public Clock {
 public:
  absl::Time Now() const override;
  absl::Time Monotonic() const override;
  void SleepFor(absl::Duration d) override;
  static RealClock* Get();
};

// RealClock's monotonic time, for code that has no Clock of its own (backends, process
// runner): every deadline and timeout there is measured with it, never with absl::Now().
absl::Time MonotonicNow();

}  // namespace pgha

#endif  // PGHA_BASE_CLOCK_H_
