// DcsBackend over Consul's HTTP API: sessions for the TTL, /v1/txn for every conditional write.
//
// At idle a node costs the agent one request per HA cycle, the session renewal: a prefix someone
// waits on (the HA loop's watcher) is followed by one long blocking query (consul_follower.h),
// default reads of it are answered from that copy while the last renewal was answered, and the
// leader lock's refresh is the renewal when the copy shows the lock ours on the live session (only
// its holder deletes it; the session keeps it).
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "consul_follower.h"
#include "consul_http.h"
#include "consul_kv.h"
#include "consul_session.h"
#include "pgha/backends/consul.h"
#include "pgha/base/clock.h"
#include "pgha/base/log.h"
#include "pgha/base/status_macros.h"

namespace pgha::backends {
namespace {

using consul::HttpResponse;
using consul::KvEntry;
using consul::Method;
using consul::Query;
using consul::TxnOp;
using consul::TxnOutcome;
using dcs::Binding;
using dcs::RawEntry;
using dcs::RawSnapshot;
using dcs::ReadMode;
using dcs::Version;

std::string KvPath(const std::string& consul_key) {
  return "/v1/kv/" + consul::EscapePath(consul_key);
}

class ConsulBackend final : public dcs::DcsBackend {
 public:
  ConsulBackend(consul::HttpOptions http, consul::SessionOptions session, std::string consistency,
                absl::Duration ttl, absl::Duration retry_timeout)
      : http_options_(http),
        http_(std::move(http), retry_timeout),
        sessions_(&http_, std::move(session), ttl),
        consistency_(std::move(consistency)) {}

  void SetTimeouts(absl::Duration ttl, absl::Duration retry_timeout) override {
    http_.SetRetryTimeout(retry_timeout);
    sessions_.SetTtl(ttl);
  }

  absl::StatusOr<RawSnapshot> Load(const std::string& prefix, ReadMode mode) override {
    if (mode == ReadMode::kDefault) {
      if (std::optional<HttpResponse> copy = FromCopy(prefix)) return ToSnapshot(prefix, *copy);
    }
    const absl::Time deadline = http_.Deadline();
    const uint64_t deletes = DeletesSoFar(prefix);
    Query query = {{"recurse", ""}};
    AddConsistency(&query, mode);
    PGHA_ASSIGN_OR_RETURN(HttpResponse r,
                          http_.Send(Method::kGet, KvPath(consul::ToConsulKey(prefix)), query, "",
                                     /*idempotent=*/true, deadline));
    if (r.status == 200 || r.status == 404) ReadDirectly(prefix, r.index, deletes);
    return ToSnapshot(prefix, r);
  }

  static absl::StatusOr<RawSnapshot> ToSnapshot(const std::string& prefix, const HttpResponse& r) {
    RawSnapshot snapshot;
    snapshot.revision = r.index;
    if (r.status == 404) return snapshot;  // nothing under the prefix
    if (r.status != 200) return consul::StatusFromResponse("consul kv list " + prefix, r);
    PGHA_ASSIGN_OR_RETURN(std::vector<KvEntry> entries, consul::ParseEntries(r.body));
    for (KvEntry& e : entries) {
      RawEntry raw;
      raw.key = consul::FromConsulKey(e.key);
      raw.value = std::move(e.value);
      raw.version = e.modify_index;
      raw.session = std::move(e.session);
      snapshot.entries.push_back(std::move(raw));
    }
    return snapshot;
  }

  absl::StatusOr<Version> Create(const std::string& key, const std::string& value,
                                 Binding binding) override {
    const absl::Time deadline = http_.Deadline();
    const std::string k = consul::ToConsulKey(key);
    std::vector<TxnOp> ops;
    if (binding == Binding::kSession) {
      ops = {{"check-not-exists", k}, {"lock", k, value}};
    } else {
      ops = {{"cas", k, value, /*index=*/0}};  // cas=0: only if absent
    }
    PGHA_ASSIGN_OR_RETURN(TxnOutcome out, binding == Binding::kSession
                                              ? RunWithSession(ops, deadline)
                                              : RunTxn(ops, deadline));
    if (out.committed) return Written(key, consul::ResultIndex(out, k));
    return Failure(out, key, absl::AlreadyExistsError(absl::StrCat(key, " already exists")));
  }

