// DcsBackend over etcd v3: leases for sessions, Txn for every compare-and-set.
//
// At idle a node costs etcd one request per HA cycle, as with Patroni: the lease keep-alive, a
// message on one long-lived stream. A prefix someone waits on (WaitForChange: the HA loop's
// watcher) is kept in a watch-maintained copy, and default reads of it are served from there
// while the last keep-alive was answered (a silent etcd must not look like an idle one). The
// leader lock's refresh is the keep-alive too, when the copy shows the lock ours on the live
// lease: only its holder ever deletes it, and the lease keeps it.
#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "etcd_connection.h"
#include "keepalive_stream.h"
#include "pgha/backends/etcd3.h"
#include "pgha/base/clock.h"
#include "pgha/base/log.h"
#include "pgha/base/status_macros.h"
#include "pgha/dcs/call_budget.h"
#include "prefix_cache.h"
#include "srv_lookup.h"

namespace pgha::backends {
namespace {

using dcs::Binding;
using dcs::RawEntry;
using dcs::RawSnapshot;
using dcs::ReadMode;
using dcs::Version;
using etcd::Connection;
using etcd::Endpoint;
using etcd::LeaseHex;
using etcd::PrefixEnd;
using etcdserverpb::Compare;

class EtcdBackend final : public dcs::DcsBackend {
 public:
  EtcdBackend(etcd::ConnectionOptions options, absl::Duration ttl)
      : connection_(std::move(options)), keepalive_(&connection_), ttl_(ttl) {}

  void SetTimeouts(absl::Duration ttl, absl::Duration retry_timeout) override {
    connection_.SetRetryTimeout(retry_timeout);
    std::lock_guard<std::mutex> lock(mu_);
    ttl_ = ttl;
  }

  absl::StatusOr<RawSnapshot> Load(const std::string& prefix, ReadMode mode) override {
    if (mode == ReadMode::kDefault) {
      if (std::optional<RawSnapshot> cached = FromCopy(prefix)) return *std::move(cached);
    }
    etcdserverpb::RangeRequest req;
    req.set_key(prefix);
    req.set_range_end(PrefixEnd(prefix));
    req.set_serializable(mode == ReadMode::kDefault);
    etcdserverpb::RangeResponse resp;
    PGHA_RETURN_IF_ERROR(connection_.Run("etcd range", true, [&](Endpoint& e, grpc::ClientContext& ctx) {
      return e.kv->Range(&ctx, req, &resp);
    }));
    RawSnapshot snapshot;
    snapshot.revision = resp.header().revision();
    for (const auto& kv : resp.kvs()) snapshot.entries.push_back(ToEntry(kv));
    return snapshot;
  }

  absl::StatusOr<Version> Create(const std::string& key, const std::string& value,
                                 Binding binding) override {
    PGHA_ASSIGN_OR_RETURN(etcdserverpb::TxnResponse resp,
                          PutIf(key, value, binding, dcs::kNoVersion));
    if (!resp.succeeded()) return absl::AlreadyExistsError(absl::StrCat(key, " already exists"));
    NoteWrite(key, resp.header().revision());
    return resp.header().revision();
  }

  absl::StatusOr<Version> CompareAndSet(const std::string& key, const std::string& value,
                                        Version expected, Binding binding) override {
    PGHA_ASSIGN_OR_RETURN(etcdserverpb::TxnResponse resp, PutIf(key, value, binding, expected));
    if (!resp.succeeded()) {
      return absl::AbortedError(absl::StrCat(key, " changed since version ", expected));
    }
    NoteWrite(key, resp.header().revision());
    return resp.header().revision();
  }

  absl::StatusOr<Version> Put(const std::string& key, const std::string& value,
                              Binding binding) override {
    for (int attempt = 0;; ++attempt) {
      etcdserverpb::PutRequest req;
      req.set_key(key);
      req.set_value(value);
      if (binding == Binding::kSession) {
        PGHA_ASSIGN_OR_RETURN(int64_t lease, EnsureLease());
        req.set_lease(lease);
      }
      etcdserverpb::PutResponse resp;
      absl::Status s = connection_.Run("etcd put", false, [&](Endpoint& e, grpc::ClientContext& ctx) {
        return e.kv->Put(&ctx, req, &resp);
      });
      if (s.ok()) {
        NoteWrite(key, resp.header().revision());
        return resp.header().revision();
      }
      if (!LeaseVanished(s, req.lease()) || attempt > 0) return s;
    }
  }

