#include "prefix_cache.h"

#include "pgha/base/clock.h"
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

PrefixCache::PrefixCache(Connection* connection, std::string prefix, int64_t start_revision)
    : connection_(connection), prefix_(std::move(prefix)), start_revision_(start_revision) {
  thread_ = std::thread([this] { Run(); });
}

PrefixCache::~PrefixCache() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  cv_.notify_all();
  thread_.join();
}

bool PrefixCache::Serving(int64_t min_revision) const {
  return loaded_ && live_ && revision_ >= min_revision;
}

std::optional<dcs::RawSnapshot> PrefixCache::Snapshot(int64_t min_revision, absl::Duration wait) {
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(wait);
  // Only a live copy is worth waiting for: it is behind our write by milliseconds.
  cv_.wait_until(lock, deadline, [&] { return stop_ || !loaded_ || !live_ || revision_ >= min_revision; });
  if (stop_ || !Serving(min_revision)) return std::nullopt;
  dcs::RawSnapshot snapshot;
  snapshot.revision = revision_;
  snapshot.entries.reserve(entries_.size());
  for (const auto& [key, cached] : entries_) {
    dcs::RawEntry e;
    e.key = key;
    e.value = cached.value;
    e.version = cached.mod_revision;
    if (cached.lease != 0) e.session = LeaseHex(cached.lease);
    snapshot.entries.push_back(std::move(e));
  }
  return snapshot;
}

std::optional<PrefixCache::Lookup> PrefixCache::Find(const std::string& key, int64_t min_revision) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!Serving(min_revision)) return std::nullopt;
  Lookup found;
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    found.found = true;
    found.value = it->second;
  }
  return found;
}

bool PrefixCache::WaitForChange(int64_t since, absl::Duration timeout) {
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

void PrefixCache::Run() {
  while (true) {
    bool loaded;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      loaded = loaded_;
    }
    if (loaded || ReadAll()) WatchOnce();
    std::unique_lock<std::mutex> lock(mu_);
    // Back off a little before reconnecting; stop promptly.
    cv_.wait_for(lock, std::chrono::milliseconds(300), [&] { return stop_; });
  }
}

bool PrefixCache::ReadAll() {
  int64_t at;
  {
    std::lock_guard<std::mutex> lock(mu_);
    at = start_revision_;
  }
  etcdserverpb::RangeRequest req;
  req.set_key(prefix_);
  req.set_range_end(PrefixEnd(prefix_));
  req.set_revision(at);
  etcdserverpb::RangeResponse resp;
  // Sent here rather than through Connection::Run so that the destructor can cancel it; a
  // failure is retried by Run() after a pause.
  std::shared_ptr<Endpoint> endpoint = connection_->Current();
  grpc::ClientContext ctx;
  connection_->AddAuth(ctx);
  ctx.set_deadline(ToGrpcDeadline(MonotonicNow() + connection_->retry_timeout()));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return false;
    active_ = &ctx;
  }
  grpc::Status status = endpoint->kv->Range(&ctx, req, &resp);
  std::lock_guard<std::mutex> lock(mu_);
  active_ = nullptr;
  if (!stop_ && (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                 status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)) {
    connection_->Rotate(endpoint);
  }
  if (status.error_code() == grpc::StatusCode::OUT_OF_RANGE) {
    // The revision asked for is gone: read the present and make every waiter re-read.
    start_revision_ = 0;
    history_lost_ = true;
    cv_.notify_all();
    return false;
  }
  if (!status.ok()) return false;
  entries_.clear();
  for (const auto& kv : resp.kvs()) entries_[kv.key()] = {kv.value(), kv.mod_revision(), kv.lease()};
  revision_ = at > 0 ? at : resp.header().revision();
  loaded_ = true;
  return true;
}

void PrefixCache::WatchOnce() {
  std::shared_ptr<Endpoint> endpoint = connection_->Current();
  grpc::ClientContext ctx;
  connection_->AddAuth(ctx);
  int64_t from;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    active_ = &ctx;
    from = revision_ + 1;
  }
  auto stream = endpoint->watch->Watch(&ctx);
  etcdserverpb::WatchRequest request;
  auto* create = request.mutable_create_request();
  create->set_key(prefix_);
  create->set_range_end(PrefixEnd(prefix_));
  create->set_start_revision(from);
  bool broken = !stream->Write(request);
  etcdserverpb::WatchResponse response;
  while (!broken && stream->Read(&response)) {
    std::lock_guard<std::mutex> lock(mu_);
    if (response.compact_revision() > 0 || response.canceled()) {
      // The revisions we wanted are gone: read the present again and make everyone re-read.
      PGHA_LOG(INFO) << "etcd watch on " << prefix_ << " lost its history ("
                     << (response.canceled() ? response.cancel_reason() : "compacted")
                     << "); re-reading";
      loaded_ = false;
      live_ = false;
      start_revision_ = 0;
      history_lost_ = true;
      cv_.notify_all();
      break;
    }
    if (response.created()) live_ = true;
    for (const auto& event : response.events()) {
      const mvccpb::KeyValue& kv = event.kv();
      if (event.type() == mvccpb::Event::DELETE) {
        entries_.erase(kv.key());
      } else {
        entries_[kv.key()] = {kv.value(), kv.mod_revision(), kv.lease()};
      }
      // A delete event carries the revision of the deletion.
      if (kv.mod_revision() > revision_) revision_ = kv.mod_revision();
      if (kv.mod_revision() > latest_change_) latest_change_ = kv.mod_revision();
    }
    if (response.created() || response.events_size() > 0) cv_.notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    live_ = false;
    active_ = nullptr;
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
