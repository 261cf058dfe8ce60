// DcsBackend over ZooKeeper: ephemeral znodes for session-bound keys, one-shot watches (re-armed
// by every Load) for WaitForChange.
//
// At idle a node costs ZooKeeper one request per HA cycle (the keep-alive's round trip), as
// Patroni's cached cluster view does: a default read is answered with the previous read's tree
// while no watch fired since that read began and no write of ours came after it, because every
// znode that read saw carries a one-shot watch that a change would have fired.
//
// A key's Version is its znode's mzxid, the zxid of its last write: unlike the data version, it
// never repeats when the znode is deleted and re-created (the sync key, the leader lock), so a
// view of an earlier incarnation cannot win a compare. A compare reads the znode's Stat, checks
// its mzxid, then writes with the data version read in the same Stat: a write in between fails
// the write with ZBADVERSION.
#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "pgha/backends/zookeeper.h"
#include "pgha/base/clock.h"
#include "pgha/base/log.h"
#include "pgha/base/status_macros.h"
#include "pgha/dcs/call_budget.h"
#include "zk_options.h"
#include "zk_session.h"
#include "zk_session_keeper.h"
#include "zk_tree.h"

namespace pgha::backends {
namespace {

using dcs::Binding;
using dcs::RawSnapshot;
using dcs::ReadMode;
using dcs::Version;
using zk::Reply;
using zk::Session;
using zk::ZkStatus;

// A znode's mzxid is never negative: a negative version (other than kNoVersion) matches none.
bool ZkVersion(Version v) { return v >= 0; }

class ZooKeeperBackend final : public dcs::DcsBackend {
 public:
  ZooKeeperBackend(zk::SessionOptions options, std::shared_ptr<const zk::AclList> acl,
                   absl::Duration retry_timeout)
      : changes_(std::make_shared<zk::ChangeCounter>()),
        sessions_(std::move(options), changes_),
        acl_(std::move(acl)),
        retry_timeout_(retry_timeout) {}

  void SetTimeouts(absl::Duration ttl, absl::Duration retry_timeout) override {
    sessions_.SetTtl(ttl);
    std::lock_guard<std::mutex> lock(mu_);
    retry_timeout_ = retry_timeout;
  }

  absl::StatusOr<RawSnapshot> Load(const std::string& prefix, ReadMode mode) override {
    if (mode == ReadMode::kDefault) {
      std::lock_guard<std::mutex> lock(mu_);
      if (session_answered_ && last_read_ && last_read_->prefix == prefix &&
          last_read_->snapshot.revision == changes_->Value()) {
        return last_read_->snapshot;
      }
    }
    absl::Time deadline = Deadline();
    while (true) {
      PGHA_ASSIGN_OR_RETURN(std::shared_ptr<Session> session, sessions_.Acquire(deadline));
      // Read before the znodes: a change while they are read is seen by the next wait.
      RawSnapshot snapshot;
      snapshot.revision = changes_->Value();
      absl::Status status;
      if (mode == ReadMode::kLinearizable) {
        status = ZkStatus(Session::Wait(session->Sync("/"), deadline).rc, "ZooKeeper sync");
      }
      if (status.ok()) {
        auto entries = zk::ReadTree(*session, prefix, deadline);
        if (entries.ok()) {
          snapshot.entries = std::move(*entries);
          std::lock_guard<std::mutex> lock(mu_);
          last_read_ = LastRead{prefix, snapshot};
          return snapshot;
        }
        status = entries.status();
      }
      // A read may start over within its deadline when the connection dropped under it.
      if (!absl::IsUnavailable(status) || MonotonicNow() >= deadline) return status;
      absl::SleepFor(std::min(absl::Milliseconds(50), deadline - MonotonicNow()));
    }
  }

  absl::StatusOr<Version> Create(const std::string& key, const std::string& value,
                                 Binding binding) override {
    ForgetOnExit forget(this);
    absl::Time deadline = Deadline();
    PGHA_ASSIGN_OR_RETURN(std::shared_ptr<Session> session, SessionFor(binding, deadline));
    Reply created = zk::CreateWithParents(*session, key, value, binding == Binding::kSession,
                                          acl_->get(), deadline);
    if (created.rc == ZNODEEXISTS) {
      return absl::AlreadyExistsError(absl::StrCat(key, " already exists"));
    }
    PGHA_RETURN_IF_ERROR(ZkStatus(created.rc, absl::StrCat("ZooKeeper create ", key)));
    return created.stat.mzxid;
  }