  absl::Status CompareAndDelete(const std::string& key, Version expected) override {
    etcdserverpb::TxnRequest txn;
    AddModCompare(&txn, key, expected);
    auto* del = txn.add_success()->mutable_request_delete_range();
    del->set_key(key);
    txn.add_failure()->mutable_request_range()->set_key(key);
    PGHA_ASSIGN_OR_RETURN(etcdserverpb::TxnResponse resp, RunTxn(txn));
    if (resp.succeeded()) {
      NoteWrite(key, resp.header().revision());
      return absl::OkStatus();
    }
    if (resp.responses_size() > 0 && resp.responses(0).response_range().kvs_size() == 0) {
      return absl::NotFoundError(absl::StrCat(key, " does not exist"));
    }
    return absl::AbortedError(absl::StrCat(key, " changed since version ", expected));
  }

  absl::Status ReleaseLock(const std::string& key, const std::string& holder,
                           Version expected) override {
    etcdserverpb::TxnRequest txn;
    AddModCompare(&txn, key, expected);
    auto* value = txn.add_compare();
    value->set_key(key);
    value->set_target(Compare::VALUE);
    value->set_result(Compare::EQUAL);
    value->set_value(holder);
    txn.add_success()->mutable_request_delete_range()->set_key(key);
    txn.add_failure()->mutable_request_range()->set_key(key);
    PGHA_ASSIGN_OR_RETURN(etcdserverpb::TxnResponse resp, RunTxn(txn));
    if (resp.succeeded()) {
      NoteWrite(key, resp.header().revision());
      return absl::OkStatus();
    }
    if (resp.responses_size() > 0 && resp.responses(0).response_range().kvs_size() == 0) {
      return absl::NotFoundError(absl::StrCat(key, " does not exist"));
    }
    return absl::AbortedError(absl::StrCat("the leader lock ", key, " is not held by ", holder));
  }

  absl::Status DeletePrefix(const std::string& prefix) override {
    etcdserverpb::DeleteRangeRequest req;
    req.set_key(prefix);
    req.set_range_end(PrefixEnd(prefix));
    etcdserverpb::DeleteRangeResponse resp;
    PGHA_RETURN_IF_ERROR(connection_.Run("etcd delete range", false, [&](Endpoint& e, grpc::ClientContext& ctx) {
      return e.kv->DeleteRange(&ctx, req, &resp);
    }));
    NoteWrite(prefix, resp.header().revision());
    return absl::OkStatus();
  }

  absl::Status KeepAlive() override {
    int64_t lease = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      lease = lease_id_;
    }
    if (lease == 0) {
      absl::Status granted = EnsureLease().status();
      std::lock_guard<std::mutex> lock(mu_);
      session_answered_ = granted.ok();
      return granted;
    }
    absl::Time deadline = dcs::CallDeadline(connection_.retry_timeout());
    absl::StatusOr<int64_t> ttl = keepalive_.KeepAlive(lease, deadline);
    // A stream refused at once (an expired token, say) leaves time for a one-shot keep-alive,
    // which authenticates again and tries the other endpoints.
    if (!ttl.ok() && MonotonicNow() < deadline) ttl = KeepAliveOnce(lease);
    std::lock_guard<std::mutex> lock(mu_);
    session_answered_ = ttl.ok();
    if (!ttl.ok()) return ttl.status();
    // A keep-alive on an expired lease is not an error: it answers TTL 0.
    if (*ttl <= 0 && lease_id_ == lease) {
      PGHA_LOG(WARNING) << "etcd lease " << LeaseHex(lease) << " expired; its keys are gone";
      lease_id_ = 0;
    } else if (lease_id_ == lease && absl::Seconds(*ttl) != ttl_) {
      // The TTL changed in the dynamic configuration: the next session-bound write uses a new
      // lease; the old one simply expires (revoking it would drop the leader lock at once).
      lease_id_ = 0;
    }
    return absl::OkStatus();
  }

  std::string SessionId() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return lease_id_ == 0 ? "" : LeaseHex(lease_id_);
  }

  absl::StatusOr<Version> RefreshLock(const std::string& key, const std::string& holder,
                                      Version expected) override {
    PGHA_ASSIGN_OR_RETURN(int64_t lease, EnsureLease());
    // The caller has just renewed the session (backend.h): if the copy shows the lock ours, at
    // the version read, on that lease, the renewal kept it and nothing needs to be asked.
    if (CopyShowsLock(key, holder, expected, lease)) return expected;
    // Still ours, at the version we read, on our current lease: nothing to write.
    etcdserverpb::TxnRequest check;
    AddModCompare(&check, key, expected);
    auto* value = check.add_compare();
    value->set_key(key);
    value->set_target(Compare::VALUE);
    value->set_result(Compare::EQUAL);
    value->set_value(holder);
    auto* on_lease = check.add_compare();
    on_lease->set_key(key);
    on_lease->set_target(Compare::LEASE);
    on_lease->set_result(Compare::EQUAL);
    on_lease->set_lease(lease);
    check.add_failure()->mutable_request_range()->set_key(key);
    PGHA_ASSIGN_OR_RETURN(etcdserverpb::TxnResponse resp, RunTxn(check));
    if (resp.succeeded()) return expected;
    const auto& kvs = resp.responses(0).response_range().kvs();
    if (kvs.empty() || kvs[0].mod_revision() != expected || kvs[0].value() != holder) {
      return absl::AbortedError(absl::StrCat("the leader lock ", key, " is no longer ours"));
    }
    // Ours by value and version, but attached to an older lease of this process (after a lease
    // was re-granted): move it to the current lease without losing it.
    PGHA_ASSIGN_OR_RETURN(etcdserverpb::TxnResponse moved,
                          PutIf(key, holder, Binding::kSession, expected));
    if (!moved.succeeded()) {
      return absl::AbortedError(absl::StrCat("the leader lock ", key, " is no longer ours"));
    }
    return moved.header().revision();
  }

