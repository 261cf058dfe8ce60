// A simulated Clock: time moves only when a test advances it or when code under test sleeps
// (SleepFor advances the clock instead of blocking). Now() and Monotonic() move together; they
// start at unrelated epochs, as the real ones do.
//
// A sleep hook lets a simulation run the rest of the world while one node "sleeps" inside a
// cycle (the switchover demotion polls its candidate that way): the hook is called after the
// clock moved, never re-entrantly.
//
// Thread-safety: every method is safe from any thread.
#ifndef PGHA_TESTS_SUPPORT_FAKE_CLOCK_H_
#define PGHA_TESTS_SUPPORT_FAKE_CLOCK_H_

#include <functional>
#include <mutex>
#include <utility>

#include "absl/time/time.h"
#include "pgha/base/clock.h"

namespace pgha::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time wall_start = absl::FromUnixSeconds(1'795'000'000))
      : wall_start_(wall_start) {}

  absl::Time Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return wall_start_ + elapsed_;
  }
  absl::Time Monotonic() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return absl::UnixEpoch() + absl::Hours(1000) + elapsed_;
  }
  void SleepFor(absl::Duration d) override {
    Advance(d);
    std::function<void()> hook;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (in_hook_ || !sleep_hook_) return;
      in_hook_ = true;
      hook = sleep_hook_;
    }
    hook();
    std::lock_guard<std::mutex> lock(mu_);
    in_hook_ = false;
  }

  // Moves time forward (negative durations are ignored: time never goes back).
  void Advance(absl::Duration d) {
    std::lock_guard<std::mutex> lock(mu_);
    if (d > absl::ZeroDuration()) elapsed_ += d;
  }
  // Time since the clock was created.
  absl::Duration Elapsed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return elapsed_;
  }
  // Called after every SleepFor (not after Advance); nested sleeps inside the hook only move time.
  void SetSleepHook(std::function<void()> hook) {
    std::lock_guard<std::mutex> lock(mu_);
    sleep_hook_ = std::move(hook);
  }

 private:
  const absl::Time wall_start_;
  mutable std::mutex mu_;
  absl::Duration elapsed_ = absl::ZeroDuration();  // guarded by mu_
  std::function<void()> sleep_hook_;               // guarded by mu_
  bool in_hook_ = false;                           // guarded by mu_
};

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_FAKE_CLOCK_H_
