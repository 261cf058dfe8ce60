// The client's two threads: the watcher reads the cluster when the backend announces a change
// and publishes views; the notifier hands each subscriber the latest view, so that a slow
// callback never holds up the watch.
#include "pgha/client/client.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pgha/base/clock.h"
#include "pgha/base/log.h"
#include "pgha/config/dcs_sections.h"
#include "pgha/config/dcs_url.h"
#include "pgha/config/loader.h"
#include "pgha/dcs/backend_registry.h"
#include "pgha/dcs/dcs.h"

namespace pgha::client {
namespace {

// The longest single wait on the backend: the watch itself is local (the backends keep their
// watch stream, znode watches or blocking query in their own threads), so slicing it costs no
// request and lets the destructor return within a slice (or a DCS call's retry_timeout, when
// one is under way).
constexpr absl::Duration kWaitSlice = absl::Milliseconds(250);
constexpr absl::Duration kFirstRetry = absl::Seconds(1);
constexpr absl::Duration kLongestRetry = absl::Seconds(8);
// Longer waits are waits without a deadline: a deadline this far away would overflow the
// standard clocks (absl::InfiniteDuration() converts to nanoseconds::max()).
constexpr absl::Duration kForever = absl::Hours(24 * 365 * 100);

template <typename Predicate>
bool WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
               absl::Duration timeout, Predicate predicate) {
  if (timeout >= kForever) {
    cv.wait(lock, predicate);
    return true;
  }
  return cv.wait_for(lock, absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration())),
                     predicate);
}

struct Subscriber {
  std::function<void(const ClusterViewPtr&)> callback;
  uint64_t delivered = 0;  // the sequence of the last view it was given
};

// What the client object and its notifier thread share. The notifier holds it too, so that a
// client destroyed from inside a callback (that is, on the notifier thread) can let the thread
// finish on its own instead of joining itself.
struct Shared {
  std::mutex mu;
  std::condition_variable view_cv;    // a view was published, or stopping
  std::condition_variable notify_cv;  // a view or subscriber to deliver, a callback ended
  ClusterViewPtr current;             // guarded by mu
  bool first_read_done = false;       // guarded by mu
  bool stopping = false;              // guarded by mu
  std::map<Client::CallbackId, Subscriber> subscribers;  // guarded by mu
  Client::CallbackId last_callback_id = 0;               // guarded by mu
  Client::CallbackId running_callback = 0;               // guarded by mu; 0 when none runs
  Client::CallbackId last_served = 0;                    // guarded by mu: round robin
};

// Hands each subscriber the latest view it has not seen, one callback at a time, taking the
// subscribers in turn so that a slow one cannot starve the others.
void NotifyLoop(std::shared_ptr<Shared> shared) {
  Shared& s = *shared;
  std::unique_lock<std::mutex> lock(s.mu);
  auto pending = [&s](const auto& entry) { return entry.second.delivered < s.current->sequence; };
  while (!s.stopping) {
    auto next =
        std::find_if(s.subscribers.upper_bound(s.last_served), s.subscribers.end(), pending);
    if (next == s.subscribers.end())
      next = std::find_if(s.subscribers.begin(), s.subscribers.end(), pending);
    if (next == s.subscribers.end() || s.current->sequence == 0) {
      s.notify_cv.wait(lock);
      continue;
    }
    const Client::CallbackId id = next->first;
    std::function<void(const ClusterViewPtr&)> callback = next->second.callback;
    ClusterViewPtr view = s.current;
    next->second.delivered = view->sequence;
    s.running_callback = id;
    s.last_served = id;
    lock.unlock();
    // The API promises no exception across it, in either direction: one thrown by a callback
    // would end the notifier thread (and the process) instead of the caller's call.
    try {
      callback(view);
    } catch (const std::exception& e) {
      PGHA_LOG(ERROR) << "pgha client: an OnChange callback threw: " << e.what();
    } catch (...) {
      PGHA_LOG(ERROR) << "pgha client: an OnChange callback threw";
    }
    callback = nullptr;  // whatever it captured goes before RemoveCallback returns
    lock.lock();
    s.running_callback = 0;
    s.notify_cv.notify_all();  // RemoveCallback may be waiting for this callback to end
  }
}

class ClientImpl final : public Client {
 public:
  ClientImpl(std::unique_ptr<dcs::DcsBackend> backend, dcs::KeyLayout layout,
             const ClientOptions& options)
      : dcs_(std::move(backend), std::move(layout)),
        options_(options),
        shared_(std::make_shared<Shared>()) {
    dcs_.SetTimeouts(absl::Seconds(30), options_.retry_timeout);
    auto empty = std::make_shared<ClusterView>();
    empty->scope = dcs_.layout().scope();
    shared_->current = std::move(empty);
  }

