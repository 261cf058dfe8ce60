#include "zk_session_keeper.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "pgha/base/clock.h"
#include "pgha/base/log.h"

namespace pgha::backends::zk {

SessionKeeper::SessionKeeper(SessionOptions options, std::shared_ptr<ChangeCounter> changes)
    : changes_(std::move(changes)), options_(std::move(options)) {
  closer_ = std::thread([this] { CloseInBackground(); });
}

SessionKeeper::~SessionKeeper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    RetireCurrentLocked();
    stop_ = true;
    cv_.notify_all();
  }
  closer_.join();  // after closing everything retired
}

void SessionKeeper::SetTtl(absl::Duration ttl) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.timeout = ttl;
}

void SessionKeeper::RetireLocked(std::shared_ptr<Session> session) {
  if (session == nullptr) return;
  retired_.push_back(std::move(session));
  cv_.notify_all();
}

void SessionKeeper::RetireCurrentLocked() {
  RetireLocked(std::move(session_));
  session_ = nullptr;
  has_ephemerals_ = false;
}

absl::StatusOr<std::shared_ptr<Session>> SessionKeeper::Acquire(absl::Time deadline) {
  while (true) {
    std::shared_ptr<Session> session;
    SessionOptions options;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (session_ != nullptr && session_->Dead()) {
        PGHA_LOG(INFO) << "replacing ZooKeeper session " << SessionHex(session_->id())
                       << " (expired, refused, or out of reach for longer than its timeout)";
        RetireCurrentLocked();
      }
      session = session_;
      options = options_;
    }
    if (session == nullptr) {
      // Opened outside the lock: the C client resolves host names while starting.
      auto opened = Session::Open(options, changes_);
      if (!opened.ok()) return opened.status();
      std::lock_guard<std::mutex> lock(mu_);
      if (session_ == nullptr) {
        session_ = *opened;
        lease_end_ = MonotonicNow() + options_.timeout;
        has_ephemerals_ = false;
        cv_.notify_all();
      } else {
        RetireLocked(std::move(*opened));  // another thread opened one first
      }
      session = session_;
    }
    absl::Status connected = session->WaitConnected(deadline);
    if (connected.ok()) return session;
    if (absl::IsUnauthenticated(connected) || !session->Dead() || MonotonicNow() >= deadline) {
      return connected;
    }
    // It expired (or was closed) meanwhile: the next round opens a new session.
  }
}

absl::StatusOr<std::shared_ptr<Session>> SessionKeeper::AcquireForEphemerals(absl::Time deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    absl::Time now = MonotonicNow();
    if (session_ != nullptr && now >= lease_end_) {
      if (has_ephemerals_) {
        // The background thread is about to close it anyway: its ephemerals are forfeit.
        RetireCurrentLocked();
      } else {
        lease_end_ = now + options_.timeout;  // nothing depended on the old lease
      }
    }
  }
  auto session = Acquire(deadline);
  if (!session.ok()) return session;
  std::lock_guard<std::mutex> lock(mu_);
  if (session_ == *session && !has_ephemerals_) {
    has_ephemerals_ = true;
    cv_.notify_all();
  }
  return session;
}

void SessionKeeper::Renewed(const std::shared_ptr<Session>& session, absl::Time sent) {
  std::lock_guard<std::mutex> lock(mu_);
  if (session_ != session) return;
  lease_end_ = std::max(lease_end_, sent + options_.timeout);
  cv_.notify_all();
}

absl::Status SessionKeeper::Close(absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  std::shared_ptr<Session> session = session_;
  if (session == nullptr) return absl::OkStatus();
  bool connected = session->Connected();
  std::string id = SessionHex(session->id());
  RetireCurrentLocked();
  while (!session->Closed()) {
    absl::Duration left = deadline - MonotonicNow();
    if (left <= absl::ZeroDuration()) break;
    cv_.wait_for(lock, absl::ToChronoNanoseconds(left));
  }
  if (!connected || !session->Closed()) {
    return absl::UnavailableError(
        absl::StrCat("ZooKeeper did not confirm the end of session ", id,
                     ": its ephemeral znodes stay until the server expires it"));
  }
  return absl::OkStatus();
}

std::string SessionKeeper::CurrentId() const {
  std::lock_guard<std::mutex> lock(mu_);
  return session_ == nullptr ? std::string() : SessionHex(session_->id());
}

void SessionKeeper::CloseInBackground() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (session_ != nullptr && has_ephemerals_ && MonotonicNow() >= lease_end_) {
      PGHA_LOG(WARNING)
          << "ZooKeeper session " << SessionHex(session_->id()) << " was not kept alive for "
          << absl::FormatDuration(options_.timeout)
          << " (ttl): closing it; its ephemeral znodes (leader lock, member key) go with it";
      RetireCurrentLocked();
    }
    if (!retired_.empty()) {
      std::vector<std::shared_ptr<Session>> closing;
      closing.swap(retired_);
      lock.unlock();
      for (const auto& session : closing) session->Close();
      changes_->Bump();  // their watches are gone: waiters re-read (in a new session)
      lock.lock();
      cv_.notify_all();  // wakes Close()
      continue;
    }
    if (stop_) return;
    if (session_ != nullptr && has_ephemerals_) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(lease_end_ - MonotonicNow()));
    } else {
      cv_.wait(lock);
    }
  }
}

}  // namespace pgha::backends::zk
