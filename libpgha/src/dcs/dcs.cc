#include "pgha/dcs/dcs.h"

#include "absl/strings/str_cat.h"
#include "pgha/base/status_macros.h"
#include "pgha/dcs/codec.h"

namespace pgha::dcs {

Dcs::Dcs(std::unique_ptr<DcsBackend> backend, KeyLayout layout)
    : backend_(std::move(backend)), layout_(std::move(layout)) {}

void Dcs::SetTimeouts(absl::Duration ttl, absl::Duration retry_timeout) {
  backend_->SetTimeouts(ttl, retry_timeout);
}

absl::StatusOr<ClusterStatePtr> Dcs::Load(ReadMode mode) {
  PGHA_ASSIGN_OR_RETURN(RawSnapshot snapshot, backend_->Load(layout_.prefix(), mode));
  return std::make_shared<const ClusterState>(DecodeCluster(layout_, snapshot));
}

absl::StatusOr<bool> Dcs::WaitForChange(const ClusterState& state, absl::Duration timeout) {
  return backend_->WaitForChange(layout_.prefix(), state.revision, timeout);
}

absl::Status Dcs::KeepAlive() { return backend_->KeepAlive(); }

absl::Status Dcs::CloseSession() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_member_value_.clear();
    last_member_session_.clear();
  }
  return backend_->CloseSession();
}

absl::Status Dcs::AcquireLeaderLock(const std::string& name, Session session) {
  // The lock lives as long as the session: a session last renewed a while ago would hand the
  // new holder less than ttl.
  if (session == Session::kRenew) PGHA_RETURN_IF_ERROR(backend_->KeepAlive());
  return backend_->Create(layout_.Leader(), name, Binding::kSession).status();
}

absl::Status Dcs::RefreshLeaderLock(const std::string& name, const Leader& as_read,
                                    Session session) {
  if (as_read.name != name) {
    return absl::AbortedError(absl::StrCat("the leader lock is held by '", as_read.name, "'"));
  }
  if (session == Session::kRenew) PGHA_RETURN_IF_ERROR(backend_->KeepAlive());
  return backend_->RefreshLock(layout_.Leader(), name, as_read.version).status();
}

absl::Status Dcs::ReleaseLeaderLock(const std::string& name, const Leader& as_read) {
  if (as_read.name != name) {
    return absl::AbortedError(absl::StrCat("the leader lock is held by '", as_read.name, "'"));
  }
  return backend_->ReleaseLock(layout_.Leader(), name, as_read.version);
}

absl::Status Dcs::WriteMember(const Member& member) {
  std::string value = EncodeMember(member);
  std::string session = backend_->SessionId();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!session.empty() && value == last_member_value_ && session == last_member_session_) {
      return absl::OkStatus();
    }
  }
  auto written = backend_->Put(layout_.Member(member.name), value, Binding::kSession);
  if (!written.ok()) return written.status();
  std::lock_guard<std::mutex> lock(mu_);
  last_member_value_ = value;
  last_member_session_ = backend_->SessionId();
  return absl::OkStatus();
}

absl::Status Dcs::CreateInitialize(const std::string& value) {
  return backend_->Create(layout_.Initialize(), value, Binding::kPersistent).status();
}

absl::Status Dcs::SetInitialize(const std::string& sysid, Version expected) {
  return WriteVersioned(layout_.Initialize(), sysid, expected);
}

absl::Status Dcs::CancelInitialize(Version expected) {
  return backend_->CompareAndDelete(layout_.Initialize(), expected);
}

absl::Status Dcs::WriteConfig(const Json& config, Version expected) {
  return WriteVersioned(layout_.Config(), EncodeConfig(config), expected);
}

absl::Status Dcs::PutConfig(const Json& config) {
  return backend_->Put(layout_.Config(), EncodeConfig(config), Binding::kPersistent).status();
}

absl::Status Dcs::WriteFailover(const FailoverRequest& request, Version expected) {
  return WriteVersioned(layout_.Failover(), EncodeFailover(request), expected);
}

absl::Status Dcs::ClearFailover(Version expected) {
  return WriteVersioned(layout_.Failover(), "{}", expected);
}

absl::Status Dcs::WriteSync(const SyncState& sync, Version expected) {
  return WriteVersioned(layout_.Sync(), EncodeSync(sync), expected);
}

absl::Status Dcs::DeleteSync(Version expected) {
  return backend_->CompareAndDelete(layout_.Sync(), expected);
}

absl::Status Dcs::WriteHistory(const std::vector<HistoryEntry>& history, Version expected) {
  return WriteVersioned(layout_.History(), EncodeHistory(history), expected);
}

absl::Status Dcs::WriteStatus(const ClusterStatus& status, Version expected) {
  return WriteVersioned(layout_.Status(), EncodeStatus(status), expected);
}

absl::Status Dcs::WriteFailsafe(const std::map<std::string, std::string>& members,
                                Version expected) {
  return WriteVersioned(layout_.Failsafe(), EncodeFailsafe(members), expected);
}

absl::Status Dcs::DeleteCluster() { return backend_->DeletePrefix(layout_.prefix()); }

absl::Status Dcs::WriteVersioned(const std::string& key, const std::string& value,
                                 Version expected) {
  return backend_->CompareAndSet(key, value, expected, Binding::kPersistent).status();
}

}  // namespace pgha::dcs
