#include "fake_dcs.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pgha::testing {

using dcs::Binding;
using dcs::kNoVersion;
using dcs::Version;

// ---- FakeDcsStore ------------------------------------------------------------------------------

FakeDcsStore::FakeDcsStore(Clock* clock, bool blocking_waits)
    : clock_(clock), blocking_waits_(blocking_waits) {}

void FakeDcsStore::SetPartitioned(const std::string& client, bool partitioned) {
  std::lock_guard<std::mutex> lock(mu_);
  if (partitioned) {
    partitioned_.insert(client);
  } else {
    partitioned_.erase(client);
  }
}

bool FakeDcsStore::IsPartitioned(const std::string& client) const {
  std::lock_guard<std::mutex> lock(mu_);
  return partitioned_.count(client) != 0;
}

void FakeDcsStore::SetDown(bool down) {
  std::lock_guard<std::mutex> lock(mu_);
  down_ = down;
  changed_.notify_all();  // blocked waiters see the outage
}

bool FakeDcsStore::IsDown() const {
  std::lock_guard<std::mutex> lock(mu_);
  return down_;
}

std::optional<dcs::RawEntry> FakeDcsStore::Peek(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked();
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return dcs::RawEntry{key, it->second.value, it->second.version,
                       it->second.session != 0 ? SessionName(it->second.session) : ""};
}

std::optional<absl::Time> FakeDcsStore::SessionExpiry(const std::string& session) {
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked();
  for (const auto& [id, s] : sessions_) {
    if (SessionName(id) == session) return s.expires;
  }
  return std::nullopt;
}

int64_t FakeDcsStore::Revision() {
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked();
  return revision_;
}

int64_t FakeDcsStore::ExpiredSessions() {
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked();
  return expired_sessions_;
}

absl::Status FakeDcsStore::Reachable(const std::string& client) const {
  if (down_) return absl::UnavailableError("fake DCS: the store is down");
  if (partitioned_.count(client) != 0) {
    return absl::UnavailableError(absl::StrCat("fake DCS: ", client, " is partitioned from the store"));
  }
  return absl::OkStatus();
}

void FakeDcsStore::ExpireLocked() {
  absl::Time now = clock_->Monotonic();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now < it->second.expires) {
      ++it;
      continue;
    }
    int64_t id = it->first;
    it = sessions_.erase(it);
    ++expired_sessions_;
    // The session's keys vanish together, in one revision (as an etcd lease expiry does).
    bool any = false;
    for (auto e = entries_.begin(); e != entries_.end();) {
      if (e->second.session == id) {
        e = entries_.erase(e);
        any = true;
      } else {
        ++e;
      }
    }
    if (any) Bump();
  }
}

int64_t FakeDcsStore::Bump() {
  ++revision_;
  changed_.notify_all();
  return revision_;
}

bool FakeDcsStore::SessionAliveLocked(int64_t session) const {
  return session != 0 && sessions_.count(session) != 0;
}

void FakeDcsStore::DeleteLocked(const std::string& key) {
  if (entries_.erase(key) != 0) Bump();
}

std::string FakeDcsStore::SessionName(int64_t id) { return absl::StrFormat("%x", id); }

// ---- FakeDcsBackend ----------------------------------------------------------------------------

FakeDcsBackend::FakeDcsBackend(FakeDcsStore* store, std::string client, absl::Duration ttl,
                               absl::Duration retry_timeout)
    : store_(store), client_(std::move(client)), ttl_(ttl) {}

void FakeDcsBackend::SetTimeouts(absl::Duration ttl, absl::Duration retry_timeout) {
  std::lock_guard<std::mutex> lock(store_->mu_);
  ttl_ = ttl;
}

int64_t FakeDcsBackend::EnsureSessionLocked() {
  if (store_->SessionAliveLocked(session_)) return session_;
  session_ = store_->next_session_++;
  store_->sessions_[session_] = {ttl_, store_->clock_->Monotonic() + ttl_};
  return session_;
}