  absl::StatusOr<Version> CompareAndSet(const std::string& key, const std::string& value,
                                        Version expected, Binding binding) override {
    const absl::Time deadline = http_.Deadline();
    const std::string k = consul::ToConsulKey(key);
    const bool absent = expected == dcs::kNoVersion;
    std::vector<TxnOp> ops;
    if (binding == Binding::kSession) {
      if (absent) {
        ops.push_back({"check-not-exists", k});
      } else {
        ops.push_back({"check-index", k, "", expected});
      }
      ops.push_back({"lock", k, value});
    } else {
      ops.push_back({"cas", k, value, absent ? 0 : expected});
    }
    PGHA_ASSIGN_OR_RETURN(TxnOutcome out, binding == Binding::kSession
                                              ? RunWithSession(ops, deadline)
                                              : RunTxn(ops, deadline));
    if (out.committed) return Written(key, consul::ResultIndex(out, k));
    return Failure(out, key,
                   absl::AbortedError(absl::StrCat(key, " changed since version ", expected)));
  }

  absl::StatusOr<Version> Put(const std::string& key, const std::string& value,
                              Binding binding) override {
    const absl::Time deadline = http_.Deadline();
    const std::string k = consul::ToConsulKey(key);
    if (binding == Binding::kPersistent) {
      // A plain set keeps the key's lock holder, if any (Consul's semantics).
      PGHA_ASSIGN_OR_RETURN(TxnOutcome out, RunTxn({{"set", k, value}}, deadline));
      if (out.committed) return Written(key, consul::ResultIndex(out, k));
      return Failure(out, key, absl::UnknownError(absl::StrCat("consul refused to write ", key)));
    }
    PGHA_ASSIGN_OR_RETURN(TxnOutcome out, RunWithSession({{"lock", k, value}}, deadline));
    if (!out.committed && out.Mentions("already held")) {
      // Bound to another session (an older one of ours, or written by someone else): as Patroni
      // does for its member key, delete it and acquire it for our session, here in one step.
      PGHA_ASSIGN_OR_RETURN(out, RunWithSession({{"delete", k}, {"lock", k, value}}, deadline));
    }
    if (out.committed) return Written(key, consul::ResultIndex(out, k));
    return Failure(out, key, absl::AbortedError(absl::StrCat("could not acquire ", key)));
  }

  absl::Status CompareAndDelete(const std::string& key, Version expected) override {
    const absl::Time deadline = http_.Deadline();
    const std::string k = consul::ToConsulKey(key);
    if (expected != dcs::kNoVersion) {
      PGHA_ASSIGN_OR_RETURN(TxnOutcome out,
                            RunTxn({{"check-index", k, "", expected}, {"delete", k}}, deadline));
      if (out.committed) {
        Deleted(key);
        return absl::OkStatus();
      }
    }
    // Tell "gone" from "changed" for the caller.
    PGHA_ASSIGN_OR_RETURN(std::optional<KvEntry> now, GetKey(k, deadline));
    if (!now) return absl::NotFoundError(absl::StrCat(key, " does not exist"));
    return absl::AbortedError(absl::StrCat(key, " changed since version ", expected));
  }

  absl::Status DeletePrefix(const std::string& prefix) override {
    const absl::Time deadline = http_.Deadline();
    const std::string k = consul::ToConsulKey(prefix);
    if (k.empty()) return absl::InvalidArgumentError("refusing to delete every key in Consul");
    PGHA_ASSIGN_OR_RETURN(HttpResponse r, http_.Send(Method::kDelete, KvPath(k), {{"recurse", ""}},
                                                     "", /*idempotent=*/false, deadline));
    if (r.status == 200) {
      Deleted(prefix);
      return absl::OkStatus();
    }
    return consul::StatusFromResponse("consul kv delete " + prefix, r);
  }

