// An in-memory DCS for simulations and fast tests: one FakeDcsStore shared by many
// FakeDcsBackend clients, each implementing the DcsBackend SPI (pgha/dcs/backend.h) exactly.
//
// The store keeps keys with versions (the store revision of their last modification, like etcd's
// mod_revision), sessions with a TTL that expire when not kept alive according to the store's
// Clock (a FakeClock in simulations), and per-client partitions: a partitioned client (by name)
// gets kUnavailable for every call, so its session is not kept alive and expires.
//
// Expiry is evaluated lazily, before every operation and every inspection, against the clock's
// Monotonic() time: a session expires when `now >= last keep-alive + ttl`, and its keys vanish in
// one new revision.
//
// WaitForChange returns at once by default (a simulation drives time itself); a store built with
// blocking_waits = true (conformance tests on a real clock) blocks on a condition variable.
//
// Thread-safety: everything is safe from any thread.
#ifndef PGHA_TESTS_SUPPORT_FAKE_DCS_H_
#define PGHA_TESTS_SUPPORT_FAKE_DCS_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "pgha/base/clock.h"
#include "pgha/dcs/backend.h"

namespace pgha::testing {

class FakeDcsStore {
 public:
  explicit FakeDcsStore(Clock* clock, bool blocking_waits = false);

  // ---- faults -------------------------------------------------------------------------------
  // A partitioned client gets kUnavailable for everything (its session then expires).
  void SetPartitioned(const std::string& client, bool partitioned);
  bool IsPartitioned(const std::string& client) const;
  // The whole store is unreachable for every client (and keeps its data).
  void SetDown(bool down);
  bool IsDown() const;

  // ---- inspection (never partitioned; expires sessions first) ------------------------------
  std::optional<dcs::RawEntry> Peek(const std::string& key);
  // When the session expires if it is not kept alive again; nullopt when it does not exist.
  std::optional<absl::Time> SessionExpiry(const std::string& session);
  int64_t Revision();
  // How many sessions expired so far (for summaries).
  int64_t ExpiredSessions();

 private:
  friend class FakeDcsBackend;
  struct Entry {
    std::string value;
    int64_t version = 0;
    int64_t session = 0;  // 0: persistent
  };
  struct Session {
    absl::Duration ttl;
    absl::Time expires;
  };

  // Every helper below runs with mu_ held.
  absl::Status Reachable(const std::string& client) const;
  void ExpireLocked();
  int64_t Bump();  // a new revision; wakes waiters
  bool SessionAliveLocked(int64_t session) const;
  void DeleteLocked(const std::string& key);
  static std::string SessionName(int64_t id);

  Clock* const clock_;
  const bool blocking_waits_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
  std::map<int64_t, Session> sessions_;   // guarded by mu_
  std::set<std::string> partitioned_;     // guarded by mu_
  bool down_ = false;                     // guarded by mu_
  int64_t revision_ = 1;                  // guarded by mu_
  int64_t next_session_ = 0x1a2b0000;     // guarded by mu_
  int64_t expired_sessions_ = 0;          // guarded by mu_
};

// One client of a FakeDcsStore, named like the node that uses it (partitions are per name).
class FakeDcsBackend final : public dcs::DcsBackend {
 public:
  FakeDcsBackend(FakeDcsStore* store, std::string client, absl::Duration ttl = absl::Seconds(30),
                 absl::Duration retry_timeout = absl::Seconds(10));

  void SetTimeouts(absl::Duration ttl, absl::Duration retry_timeout) override;
  absl::StatusOr<dcs::RawSnapshot> Load(const std::string& prefix, dcs::ReadMode mode) override;
  absl::StatusOr<dcs::Version> Create(const std::string& key, const std::string& value,
                                      dcs::Binding binding) override;
  absl::StatusOr<dcs::Version> CompareAndSet(const std::string& key, const std::string& value,
                                             dcs::Version expected, dcs::Binding binding) override;
  absl::StatusOr<dcs::Version> Put(const std::string& key, const std::string& value,
                                   dcs::Binding binding) override;
  absl::Status CompareAndDelete(const std::string& key, dcs::Version expected) override;
  absl::Status DeletePrefix(const std::string& prefix) override;
  absl::Status KeepAlive() override;
  std::string SessionId() const override;
  absl::StatusOr<dcs::Version> RefreshLock(const std::string& key, const std::string& holder,
                                           dcs::Version expected) override;
  absl::Status ReleaseLock(const std::string& key, const std::string& holder,
                           dcs::Version expected) override;
  absl::StatusOr<bool> WaitForChange(const std::string& prefix, int64_t since_revision,
                                     absl::Duration timeout) override;
  absl::Status CloseSession() override;

 private:
  // With store->mu_ held: this client's live session, granted when there is none or it expired.
  int64_t EnsureSessionLocked();
  absl::StatusOr<dcs::Version> WriteLocked(const std::string& key, const std::string& value,
                                           dcs::Binding binding);

  FakeDcsStore* const store_;
  const std::string client_;
  // Guarded by store_->mu_ (the client's state changes only together with the store's).
  absl::Duration ttl_;
  int64_t session_ = 0;
};

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_FAKE_DCS_H_