  absl::StatusOr<Version> CompareAndSet(const std::string& key, const std::string& value,
                                        Version expected, Binding binding) override {
    ForgetOnExit forget(this);
    if (expected == dcs::kNoVersion) {
      // Absent: a create. (A set with version -1 would mean "any version" to ZooKeeper.)
      auto created = Create(key, value, binding);
      if (absl::IsAlreadyExists(created.status())) {
        return absl::AbortedError(absl::StrCat(key, " exists (expected it absent)"));
      }
      return created;
    }
    if (!ZkVersion(expected)) {
      return absl::AbortedError(absl::StrCat(key, " cannot be at version ", expected));
    }
    absl::Time deadline = Deadline();
    // An existing znode keeps its binding: ZooKeeper cannot move a znode to another session.
    PGHA_ASSIGN_OR_RETURN(std::shared_ptr<Session> session, sessions_.Acquire(deadline));
    Reply read = ReadStat(*session, key, deadline);
    if (read.rc == ZNONODE) return absl::AbortedError(absl::StrCat(key, " is gone"));
    PGHA_RETURN_IF_ERROR(ZkStatus(read.rc, absl::StrCat("ZooKeeper exists ", key)));
    if (read.stat.mzxid != expected) return Changed(key, expected);
    Reply reply = Session::Wait(session->Set(key, value, read.stat.version), deadline);
    if (reply.rc == ZBADVERSION) return Changed(key, expected);  // written in between
    if (reply.rc == ZNONODE) return absl::AbortedError(absl::StrCat(key, " is gone"));
    PGHA_RETURN_IF_ERROR(ZkStatus(reply.rc, absl::StrCat("ZooKeeper set ", key)));
    return reply.stat.mzxid;
  }

  absl::StatusOr<Version> Put(const std::string& key, const std::string& value,
                              Binding binding) override {
    ForgetOnExit forget(this);
    absl::Time deadline = Deadline();
    PGHA_ASSIGN_OR_RETURN(std::shared_ptr<Session> session, SessionFor(binding, deadline));
    Reply reply = Session::Wait(session->Set(key, value, -1), deadline);
    if (reply.rc == ZOK) {
      int64_t owner = binding == Binding::kSession ? session->id() : 0;
      if (reply.stat.ephemeralOwner == owner) return reply.stat.mzxid;
      // Bound to another session (an earlier run of this node) or not bound as asked. A znode
      // cannot change owner, so it is re-created, as Patroni does with its member znode.
      PGHA_LOG(INFO) << "re-creating " << key << " in ZooKeeper session " << zk::SessionHex(owner)
                     << " (it was bound to session '" << zk::SessionHex(reply.stat.ephemeralOwner)
                     << "')";
      int rc = Session::Wait(session->Delete(key, reply.stat.version), deadline).rc;
      if (rc == ZBADVERSION) {
        return absl::AbortedError(absl::StrCat(key, " changed while it was re-created"));
      }
      if (rc != ZNONODE) PGHA_RETURN_IF_ERROR(ZkStatus(rc, absl::StrCat("ZooKeeper delete ", key)));
    } else if (reply.rc != ZNONODE) {
      return ZkStatus(reply.rc, absl::StrCat("ZooKeeper set ", key));
    }
    Reply created = zk::CreateWithParents(*session, key, value, binding == Binding::kSession,
                                          acl_->get(), deadline);
    if (created.rc == ZNODEEXISTS) {  // created by another client in between: write over it
      Reply again = Session::Wait(session->Set(key, value, -1), deadline);
      PGHA_RETURN_IF_ERROR(ZkStatus(again.rc, absl::StrCat("ZooKeeper set ", key)));
      return again.stat.mzxid;
    }
    PGHA_RETURN_IF_ERROR(ZkStatus(created.rc, absl::StrCat("ZooKeeper create ", key)));
    return created.stat.mzxid;
  }

  absl::Status CompareAndDelete(const std::string& key, Version expected) override {
    ForgetOnExit forget(this);
    absl::Time deadline = Deadline();
    PGHA_ASSIGN_OR_RETURN(std::shared_ptr<Session> session, sessions_.Acquire(deadline));
    Reply read = ReadStat(*session, key, deadline);
    if (read.rc == ZNONODE) return absl::NotFoundError(absl::StrCat(key, " does not exist"));
    PGHA_RETURN_IF_ERROR(ZkStatus(read.rc, absl::StrCat("ZooKeeper exists ", key)));
    if (!ZkVersion(expected)) {
      return absl::AbortedError(absl::StrCat(key, " exists at version ", read.stat.mzxid));
    }
    if (read.stat.mzxid != expected) return Changed(key, expected);
    return Delete(*session, key, expected, read.stat.version, deadline);
  }

