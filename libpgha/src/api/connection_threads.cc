#include "connection_threads.h"

#include <thread>
#include <utility>

namespace pgha::api::internal {

void ConnectionThreads::enqueue(std::function<void()> connection) {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_ >= max_threads_) {
    waiting_.push_back(std::move(connection));
    return;
  }
  ++running_;
  // Detached: shutdown() waits for running_ to reach zero instead of joining.
  std::thread([this, c = std::move(connection)]() mutable { Serve(std::move(c)); }).detach();
}

void ConnectionThreads::Serve(std::function<void()> connection) {
  while (true) {
    connection();
    std::lock_guard<std::mutex> lock(mu_);
    if (waiting_.empty()) {
      --running_;
      // Notified under the lock: once shutdown() sees zero this thread touches nothing more.
      all_done_.notify_all();
      return;
    }
    connection = std::move(waiting_.front());
    waiting_.pop_front();
  }
}

void ConnectionThreads::shutdown() {
  std::unique_lock<std::mutex> lock(mu_);
  all_done_.wait(lock, [this] { return running_ == 0; });
}

}  // namespace pgha::api::internal