absl::StatusOr<Version> FakeDcsBackend::WriteLocked(const std::string& key, const std::string& value,
                                                    Binding binding) {
  FakeDcsStore::Entry& e = store_->entries_[key];
  e.value = value;
  e.session = binding == Binding::kSession ? EnsureSessionLocked() : 0;
  e.version = store_->Bump();
  return e.version;
}

absl::StatusOr<dcs::RawSnapshot> FakeDcsBackend::Load(const std::string& prefix, dcs::ReadMode mode) {
  std::lock_guard<std::mutex> lock(store_->mu_);
  if (absl::Status s = store_->Reachable(client_); !s.ok()) return s;
  store_->ExpireLocked();
  dcs::RawSnapshot snapshot;
  snapshot.revision = store_->revision_;
  for (auto it = store_->entries_.lower_bound(prefix);
       it != store_->entries_.end() && absl::StartsWith(it->first, prefix); ++it) {
    snapshot.entries.push_back({it->first, it->second.value, it->second.version,
                                it->second.session != 0 ? FakeDcsStore::SessionName(it->second.session) : ""});
  }
  return snapshot;
}

absl::StatusOr<Version> FakeDcsBackend::Create(const std::string& key, const std::string& value,
                                               Binding binding) {
  std::lock_guard<std::mutex> lock(store_->mu_);
  if (absl::Status s = store_->Reachable(client_); !s.ok()) return s;
  store_->ExpireLocked();
  if (store_->entries_.count(key) != 0) return absl::AlreadyExistsError(absl::StrCat(key, " already exists"));
  return WriteLocked(key, value, binding);
}

absl::StatusOr<Version> FakeDcsBackend::CompareAndSet(const std::string& key, const std::string& value,
                                                      Version expected, Binding binding) {
  std::lock_guard<std::mutex> lock(store_->mu_);
  if (absl::Status s = store_->Reachable(client_); !s.ok()) return s;
  store_->ExpireLocked();
  auto it = store_->entries_.find(key);
  Version current = it == store_->entries_.end() ? kNoVersion : it->second.version;
  if (current != expected) {
    return absl::AbortedError(absl::StrCat(key, " changed since version ", expected));
  }
  return WriteLocked(key, value, binding);
}

absl::StatusOr<Version> FakeDcsBackend::Put(const std::string& key, const std::string& value,
                                            Binding binding) {
  std::lock_guard<std::mutex> lock(store_->mu_);
  if (absl::Status s = store_->Reachable(client_); !s.ok()) return s;
  store_->ExpireLocked();
  return WriteLocked(key, value, binding);
}

absl::Status FakeDcsBackend::CompareAndDelete(const std::string& key, Version expected) {
  std::lock_guard<std::mutex> lock(store_->mu_);
  if (absl::Status s = store_->Reachable(client_); !s.ok()) return s;
  store_->ExpireLocked();
  auto it = store_->entries_.find(key);
  if (it == store_->entries_.end()) return absl::NotFoundError(absl::StrCat(key, " does not exist"));
  if (it->second.version != expected) {
    return absl::AbortedError(absl::StrCat(key, " changed since version ", expected));
  }
  store_->DeleteLocked(key);
  return absl::OkStatus();
}

absl::Status FakeDcsBackend::DeletePrefix(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(store_->mu_);
  if (absl::Status s = store_->Reachable(client_); !s.ok()) return s;
  store_->ExpireLocked();
  auto first = store_->entries_.lower_bound(prefix);
  auto last = first;
  while (last != store_->entries_.end() && absl::StartsWith(last->first, prefix)) ++last;
  if (first != last) {
    store_->entries_.erase(first, last);
    store_->Bump();  // one revision, as an etcd range delete
  }
  return absl::OkStatus();
}

