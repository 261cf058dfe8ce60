#include "pgha/ha/worker.h"

#include "pgha/base/log.h"

namespace pgha::ha {

ThreadWorker::ThreadWorker(std::function<void()> on_finished) : on_finished_(std::move(on_finished)) {
  thread_ = std::thread([this] { Run(); });
}

ThreadWorker::~ThreadWorker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool ThreadWorker::Start(TaskKind kind, std::function<absl::Status()> task) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_.running || pending_) return false;
  state_ = TaskState{kind, true, false, false, ""};
  pending_ = std::move(task);
  cv_.notify_all();
  return true;
}

TaskState ThreadWorker::Poll() {
  std::lock_guard<std::mutex> lock(mu_);
  TaskState out = state_;
  state_.finished = false;  // reported once
  return out;
}

bool ThreadWorker::Running() {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.running;
}

void ThreadWorker::Run() {
  while (true) {
    std::function<absl::Status()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || pending_; });
      if (!pending_) return;
      task = std::move(pending_);
      pending_ = nullptr;
    }
    absl::Status result = task();
    if (!result.ok()) PGHA_LOG(ERROR) << "task failed: " << result.message();
    {
      std::lock_guard<std::mutex> lock(mu_);
      state_.running = false;
      state_.finished = true;
      state_.succeeded = result.ok();
      state_.error = std::string(result.message());
    }
    // Only a success wakes the loop: a task that failed at once (its leader not up yet) would
    // otherwise be started again at once, in a tight loop; it is retried after loop_wait or at
    // the next DCS change.
    if (on_finished_ && result.ok()) on_finished_();
  }
}

bool InlineWorker::Start(TaskKind kind, std::function<absl::Status()> task) {
  absl::Status result = task();
  state_ = TaskState{kind, false, true, result.ok(), std::string(result.message())};
  return true;
}

TaskState InlineWorker::Poll() {
  TaskState out = state_;
  state_.finished = false;
  return out;
}

}  // namespace pgha::ha