  absl::Status DeletePrefix(const std::string& prefix) override {
    ForgetOnExit forget(this);
    absl::Time deadline = Deadline();
    PGHA_ASSIGN_OR_RETURN(std::shared_ptr<Session> session, sessions_.Acquire(deadline));
    return zk::DeleteTree(*session, prefix, deadline);
  }

  absl::Status KeepAlive() override {
    absl::Time sent = MonotonicNow();
    absl::Time deadline = Deadline();
    auto acquired = sessions_.Acquire(deadline);
    absl::Status answered = acquired.status();
    if (acquired.ok()) {
      // A round trip: only an answer proves that the server still holds the session.
      Reply reply = Session::Wait((*acquired)->Exists("/", false), deadline);
      answered = ZkStatus(reply.rc, "ZooKeeper keep-alive");
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      session_answered_ = answered.ok();
    }
    PGHA_RETURN_IF_ERROR(answered);
    sessions_.Renewed(*acquired, sent);
    return absl::OkStatus();
  }

  std::string SessionId() const override { return sessions_.CurrentId(); }

  absl::StatusOr<Version> RefreshLock(const std::string& key, const std::string& holder,
                                      Version expected) override {
    absl::Time deadline = Deadline();
    PGHA_ASSIGN_OR_RETURN(std::shared_ptr<Session> session,
                          sessions_.AcquireForEphemerals(deadline));
    auto read = ReadLock(*session, key, holder, expected, deadline);
    if (absl::IsNotFound(read.status())) return LockLost(key, holder);  // gone: never re-created
    PGHA_RETURN_IF_ERROR(read.status());
    const Reply& lock = *read;
    if (lock.stat.ephemeralOwner == session->id()) return expected;  // ours: nothing to write
    // Ours by value and version, but bound to another session: an earlier run of this node
    // (Patroni's "leader but not owner of the session"). Move it into this session.
    ForgetOnExit forget(this);
    PGHA_LOG(WARNING) << "the leader lock " << key << " is bound to ZooKeeper session '"
                      << zk::SessionHex(lock.stat.ephemeralOwner) << "', not to ours ("
                      << zk::SessionHex(session->id()) << "): re-creating it";
    int rc = Session::Wait(session->Delete(key, lock.stat.version), deadline).rc;
    if (rc == ZBADVERSION || rc == ZNONODE) return LockLost(key, holder);
    PGHA_RETURN_IF_ERROR(ZkStatus(rc, absl::StrCat("ZooKeeper delete ", key)));
    Reply created = zk::CreateWithParents(*session, key, holder, true, acl_->get(), deadline);
    if (created.rc == ZNODEEXISTS) return LockLost(key, holder);
    PGHA_RETURN_IF_ERROR(ZkStatus(created.rc, absl::StrCat("ZooKeeper create ", key)));
    return created.stat.mzxid;
  }

  absl::Status ReleaseLock(const std::string& key, const std::string& holder,
                           Version expected) override {
    ForgetOnExit forget(this);
    absl::Time deadline = Deadline();
    PGHA_ASSIGN_OR_RETURN(std::shared_ptr<Session> session, sessions_.Acquire(deadline));
    PGHA_ASSIGN_OR_RETURN(Reply lock, ReadLock(*session, key, holder, expected, deadline));
    return Delete(*session, key, expected, lock.stat.version, deadline);
  }

  absl::StatusOr<bool> WaitForChange(const std::string& prefix, int64_t since_revision,
                                     absl::Duration timeout) override {
    // One counter for every watch of this backend: a change elsewhere is a spurious wake-up,
    // which the contract allows ("changed, or may have").
    return changes_->WaitAbove(since_revision, timeout);
  }

  absl::Status CloseSession() override {
    ForgetOnExit forget(this);
    return sessions_.Close(Deadline());
  }

 private:
  absl::Time Deadline() const {
    std::lock_guard<std::mutex> lock(mu_);
    return dcs::CallDeadline(retry_timeout_);
  }

  absl::StatusOr<std::shared_ptr<Session>> SessionFor(Binding binding, absl::Time deadline) {
    return binding == Binding::kSession ? sessions_.AcquireForEphemerals(deadline)
                                        : sessions_.Acquire(deadline);
  }

