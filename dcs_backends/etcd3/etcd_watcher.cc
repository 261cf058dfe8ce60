#include "etcd_watcher.h"

#include "pgha/base/log.h"

namespace pgha::backends::etcd {

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

Watcher::Watcher(Connection* connection, std::string prefix, int64_t start_revision)
    : connection_(connection), prefix_(std::move(prefix)), next_revision_(start_revision) {
  thread_ = std::thread([this] { Run(); });
}

Watcher::~Watcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  cv_.notify_all();
  thread_.join();
}

bool Watcher::WaitForChange(int64_t since, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  bool changed = cv_.wait_until(lock, deadline, [&] {
    return latest_change_ > since || history_lost_ || stop_;
  });
  if (history_lost_) {
    history_lost_ = false;
    return true;
  }
  return changed && latest_change_ > since;
}

void Watcher::Run() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    WatchOnce();
    std::unique_lock<std::mutex> lock(mu_);
    // Back off a little before reconnecting; stop promptly.
    cv_.wait_for(lock, std::chrono::milliseconds(300), [&] { return stop_; });
  }
}

void Watcher::WatchOnce() {
  std::shared_ptr<Endpoint> endpoint = connection_->Current();
  grpc::ClientContext ctx;
  connection_->AddAuth(ctx);
  int64_t start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    active_ = &ctx;
    start = next_revision_;
  }
  auto stream = endpoint->watch->Watch(&ctx);
  etcdserverpb::WatchRequest request;
  auto* create = request.mutable_create_request();
  create->set_key(prefix_);
  create->set_range_end(PrefixEnd(prefix_));
  create->set_start_revision(start);
  bool broken = !stream->Write(request);
  etcdserverpb::WatchResponse response;
  while (!broken && stream->Read(&response)) {
    std::lock_guard<std::mutex> lock(mu_);
    if (response.compact_revision() > 0 || response.canceled()) {
      // The revisions we wanted are gone: restart from "now" and make everyone re-read.
      PGHA_LOG(INFO) << "etcd watch on " << prefix_ << " lost its history ("
                     << (response.canceled() ? response.cancel_reason() : "compacted")
                     << "); re-reading";
      history_lost_ = true;
      next_revision_ = 0;
      cv_.notify_all();
      break;
    }
    for (const auto& event : response.events()) {
      int64_t rev = event.kv().mod_revision();
      if (rev > latest_change_) latest_change_ = rev;
      if (rev + 1 > next_revision_) next_revision_ = rev + 1;
    }
    if (response.events_size() > 0) cv_.notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_ = nullptr;
    if (stop_) {
      ctx.TryCancel();
    }
  }
  ctx.TryCancel();
  grpc::Status status = stream->Finish();
  std::lock_guard<std::mutex> lock(mu_);
  if (!stop_ && !status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
    PGHA_LOG(DEBUG) << "etcd watch stream ended: " << status.error_message();
  }
  if (!stop_ && (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                 status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)) {
    connection_->Rotate(endpoint);
  }
}

}  // namespace pgha::backends::etcd