  ~ClientImpl() override {
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      shared_->stopping = true;
    }
    shared_->view_cv.notify_all();
    shared_->notify_cv.notify_all();
    if (watcher_.joinable()) watcher_.join();
    if (notifier_.joinable()) {
      // Destroyed from inside a callback: the notifier ends on its own once the callback
      // returns (it holds the shared state and sees `stopping`).
      if (notifier_.get_id() == std::this_thread::get_id()) {
        notifier_.detach();
      } else {
        notifier_.join();
      }
    }
  }

  void Start() {
    watcher_ = std::thread([this] { WatchLoop(); });
    notifier_ = std::thread(NotifyLoop, shared_);
    std::unique_lock<std::mutex> lock(shared_->mu);
    WaitUntil(shared_->view_cv, lock, options_.first_read_timeout,
              [this] { return shared_->first_read_done || shared_->stopping; });
  }

  ClusterViewPtr Current() const override {
    std::lock_guard<std::mutex> lock(shared_->mu);
    return shared_->current;
  }

  CallbackId OnChange(std::function<void(const ClusterViewPtr&)> callback) override {
    std::lock_guard<std::mutex> lock(shared_->mu);
    CallbackId id = ++shared_->last_callback_id;
    shared_->subscribers[id] = Subscriber{std::move(callback), 0};
    shared_->notify_cv.notify_all();
    return id;
  }

  absl::Status RemoveCallback(CallbackId id) override {
    if (std::this_thread::get_id() == notifier_.get_id()) {
      return absl::FailedPreconditionError(
          "RemoveCallback called from a callback: it would wait for itself");
    }
    std::unique_lock<std::mutex> lock(shared_->mu);
    shared_->subscribers.erase(id);
    shared_->notify_cv.wait(lock, [&] { return shared_->running_callback != id; });
    return absl::OkStatus();
  }

  absl::StatusOr<ClusterViewPtr> WaitForPrimary(absl::Duration timeout) override {
    std::unique_lock<std::mutex> lock(shared_->mu);
    bool found = WaitUntil(shared_->view_cv, lock, timeout, [this] {
      return shared_->current->primary.has_value() || shared_->stopping;
    });
    if (found && shared_->current->primary) return shared_->current;
    const ClusterView& v = *shared_->current;
    std::string why =
        !v.dcs_reachable ? "the DCS cannot be read"
        : v.leader.empty()
            ? "nobody holds the leader lock"
            : absl::StrCat("'", v.leader, "' holds the lock but is not running as primary");
    return absl::DeadlineExceededError(absl::StrCat("no primary in cluster '", v.scope, "' within ",
                                                    absl::FormatDuration(timeout), ": ", why));
  }

  ClusterViewPtr WaitForNewerThan(uint64_t sequence, absl::Duration timeout) override {
    std::unique_lock<std::mutex> lock(shared_->mu);
    WaitUntil(shared_->view_cv, lock, timeout,
              [&] { return shared_->current->sequence > sequence || shared_->stopping; });
    return shared_->current;
  }

 private:
  bool Stopping() {
    std::lock_guard<std::mutex> lock(shared_->mu);
    return shared_->stopping;
  }

  // Sleeps up to `d`; false when the client is stopping.
  bool Pause(absl::Duration d) {
    std::unique_lock<std::mutex> lock(shared_->mu);
    return !WaitUntil(shared_->view_cv, lock, d, [this] { return shared_->stopping; });
  }

  // Publishes `view` when it says something new (or it is the first read).
  void Publish(ClusterView view) {
    Shared& s = *shared_;
    std::lock_guard<std::mutex> lock(s.mu);
    s.first_read_done = true;
    if (s.current->sequence > 0 && view.SameAs(*s.current)) {
      // Same cluster; only refresh the time of the last successful read, which callers use to
      // judge how current the view is.
      if (view.dcs_reachable && view.read_at != s.current->read_at) {
        auto refreshed = std::make_shared<ClusterView>(*s.current);
        refreshed->read_at = view.read_at;
        s.current = std::move(refreshed);
      }
      s.view_cv.notify_all();
      return;
    }
    view.sequence = s.current->sequence + 1;
    s.current = std::make_shared<const ClusterView>(std::move(view));
    s.view_cv.notify_all();
    s.notify_cv.notify_all();
  }

  void PublishUnreachable(const absl::Status& status) {
    ClusterView view = *Current();
    if (view.dcs_reachable || view.sequence == 0) {
      PGHA_LOG(WARNING) << "pgha client: cannot read cluster '" << view.scope
                        << "' from the DCS: " << status;
    }
    view.dcs_reachable = false;
    Publish(std::move(view));
  }

  void WatchLoop() {
    dcs::ClusterStatePtr last;
    absl::Duration retry = kFirstRetry;
    while (!Stopping()) {
      if (last != nullptr) {
        // Wait for the backend to announce a change, or idle_reread to pass.
        absl::Time idle_until = MonotonicNow() + options_.idle_reread;
        absl::Status wait_error;
        while (!Stopping()) {
          absl::Duration left = idle_until - MonotonicNow();
          if (left <= absl::ZeroDuration()) break;
          absl::StatusOr<bool> changed = dcs_.WaitForChange(*last, std::min(left, kWaitSlice));
          if (!changed.ok()) {
            wait_error = changed.status();
            break;
          }
          if (*changed) break;
        }
        if (Stopping()) return;
        if (!wait_error.ok()) {
          PublishUnreachable(wait_error);
          if (!Pause(retry)) return;
          retry = std::min(retry * 2, kLongestRetry);
        }
      }
      absl::StatusOr<dcs::ClusterStatePtr> state = dcs_.Load();
      if (!state.ok()) {
        PublishUnreachable(state.status());
        last = nullptr;
        if (!Pause(retry)) return;
        retry = std::min(retry * 2, kLongestRetry);
        continue;
      }
      retry = kFirstRetry;
      last = *state;
      for (const std::string& problem : last->decode_errors) {
        PGHA_LOG(WARNING) << "pgha client: ignored a DCS value: " << problem;
      }
      Publish(BuildClusterView(*last, absl::Now()));
    }
  }

  dcs::Dcs dcs_;  // the watcher thread's
  const ClientOptions options_;
  std::shared_ptr<Shared> shared_;
  std::thread watcher_;
  std::thread notifier_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::FromBackend(
    std::unique_ptr<dcs::DcsBackend> backend, const std::string& namespace_,
    const std::string& scope, const ClientOptions& options) {
  if (backend == nullptr) return absl::InvalidArgumentError("no DCS backend given");
  if (scope.empty()) return absl::InvalidArgumentError("no cluster scope given");
  auto client = std::make_unique<ClientImpl>(
      std::move(backend), dcs::KeyLayout(namespace_.empty() ? "/service" : namespace_, scope),
      options);
  client->Start();
  return client;
}

