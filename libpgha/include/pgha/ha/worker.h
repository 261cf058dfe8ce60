// Runs one slow task (bootstrap, clone, rewind, restart, switchover demotion) at a time off the
// HA loop's thread, so that the loop keeps refreshing the leader lock meanwhile.
//
// Thread-safety: Start/Poll from the loop thread; the task runs on the worker's thread.
#ifndef PGHA_HA_WORKER_H_
#define PGHA_HA_WORKER_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "pgha/ha/types.h"

namespace pgha::ha {

class Worker {
 public:
  virtual ~Worker() = default;
  // Starts `task`; false when one is still running.
  virtual bool Start(TaskKind kind, std::function<absl::Status()> task) = 0;
  // The current task's state. `finished` is reported once, by the first Poll after the end.
  virtual TaskState Poll() = 0;
  // Whether a task runs now; unlike Poll, leaves the one-time `finished` report in place.
  virtual bool Running() = 0;
};

// A worker with its own thread.
class ThreadWorker final : public Worker {
 public:
  // `on_finished` runs on the worker's thread after each task that succeeded, once Poll reports
  // it finished: the daemon wakes the HA loop with it, so that the next step of a bootstrap or a
  // rejoin does not wait out the rest of loop_wait (issue 14). A failed task does not wake it
  // (it would be retried in a tight loop).
  explicit ThreadWorker(std::function<void()> on_finished = nullptr);
  ~ThreadWorker() override;  // waits for a running task
  bool Start(TaskKind kind, std::function<absl::Status()> task) override;
  TaskState Poll() override;
  bool Running() override;

 private:
  void Run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<absl::Status()> pending_;  // guarded by mu_
  TaskState state_;                        // guarded by mu_
  bool stop_ = false;                      // guarded by mu_
  std::function<void()> on_finished_;
  std::thread thread_;
};

// Runs each task to completion inside Start (simulation and tests).
class InlineWorker final : public Worker {
 public:
  bool Start(TaskKind kind, std::function<absl::Status()> task) override;
  TaskState Poll() override;
  bool Running() override { return false; }

 private:
  TaskState state_;
};

}  // namespace pgha::ha

#endif  // PGHA_HA_WORKER_H_