  static absl::Status LockLost(const std::string& key, const std::string& holder) {
    return absl::AbortedError(absl::StrCat("the leader lock ", key, " is not held by ", holder));
  }

  static absl::Status Changed(const std::string& key, Version expected) {
    return absl::AbortedError(absl::StrCat(key, " changed since version ", expected));
  }

  // The znode's Stat, synced first: a lagging server could show an earlier incarnation at the
  // mzxid expected, and the write would then only compare its data version.
  static Reply ReadStat(Session& session, const std::string& key, absl::Time deadline) {
    zk::RequestPtr sync = session.Sync(key);
    zk::RequestPtr exists = session.Exists(key, false);
    int sync_rc = Session::Wait(sync, deadline).rc;
    if (sync_rc != ZOK && sync_rc != ZNONODE) {
      Reply failed;
      failed.rc = sync_rc;
      return failed;
    }
    return Session::Wait(exists, deadline);
  }

  // The lock znode, if it holds `holder` at `expected`: kNotFound when absent, kAborted when it
  // changed. Synced first, so that a lagging server cannot show a lock that is already gone.
  static absl::StatusOr<Reply> ReadLock(Session& session, const std::string& key,
                                        const std::string& holder, Version expected,
                                        absl::Time deadline) {
    zk::RequestPtr sync = session.Sync(key);
    zk::RequestPtr get = session.Get(key, false);
    int sync_rc = Session::Wait(sync, deadline).rc;
    if (sync_rc != ZOK && sync_rc != ZNONODE) return ZkStatus(sync_rc, "ZooKeeper sync");
    Reply reply = Session::Wait(get, deadline);
    if (reply.rc == ZNONODE) {
      return absl::NotFoundError(absl::StrCat("the leader lock ", key, " does not exist"));
    }
    PGHA_RETURN_IF_ERROR(ZkStatus(reply.rc, absl::StrCat("ZooKeeper get ", key)));
    if (reply.value != holder || reply.stat.mzxid != expected) return LockLost(key, holder);
    return reply;
  }

  // Deletes the znode if still at `data_version` (read with mzxid `expected`).
  static absl::Status Delete(Session& session, const std::string& key, Version expected,
                             int data_version, absl::Time deadline) {
    int rc = Session::Wait(session.Delete(key, data_version), deadline).rc;
    if (rc == ZBADVERSION) return Changed(key, expected);
    if (rc == ZNONODE) return absl::NotFoundError(absl::StrCat(key, " does not exist"));
    return ZkStatus(rc, absl::StrCat("ZooKeeper delete ", key));
  }

  const std::shared_ptr<zk::ChangeCounter> changes_;
  zk::SessionKeeper sessions_;
  const std::shared_ptr<const zk::AclList> acl_;
  // A write of ours may not have fired its watch yet when it returns: the next read asks.
  class ForgetOnExit {
   public:
    explicit ForgetOnExit(ZooKeeperBackend* backend) : backend_(backend) {}
    ~ForgetOnExit() {
      std::lock_guard<std::mutex> lock(backend_->mu_);
      backend_->last_read_.reset();
    }

   private:
    ZooKeeperBackend* backend_;
  };
  struct LastRead {
    std::string prefix;
    RawSnapshot snapshot;  // its revision: the change counter before the read began
  };

  mutable std::mutex mu_;
  absl::Duration retry_timeout_;  // guarded by mu_
  std::optional<LastRead> last_read_;  // guarded by mu_
  bool session_answered_ = false;      // guarded by mu_: the last keep-alive was answered
};

}  // namespace

absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> MakeZooKeeperBackend(
    const ZooKeeperConfig& config, absl::Duration ttl, absl::Duration retry_timeout) {
  if (config.use_ssl) {
    return absl::InvalidArgumentError(
        "zookeeper.use_ssl: TLS is not supported: Debian's libzookeeper-mt 3.8.0 is built "
        "without OpenSSL (it has no zookeeper_init_ssl)");
  }
  zk::SessionOptions options;
  PGHA_ASSIGN_OR_RETURN(options.hosts, zk::JoinHosts(config.hosts));
  PGHA_ASSIGN_OR_RETURN(options.auth, zk::ParseAuthData(config.auth_data));
  PGHA_ASSIGN_OR_RETURN(std::shared_ptr<const zk::AclList> acl,
                        zk::AclList::FromConfig(config.set_acls));
  options.timeout = ttl;
  return std::unique_ptr<dcs::DcsBackend>(
      new ZooKeeperBackend(std::move(options), std::move(acl), retry_timeout));
}

}  // namespace pgha::backends