  absl::Status KeepAlive() override {
    absl::Status renewed = sessions_.KeepAlive(http_.Deadline());
    std::lock_guard<std::mutex> lock(mu_);
    session_answered_ = renewed.ok();
    return renewed;
  }

  std::string SessionId() const override { return sessions_.id(); }

  absl::StatusOr<Version> RefreshLock(const std::string& key, const std::string& holder,
                                      Version expected) override {
    const absl::Time deadline = http_.Deadline();
    PGHA_ASSIGN_OR_RETURN(std::string session, sessions_.Ensure(deadline));
    // The caller has just renewed the session (backend.h): if the copy shows the lock ours, at
    // the version read, on that session, the renewal kept it and nothing needs to be asked.
    if (CopyShowsLock(key, holder, expected, session)) return expected;
    const std::string k = consul::ToConsulKey(key);
    PGHA_ASSIGN_OR_RETURN(std::optional<KvEntry> now, GetKey(k, deadline));
    if (!now || now->modify_index != expected || now->value != holder) {
      return absl::AbortedError(absl::StrCat("the leader lock ", key, " is no longer ours"));
    }
    if (now->session == session) return expected;  // ours, on our session: nothing to write
    // Ours by value and version, but bound to another session (an older one of this process, or
    // of this member before a restart): move it to ours. Patroni deletes with cas and acquires
    // in two requests; one transaction does both only if the key is still at `expected`.
    PGHA_LOG(WARNING) << "consul: the leader lock " << key << " is bound to session '"
                      << now->session << "', not ours (" << session << "); re-acquiring it";
    PGHA_ASSIGN_OR_RETURN(
        TxnOutcome out,
        RunWithSession({{"check-index", k, "", expected}, {"delete", k}, {"lock", k, holder}},
                       deadline));
    if (out.committed) return Written(key, consul::ResultIndex(out, k));
    return Failure(out, key,
                   absl::AbortedError(absl::StrCat("the leader lock ", key, " is no longer ours")));
  }

  absl::Status ReleaseLock(const std::string& key, const std::string& holder,
                           Version expected) override {
    const absl::Time deadline = http_.Deadline();
    const std::string k = consul::ToConsulKey(key);
    PGHA_ASSIGN_OR_RETURN(std::optional<KvEntry> now, GetKey(k, deadline));
    if (!now) return absl::NotFoundError(absl::StrCat("the leader lock ", key, " is gone"));
    if (now->modify_index != expected || now->value != holder) {
      return absl::AbortedError(absl::StrCat("the leader lock ", key, " is not held by ", holder));
    }
    // The index did not move, so the value is still `holder`: delete only if that stays true.
    PGHA_ASSIGN_OR_RETURN(HttpResponse r, http_.Send(Method::kDelete, KvPath(k),
                                                     {{"cas", absl::StrCat(expected)}}, "",
                                                     /*idempotent=*/false, deadline));
    if (r.status != 200) return consul::StatusFromResponse("consul kv delete " + key, r);
    if (absl::StripAsciiWhitespace(r.body) == "true") {
      Deleted(key);
      return absl::OkStatus();
    }
    return absl::AbortedError(absl::StrCat("the leader lock ", key, " changed"));
  }

  absl::StatusOr<bool> WaitForChange(const std::string& prefix, int64_t since,
                                     absl::Duration timeout) override {
    consul::PrefixFollower* follower = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& followed = followed_[prefix];
      if (!followed.follower) {
        Query consistency;
        AddConsistency(&consistency, ReadMode::kDefault);
        followed.follower = std::make_unique<consul::PrefixFollower>(
            http_options_, KvPath(consul::ToConsulKey(prefix)), std::move(consistency));
      }
      follower = followed.follower.get();
    }
    return follower->WaitForChange(since, timeout);
  }