  absl::StatusOr<bool> WaitForChange(const std::string& prefix, int64_t since,
                                     absl::Duration timeout) override {
    etcd::PrefixCache* copy = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& followed = followed_[prefix];
      if (!followed.copy) followed.copy = std::make_unique<etcd::PrefixCache>(&connection_, prefix, since);
      copy = followed.copy.get();
    }
    return copy->WaitForChange(since, timeout);
  }

  absl::Status CloseSession() override {
    int64_t lease = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      lease = lease_id_;
      lease_id_ = 0;
    }
    if (lease == 0) return absl::OkStatus();
    etcdserverpb::LeaseRevokeRequest req;
    req.set_id(lease);
    etcdserverpb::LeaseRevokeResponse resp;
    absl::Status s = connection_.Run("etcd lease revoke", true, [&](Endpoint& e, grpc::ClientContext& ctx) {
      return e.lease->LeaseRevoke(&ctx, req, &resp);
    });
    if (absl::IsNotFound(s)) return absl::OkStatus();  // already expired
    return s;
  }

  ~EtcdBackend() override {
    std::lock_guard<std::mutex> lock(mu_);
    followed_.clear();
  }

 private:
  absl::StatusOr<int64_t> KeepAliveOnce(int64_t lease) {
    etcdserverpb::LeaseKeepAliveResponse resp;
    PGHA_RETURN_IF_ERROR(connection_.Run("etcd lease keep-alive", true,
                                         [&](Endpoint& e, grpc::ClientContext& ctx) {
      auto stream = e.lease->LeaseKeepAlive(&ctx);
      etcdserverpb::LeaseKeepAliveRequest req;
      req.set_id(lease);
      bool ok = stream->Write(req) && stream->Read(&resp);
      stream->WritesDone();
      ctx.TryCancel();
      grpc::Status s = stream->Finish();
      if (ok) return grpc::Status::OK;
      return s.ok() || s.error_code() == grpc::StatusCode::CANCELLED
                 ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "keep-alive stream closed")
                 : s;
    }));
    return resp.ttl();
  }

  // What a followed prefix's copy serves: the prefix, once it shows our own writes, while the
  // last keep-alive was answered.
  std::optional<RawSnapshot> FromCopy(const std::string& prefix) {
    etcd::PrefixCache* copy = nullptr;
    int64_t own_writes = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = followed_.find(prefix);
      if (!session_answered_ || it == followed_.end()) return std::nullopt;
      copy = it->second.copy.get();
      own_writes = it->second.own_writes;
    }
    absl::Duration left = dcs::CallDeadline(connection_.retry_timeout()) - MonotonicNow();
    return copy->Snapshot(own_writes, std::clamp(left, absl::ZeroDuration(), absl::Seconds(1)));
  }

  bool CopyShowsLock(const std::string& key, const std::string& holder, Version expected,
                     int64_t lease) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!session_answered_) return false;
    for (const auto& [prefix, followed] : followed_) {
      if (!absl::StartsWith(key, prefix)) continue;
      auto found = followed.copy->Find(key, followed.own_writes);
      return found && found->found && found->value.mod_revision == expected &&
             found->value.value == holder && found->value.lease == lease;
    }
    return false;
  }

  // A copy must not serve a read that misses a write this process made (read-your-writes).
  void NoteWrite(const std::string& key_or_prefix, int64_t revision) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [prefix, followed] : followed_) {
      if (absl::StartsWith(key_or_prefix, prefix) || absl::StartsWith(prefix, key_or_prefix)) {
        followed.own_writes = std::max(followed.own_writes, revision);
      }
    }
  }

  static RawEntry ToEntry(const mvccpb::KeyValue& kv) {
    RawEntry e;
    e.key = kv.key();
    e.value = kv.value();
    e.version = kv.mod_revision();
    if (kv.lease() != 0) e.session = LeaseHex(kv.lease());
    return e;
  }

  static void AddModCompare(etcdserverpb::TxnRequest* txn, const std::string& key,
                            Version expected) {
    auto* c = txn->add_compare();
    c->set_key(key);
    c->set_result(Compare::EQUAL);
    if (expected == dcs::kNoVersion) {
      c->set_target(Compare::CREATE);
      c->set_create_revision(0);  // absent
    } else {
      c->set_target(Compare::MOD);
      c->set_mod_revision(expected);
    }
  }

  absl::StatusOr<etcdserverpb::TxnResponse> RunTxn(const etcdserverpb::TxnRequest& txn) {
    etcdserverpb::TxnResponse resp;
    PGHA_RETURN_IF_ERROR(connection_.Run("etcd txn", false, [&](Endpoint& e, grpc::ClientContext& ctx) {
      return e.kv->Txn(&ctx, txn, &resp);
    }));
    return resp;
  }

  // Txn: compare the key against `expected`, then put. A lease that vanished between
  // EnsureLease and the write is re-granted once (etcd refused the whole txn, nothing applied).
  absl::StatusOr<etcdserverpb::TxnResponse> PutIf(const std::string& key, const std::string& value,
                                                  Binding binding, Version expected) {
    for (int attempt = 0;; ++attempt) {
      etcdserverpb::TxnRequest txn;
      AddModCompare(&txn, key, expected);
      auto* put = txn.add_success()->mutable_request_put();
      put->set_key(key);
      put->set_value(value);
      if (binding == Binding::kSession) {
        PGHA_ASSIGN_OR_RETURN(int64_t lease, EnsureLease());
        put->set_lease(lease);
      }
      auto resp = RunTxn(txn);
      if (resp.ok() || !LeaseVanished(resp.status(), put->lease()) || attempt > 0) return resp;
    }
  }

  bool LeaseVanished(const absl::Status& s, int64_t lease) {
    if (lease == 0 || !absl::IsNotFound(s)) return false;
    std::lock_guard<std::mutex> lock(mu_);
    if (lease_id_ == lease) lease_id_ = 0;
    return true;
  }

  absl::StatusOr<int64_t> EnsureLease() {
    absl::Duration ttl;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (lease_id_ != 0) return lease_id_;
      ttl = ttl_;
    }
    etcdserverpb::LeaseGrantRequest req;
    req.set_ttl(std::max<int64_t>(2, absl::ToInt64Seconds(ttl)));
    etcdserverpb::LeaseGrantResponse resp;
    PGHA_RETURN_IF_ERROR(connection_.Run("etcd lease grant", false, [&](Endpoint& e, grpc::ClientContext& ctx) {
      return e.lease->LeaseGrant(&ctx, req, &resp);
    }));
    if (!resp.error().empty()) return absl::UnavailableError(absl::StrCat("etcd lease grant: ", resp.error()));
    std::lock_guard<std::mutex> lock(mu_);
    if (lease_id_ == 0) lease_id_ = resp.id();
    return lease_id_;
  }

  struct Followed {
    std::unique_ptr<etcd::PrefixCache> copy;
    int64_t own_writes = 0;  // the revision of our latest write under the prefix
  };

  Connection connection_;
  etcd::KeepAliveStream keepalive_;
  mutable std::mutex mu_;
  absl::Duration ttl_;             // guarded by mu_
  int64_t lease_id_ = 0;           // guarded by mu_
  bool session_answered_ = false;  // guarded by mu_: the last keep-alive (or grant) was answered
  std::map<std::string, Followed> followed_;  // guarded by mu_
};

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  if (path.empty()) return std::string();
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read etcd ", what, " ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> MakeEtcd3Backend(const EtcdConfig& config,
                                                                  absl::Duration ttl,
                                                                  absl::Duration retry_timeout) {
  etcd::ConnectionOptions options;
  options.endpoints = config.hosts;
  options.discover_members = !config.use_proxies;
  options.tls = config.protocol == "https" || !config.cacert.empty() || !config.cert.empty();
  PGHA_ASSIGN_OR_RETURN(options.ca_pem, ReadPem(config.cacert, "cacert"));
  PGHA_ASSIGN_OR_RETURN(options.cert_pem, ReadPem(config.cert, "cert"));
  PGHA_ASSIGN_OR_RETURN(options.key_pem, ReadPem(config.key, "key"));
  options.username = config.username;
  options.password = config.password;
  options.retry_timeout = retry_timeout;
  if (!config.srv.empty()) {
    PGHA_ASSIGN_OR_RETURN(auto found, etcd::LookupEtcdSrv(config.srv, config.srv_suffix, options.tls));
    options.endpoints.insert(options.endpoints.end(), found.begin(), found.end());
  }
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("etcd: no endpoints configured (host, hosts, url or srv)");
  }
  return std::unique_ptr<dcs::DcsBackend>(new EtcdBackend(std::move(options), ttl));
}

}  // namespace pgha::backends