absl::StatusOr<std::unique_ptr<Client>> Client::FromConfigFile(const std::string& path,
                                                               const ClientOptions& options) {
  config::LoadResult loaded = config::LoadCtlConfig(path, config::ProcessEnvironment());
  if (!loaded.ok()) {
    std::string problems;
    for (const auto& d : loaded.diagnostics.all()) {
      if (d.severity == config::Severity::kError) absl::StrAppend(&problems, "\n", d.ToString());
    }
    return absl::InvalidArgumentError(absl::StrCat("cannot use ", path, ":", problems));
  }
  const config::Config& cfg = *loaded.config;
  if (cfg.scope.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no scope"));
  if (!cfg.dcs.configured) {
    std::vector<std::string> served;
    for (const config::DcsSection& s : config::RegisteredDcsSections()) served.push_back(s.name);
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": no DCS section this program can use (it serves: ",
        served.empty() ? "none; register a backend first" : absl::StrJoin(served, ", "), ")"));
  }
  dcs::BackendOptions backend_options{.ttl = absl::Seconds(30),
                                      .retry_timeout = options.retry_timeout,
                                      .scope = cfg.scope,
                                      .member_name = cfg.name};
  absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> backend =
      dcs::MakeBackend(cfg.dcs, backend_options);
  if (!backend.ok()) return backend.status();
  return FromBackend(std::move(*backend), cfg.namespace_, cfg.scope, options);
}

absl::StatusOr<std::unique_ptr<Client>> Client::FromDcsUrl(const std::string& url,
                                                           const std::string& scope,
                                                           const ClientOptions& options) {
  absl::StatusOr<config::DcsUrl> parsed = config::ParseDcsUrl(url);
  if (!parsed.ok()) return parsed.status();
  dcs::BackendOptions backend_options{
      .ttl = absl::Seconds(30), .retry_timeout = options.retry_timeout, .scope = scope};
  absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> backend =
      dcs::MakeBackend(config::ToDcsConfig(*parsed), backend_options);
  if (!backend.ok()) return backend.status();
  return FromBackend(std::move(*backend), parsed->namespace_.value_or("/service"), scope, options);
}

}  // namespace pgha::client