  absl::Status CloseSession() override { return sessions_.Destroy(http_.Deadline()); }

 private:
  void AddConsistency(Query* query, ReadMode mode) const {
    if (mode == ReadMode::kLinearizable || consistency_ == "consistent") {
      query->emplace_back("consistent", "");
    } else if (consistency_ == "stale") {
      query->emplace_back("stale", "");
    }
  }

  // The followed prefix's copy, once it shows our own writes, while the last renewal was answered.
  std::optional<HttpResponse> FromCopy(const std::string& prefix) {
    consul::PrefixFollower* follower = nullptr;
    int64_t own_writes = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = followed_.find(prefix);
      if (!session_answered_ || it == followed_.end() || it->second.read_directly) return std::nullopt;
      follower = it->second.follower.get();
      own_writes = it->second.own_writes;
    }
    absl::Duration left = http_.Deadline() - MonotonicNow();
    return follower->Listing(own_writes, std::clamp(left, absl::ZeroDuration(), absl::Seconds(1)));
  }

  bool CopyShowsLock(const std::string& key, const std::string& holder, Version expected,
                     const std::string& session) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!session_answered_) return false;
    for (const auto& [prefix, followed] : followed_) {
      if (!absl::StartsWith(key, prefix)) continue;
      std::optional<HttpResponse> copy = followed.follower->Listing(followed.own_writes, absl::ZeroDuration());
      if (!copy || copy->status != 200) return false;
      auto entries = consul::ParseEntries(copy->body);
      if (!entries.ok()) return false;
      const std::string k = consul::ToConsulKey(key);
      for (const KvEntry& e : *entries) {
        if (e.key == k) return e.modify_index == expected && e.value == holder && e.session == session;
      }
      return false;
    }
    return false;
  }

  // A copy must not serve a read that misses a write of ours (read-your-writes).
  Version Written(const std::string& key, Version index) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [prefix, followed] : followed_) {
      if (absl::StartsWith(key, prefix)) followed.own_writes = std::max(followed.own_writes, index);
    }
    return index;
  }
  // A delete returns no index: the next read asks the agent, and its index is what the copy
  // must reach from then on.
  void Deleted(const std::string& key_or_prefix) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [prefix, followed] : followed_) {
      if (absl::StartsWith(key_or_prefix, prefix) || absl::StartsWith(prefix, key_or_prefix)) {
        followed.read_directly = true;
        ++followed.deletes;
      }
    }
  }
  uint64_t DeletesSoFar(const std::string& prefix) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = followed_.find(prefix);
    return it == followed_.end() ? 0 : it->second.deletes;
  }
  // A read sent after our last delete (`deletes` unchanged since it was sent) shows it.
  void ReadDirectly(const std::string& prefix, int64_t index, uint64_t deletes) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = followed_.find(prefix);
    if (it == followed_.end()) return;
    it->second.own_writes = std::max(it->second.own_writes, index);
    if (it->second.deletes == deletes) it->second.read_directly = false;
  }

  // One key, read consistently; nullopt when absent.
  absl::StatusOr<std::optional<KvEntry>> GetKey(const std::string& consul_key,
                                                absl::Time deadline) {
    PGHA_ASSIGN_OR_RETURN(HttpResponse r,
                          http_.Send(Method::kGet, KvPath(consul_key), {{"consistent", ""}}, "",
                                     /*idempotent=*/true, deadline));
    if (r.status == 404) return std::optional<KvEntry>();
    if (r.status != 200) return consul::StatusFromResponse("consul kv get " + consul_key, r);
    PGHA_ASSIGN_OR_RETURN(std::vector<KvEntry> entries, consul::ParseEntries(r.body));
    if (entries.empty()) return std::optional<KvEntry>();
    return std::optional<KvEntry>(std::move(entries.front()));
  }

  absl::StatusOr<TxnOutcome> RunTxn(const std::vector<TxnOp>& ops, absl::Time deadline) {
    PGHA_ASSIGN_OR_RETURN(HttpResponse r,
                          http_.Send(Method::kPut, "/v1/txn", {}, consul::EncodeTxn(ops),
                                     /*idempotent=*/false, deadline));
    PGHA_ASSIGN_OR_RETURN(TxnOutcome out, consul::ParseTxnResponse(r));
    if (!out.committed && out.Mentions("permission denied")) {
      return absl::PermissionDeniedError(absl::StrCat("consul txn: ", out.errors.front()));
    }
    return out;
  }

  // A transaction whose lock ops use this process's session. When Consul answers that the
  // session is invalid (it expired), nothing was applied: a new session is created and the
  // transaction sent once more.
  absl::StatusOr<TxnOutcome> RunWithSession(std::vector<TxnOp> ops, absl::Time deadline) {
    for (int attempt = 0;; ++attempt) {
      PGHA_ASSIGN_OR_RETURN(std::string session, sessions_.Ensure(deadline));
      for (TxnOp& op : ops) {
        if (op.verb == "lock") op.session = session;
      }
      PGHA_ASSIGN_OR_RETURN(TxnOutcome out, RunTxn(ops, deadline));
      if (out.committed || !out.Mentions("invalid session") || attempt > 0) return out;
      PGHA_LOG(WARNING) << "consul: session " << session << " is gone; creating a new one";
      sessions_.Forget(session);
    }
  }

  // A rolled-back transaction as a status: `otherwise` unless the store was the reason.
  static absl::Status Failure(const TxnOutcome& out, const std::string& key,
                              absl::Status otherwise) {
    if (out.Mentions("lock delay")) {
      return absl::UnavailableError(absl::StrCat(key, " is in its lock delay; try again later"));
    }
    if (out.Mentions("invalid session")) {
      return absl::UnavailableError(absl::StrCat("consul keeps refusing our session for ", key));
    }
    return otherwise;
  }

  struct Followed {
    std::unique_ptr<consul::PrefixFollower> follower;
    int64_t own_writes = 0;  // the index our latest write under the prefix needs the copy to reach
    bool read_directly = false;  // we deleted something: the next read goes to the agent
    uint64_t deletes = 0;        // how many deletes of ours under the prefix so far
  };

  const consul::HttpOptions http_options_;  // for followers, which own their transports
  consul::HttpTransport http_;
  consul::SessionManager sessions_;
  const std::string consistency_;
  std::mutex mu_;
  bool session_answered_ = false;             // guarded by mu_: the last renewal was answered
  std::map<std::string, Followed> followed_;  // guarded by mu_
};

std::string SessionName(const ConsulSessionName& name) {
  std::string member = name.member_name;
  if (member.empty()) {
    char host[256] = {};
    member = ::gethostname(host, sizeof host - 1) == 0 ? host : "localhost";
  }
  return absl::StrCat(name.scope.empty() ? "pgha" : name.scope, "-", member);
}

}  // namespace

absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> MakeConsulBackend(
    const ConsulConfig& config, absl::Duration ttl, absl::Duration retry_timeout,
    const ConsulSessionName& name) {
  PGHA_ASSIGN_OR_RETURN(consul::HttpOptions http, consul::HttpOptionsFromConfig(config));
  if (config.consistency != "default" && config.consistency != "consistent" &&
      config.consistency != "stale") {
    return absl::InvalidArgumentError(
        absl::StrCat("consul.consistency: expected default, consistent or stale, got '",
                     config.consistency, "'"));
  }
  consul::SessionOptions session;
  session.name = SessionName(name);
  session.checks = config.checks;
  return std::unique_ptr<dcs::DcsBackend>(new ConsulBackend(
      std::move(http), std::move(session), config.consistency, ttl, retry_timeout));
}

}  // namespace pgha::backends