absl::Status FakeDcsBackend::KeepAlive() {
  std::lock_guard<std::mutex> lock(store_->mu_);
  if (absl::Status s = store_->Reachable(client_); !s.ok()) return s;
  store_->ExpireLocked();
  if (store_->SessionAliveLocked(session_)) {
    FakeDcsStore::Session& s = store_->sessions_[session_];
    s.expires = store_->clock_->Monotonic() + s.ttl;
    return absl::OkStatus();
  }
  EnsureSessionLocked();  // none yet, or it expired: its keys are gone, a new one starts
  return absl::OkStatus();
}

std::string FakeDcsBackend::SessionId() const {
  std::lock_guard<std::mutex> lock(store_->mu_);
  return session_ == 0 ? "" : FakeDcsStore::SessionName(session_);
}

absl::StatusOr<Version> FakeDcsBackend::RefreshLock(const std::string& key, const std::string& holder,
                                                    Version expected) {
  std::lock_guard<std::mutex> lock(store_->mu_);
  if (absl::Status s = store_->Reachable(client_); !s.ok()) return s;
  store_->ExpireLocked();
  int64_t session = EnsureSessionLocked();
  auto it = store_->entries_.find(key);
  if (it == store_->entries_.end() || it->second.version != expected || it->second.value != holder) {
    return absl::AbortedError(absl::StrCat("the leader lock ", key, " is no longer ours"));
  }
  if (it->second.session == session) return expected;  // still ours on the current session
  // Ours by value and version but bound to an older session: re-bind it without losing it.
  it->second.session = session;
  it->second.version = store_->Bump();
  return it->second.version;
}

absl::Status FakeDcsBackend::ReleaseLock(const std::string& key, const std::string& holder,
                                         Version expected) {
  std::lock_guard<std::mutex> lock(store_->mu_);
  if (absl::Status s = store_->Reachable(client_); !s.ok()) return s;
  store_->ExpireLocked();
  auto it = store_->entries_.find(key);
  if (it == store_->entries_.end()) return absl::NotFoundError(absl::StrCat(key, " does not exist"));
  if (it->second.version != expected || it->second.value != holder) {
    return absl::AbortedError(absl::StrCat("the leader lock ", key, " is not held by ", holder));
  }
  store_->DeleteLocked(key);
  return absl::OkStatus();
}

absl::StatusOr<bool> FakeDcsBackend::WaitForChange(const std::string& prefix, int64_t since_revision,
                                                   absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(store_->mu_);
  if (absl::Status s = store_->Reachable(client_); !s.ok()) return s;
  store_->ExpireLocked();
  if (store_->revision_ > since_revision) return true;
  if (!store_->blocking_waits_) return false;
  // Real time (conformance tests): wake on any change, re-checking expiry now and then.
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    store_->changed_.wait_for(lock, absl::ToChronoNanoseconds(std::min(left, absl::Milliseconds(100))));
    if (absl::Status s = store_->Reachable(client_); !s.ok()) return s;
    store_->ExpireLocked();
    if (store_->revision_ > since_revision) return true;
  }
}

absl::Status FakeDcsBackend::CloseSession() {
  std::lock_guard<std::mutex> lock(store_->mu_);
  int64_t session = session_;
  session_ = 0;  // forgotten locally even when the store cannot be told (as the etcd backend)
  if (session == 0) return absl::OkStatus();
  if (absl::Status s = store_->Reachable(client_); !s.ok()) return s;
  store_->ExpireLocked();
  if (store_->sessions_.erase(session) == 0) return absl::OkStatus();  // already expired
  bool any = false;
  for (auto e = store_->entries_.begin(); e != store_->entries_.end();) {
    if (e->second.session == session) {
      e = store_->entries_.erase(e);
      any = true;
    } else {
      ++e;
    }
  }
  if (any) store_->Bump();
  return absl::OkStatus();
}

}  // namespace pgha::testing
