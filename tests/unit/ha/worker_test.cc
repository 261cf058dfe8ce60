// The worker that runs the HA loop's slow tasks.
#include "pgha/ha/worker.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "wait.h"

namespace pgha::ha {
namespace {

TEST_CASE("a worker's finished task is reported to Poll before on_finished wakes anyone, and a failure wakes nobody") {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<TaskState> seen_from_callback;
  int wakes = 0;
  ThreadWorker* self = nullptr;
  ThreadWorker worker([&] {
    TaskState s = self->Poll();
    std::lock_guard<std::mutex> lock(mu);
    seen_from_callback = s;
    ++wakes;
    cv.notify_all();
  });
  self = &worker;
  // A task that fails at once is not followed by a wake-up (the loop would start it again at
  // once, in a tight loop): it is reported to the next cycle's Poll.
  REQUIRE(worker.Start(TaskKind::kRejoin, [] { return absl::UnavailableError("no leader"); }));
  std::optional<TaskState> failed;
  REQUIRE(testing::WaitFor(
      [&] {
        TaskState s = worker.Poll();
        if (s.finished) failed = s;
        return failed.has_value();
      },
      absl::Seconds(30)));
  CHECK_FALSE(failed->succeeded);
  CHECK(failed->error == "no leader");
  REQUIRE(worker.Start(TaskKind::kRejoin, [] { return absl::OkStatus(); }));
  std::unique_lock<std::mutex> lock(mu);
  REQUIRE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return seen_from_callback.has_value(); }));
  CHECK(seen_from_callback->finished);
  CHECK_FALSE(seen_from_callback->running);
  CHECK(seen_from_callback->succeeded);
  CHECK(wakes == 1);
}

}  // namespace
}  // namespace pgha::ha
