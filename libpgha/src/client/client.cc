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
// request and lets the destructor return promptly.
constexpr absl::Duration kWaitSlice = absl::Milliseconds(250);
constexpr absl::Duration kFirstRetry = absl::Seconds(1);
constexpr absl::Duration kLongestRetry = absl::Seconds(8);

class ClientImpl final : public Client {
 public:
  ClientImpl(std::unique_ptr<dcs::DcsBackend> backend, dcs::KeyLayout layout,
             const ClientOptions& options)
      : dcs_(std::move(backend), std::move(layout)), options_(options) {
    dcs_.SetTimeouts(absl::Seconds(30), options_.retry_timeout);
    auto empty = std::make_shared<ClusterView>();
    empty->scope = dcs_.layout().scope();
    current_ = std::move(empty);
  }

  ~ClientImpl() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    view_cv_.notify_all();
    notify_cv_.notify_all();
    if (watcher_.joinable()) watcher_.join();
    if (notifier_.joinable()) notifier_.join();
  }

  void Start() {
    watcher_ = std::thread([this] { WatchLoop(); });
    notifier_ = std::thread([this] { NotifyLoop(); });
    std::unique_lock<std::mutex> lock(mu_);
    view_cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.first_read_timeout),
                      [this] { return first_read_done_ || stopping_; });
  }

  ClusterViewPtr Current() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }

  CallbackId OnChange(std::function<void(const ClusterViewPtr&)> callback) override {
    std::lock_guard<std::mutex> lock(mu_);
    CallbackId id = ++last_callback_id_;
    subscribers_[id] = Subscriber{std::move(callback), 0};
    notify_cv_.notify_all();
    return id;
  }

  absl::Status RemoveCallback(CallbackId id) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (std::this_thread::get_id() == notifier_.get_id()) {
      return absl::FailedPreconditionError(
          "RemoveCallback called from a callback: it would wait for itself");
    }
    subscribers_.erase(id);
    notify_cv_.wait(lock, [&] { return running_callback_ != id; });
    return absl::OkStatus();
  }

  absl::StatusOr<ClusterViewPtr> WaitForPrimary(absl::Duration timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    bool found = view_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                                   [this] { return current_->primary.has_value() || stopping_; });
    if (found && current_->primary) return current_;
    const ClusterView& v = *current_;
    std::string why = !v.dcs_reachable ? "the DCS cannot be read"
                      : v.leader.empty()
                          ? "nobody holds the leader lock"
                          : absl::StrCat("'", v.leader, "' holds the lock but is not running as primary");
    return absl::DeadlineExceededError(
        absl::StrCat("no primary in cluster '", v.scope, "' within ", absl::FormatDuration(timeout),
                     ": ", why));
  }

  ClusterViewPtr WaitForNewerThan(uint64_t sequence, absl::Duration timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    view_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                      [&] { return current_->sequence > sequence || stopping_; });
    return current_;
  }

 private:
  struct Subscriber {
    std::function<void(const ClusterViewPtr&)> callback;
    uint64_t delivered = 0;  // the sequence of the last view it was given
  };

  bool Stopping() {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_;
  }

  // Sleeps up to `d`; false when the client is stopping.
  bool Pause(absl::Duration d) {
    std::unique_lock<std::mutex> lock(mu_);
    return !view_cv_.wait_for(lock, absl::ToChronoNanoseconds(d), [this] { return stopping_; });
  }

  // Publishes `view` when it says something new (or it is the first read).
  void Publish(ClusterView view) {
    std::lock_guard<std::mutex> lock(mu_);
    first_read_done_ = true;
    if (current_->sequence > 0 && view.SameAs(*current_)) {
      // Same cluster; only refresh the time of the last successful read, which callers use to
      // judge how current the view is.
      if (view.dcs_reachable && view.read_at != current_->read_at) {
        auto refreshed = std::make_shared<ClusterView>(*current_);
        refreshed->read_at = view.read_at;
        current_ = std::move(refreshed);
      }
      view_cv_.notify_all();
      return;
    }
    view.sequence = current_->sequence + 1;
    current_ = std::make_shared<const ClusterView>(std::move(view));
    view_cv_.notify_all();
    notify_cv_.notify_all();
  }

  void PublishUnreachable(const absl::Status& status) {
    ClusterView view;
    {
      std::lock_guard<std::mutex> lock(mu_);
      view = *current_;
    }
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

  void NotifyLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      // The first subscriber (by id) that has not seen the current view.
      auto pending = std::find_if(subscribers_.begin(), subscribers_.end(), [this](const auto& s) {
        return s.second.delivered < current_->sequence;
      });
      if (stopping_) return;
      if (pending == subscribers_.end() || current_->sequence == 0) {
        notify_cv_.wait(lock);
        continue;
      }
      CallbackId id = pending->first;
      std::function<void(const ClusterViewPtr&)> callback = pending->second.callback;
      ClusterViewPtr view = current_;
      pending->second.delivered = view->sequence;
      running_callback_ = id;
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
      lock.lock();
      running_callback_ = 0;
      notify_cv_.notify_all();  // RemoveCallback may be waiting for this callback to end
    }
  }

  dcs::Dcs dcs_;
  const ClientOptions options_;

  mutable std::mutex mu_;
  std::condition_variable view_cv_;    // a view was published, or stopping
  std::condition_variable notify_cv_;  // a view or subscriber to deliver, a callback ended
  ClusterViewPtr current_;             // guarded by mu_
  bool first_read_done_ = false;       // guarded by mu_
  bool stopping_ = false;              // guarded by mu_
  std::map<CallbackId, Subscriber> subscribers_;  // guarded by mu_
  CallbackId last_callback_id_ = 0;    // guarded by mu_
  CallbackId running_callback_ = 0;    // guarded by mu_; 0 when none runs

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
  dcs::BackendOptions backend_options{.ttl = absl::Seconds(30),
                                      .retry_timeout = options.retry_timeout,
                                      .scope = scope};
  absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> backend =
      dcs::MakeBackend(config::ToDcsConfig(*parsed), backend_options);
  if (!backend.ok()) return backend.status();
  return FromBackend(std::move(*backend), parsed->namespace_.value_or("/service"), scope, options);
}

}  // namespace pgha::client
