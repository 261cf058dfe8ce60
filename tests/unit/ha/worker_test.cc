// The worker that runs the HA loop's slow tasks.
#include "pgha/ha/worker.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace pgha::ha {
namespace {

TEST_CASE("a worker's finished task is reported to Poll before on_finished wakes anyone") {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<TaskState> seen_from_callback;
  ThreadWorker* self = nullptr;
  ThreadWorker worker([&] {
    TaskState s = self->Poll();
    std::lock_guard<std::mutex> lock(mu);
    seen_from_callback = s;
    cv.notify_all();
  });
  self = &worker;
  REQUIRE(worker.Start(TaskKind::kRejoin, [] { return absl::UnavailableError("no leader"); }));
  std::unique_lock<std::mutex> lock(mu);
  REQUIRE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return seen_from_callback.has_value(); }));
  CHECK(seen_from_callback->finished);
  CHECK_FALSE(seen_from_callback->running);
  CHECK_FALSE(seen_from_callback->succeeded);
  CHECK(seen_from_callback->error == "no leader");
}

}  // namespace
}  // namespace pgha::ha
