#include "connection_threads.h"

#include <pthread.h>

#include <memory>
#include <utility>

namespace pgha::api::internal {
namespace {

// A connection needs little stack (bodies and JSON live on the heap); 8 MiB per thread would
// count against the commit limit of hosts with vm.overcommit_memory=2, as PostgreSQL advises.
constexpr size_t kConnectionStackBytes = 512 * 1024;

thread_local bool refusing = false;

struct StartArgs {
  ConnectionThreads* self;
  std::function<void()> connection;
};

}  // namespace

bool ConnectionThreads::Refusing() { return refusing; }

void ConnectionThreads::enqueue(std::function<void()> connection) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (running_ >= max_threads_) {
      if (static_cast<int>(waiting_.size()) < max_waiting_) {
        waiting_.push_back(std::move(connection));
        return;
      }
      lock.unlock();
      refusing = true;
      connection();
      refusing = false;
      return;
    }
    ++running_;
  }
  auto args = std::make_unique<StartArgs>(StartArgs{this, std::move(connection)});
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kConnectionStackBytes);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  int failed = pthread_create(
      &thread, &attr,
      [](void* p) -> void* {
        std::unique_ptr<StartArgs> a(static_cast<StartArgs*>(p));
        a->self->Serve(std::move(a->connection));
        return nullptr;
      },
      args.get());
  pthread_attr_destroy(&attr);
  if (failed == 0) {
    args.release();  // the thread owns it now
    return;
  }
  // No thread (out of memory or a process limit): queue the connection for a running thread,
  // or serve it right here when none runs, so that its socket is always answered and closed.
  std::unique_lock<std::mutex> lock(mu_);
  --running_;
  if (running_ > 0) {
    waiting_.push_back(std::move(args->connection));
    return;
  }
  ++running_;
  lock.unlock();
  Serve(std::move(args->connection));
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
