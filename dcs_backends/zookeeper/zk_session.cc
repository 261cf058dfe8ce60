#include "zk_session.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "pgha/base/clock.h"
#include "pgha/base/log.h"
#include "zk_log.h"

namespace pgha::backends::zk {

namespace {
Reply CodeOnly(int rc) {
  Reply reply;
  reply.rc = rc;
  return reply;
}
}  // namespace

// One request in flight: completed once, by the C client's callback, by Close(), or by the
// C client refusing it up front.
class Request {
 public:
  void Complete(Reply reply) {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_) return;
    done_ = true;
    reply_ = std::move(reply);
    cv_.notify_all();
  }

  Reply Wait(absl::Time deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    while (!done_) {
      absl::Duration left = deadline - MonotonicNow();
      if (left <= absl::ZeroDuration()) return CodeOnly(ZOPERATIONTIMEOUT);
      cv_.wait_for(lock, absl::ToChronoNanoseconds(left));
    }
    return reply_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  Reply reply_;
};

namespace {

// The C client's `data` argument: a heap copy of the request's pointer, freed by the callback.
RequestPtr TakeRequest(const void* data) {
  auto* holder = static_cast<RequestPtr*>(const_cast<void*>(data));
  RequestPtr request = std::move(*holder);
  delete holder;
  return request;
}

void OnData(int rc, const char* value, int len, const struct Stat* stat, const void* data) {
  Reply reply = CodeOnly(rc);
  if (rc == ZOK && value != nullptr && len > 0) reply.value.assign(value, len);
  if (rc == ZOK && stat != nullptr) reply.stat = *stat;
  TakeRequest(data)->Complete(std::move(reply));
}

void OnStat(int rc, const struct Stat* stat, const void* data) {
  Reply reply = CodeOnly(rc);
  if (rc == ZOK && stat != nullptr) reply.stat = *stat;
  TakeRequest(data)->Complete(std::move(reply));
}

void OnStrings(int rc, const struct String_vector* strings, const void* data) {
  Reply reply = CodeOnly(rc);
  if (rc == ZOK && strings != nullptr) {
    for (int32_t i = 0; i < strings->count; ++i) reply.children.emplace_back(strings->data[i]);
  }
  TakeRequest(data)->Complete(std::move(reply));
}

void OnString(int rc, const char* value, const void* data) {
  TakeRequest(data)->Complete(CodeOnly(rc));
}

void OnStringStat(int rc, const char* value, const struct Stat* stat, const void* data) {
  OnStat(rc, stat, data);
}

void OnVoid(int rc, const void* data) { TakeRequest(data)->Complete(CodeOnly(rc)); }

void OnAuth(int rc, const void* data) {
  if (rc != ZOK) {
    PGHA_LOG(ERROR) << "ZooKeeper refused auth_data: " << zerror(rc);
  }
}

bool IsDeadState(int state) {
  return state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE;
}

}  // namespace

int64_t ChangeCounter::Value() const {
  std::lock_guard<std::mutex> lock(mu_);
  return value_;
}

void ChangeCounter::Bump() {
  std::lock_guard<std::mutex> lock(mu_);
  ++value_;
  cv_.notify_all();
}

bool ChangeCounter::WaitAbove(int64_t since, absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  absl::Time deadline = MonotonicNow() + timeout;
  while (value_ <= since) {
    absl::Duration left = deadline - MonotonicNow();
    if (left <= absl::ZeroDuration()) return false;
    cv_.wait_for(lock, absl::ToChronoNanoseconds(left));
  }
  return true;
}

Session::Session(SessionOptions options, std::shared_ptr<ChangeCounter> changes)
    : options_(std::move(options)), changes_(std::move(changes)) {}

Session::~Session() { Close(); }

absl::StatusOr<std::shared_ptr<Session>> Session::Open(const SessionOptions& options,
                                                       std::shared_ptr<ChangeCounter> changes) {
  ConfigureClientLogging();
  std::shared_ptr<Session> session(new Session(options, std::move(changes)));
  int64_t timeout_ms = std::clamp<int64_t>(absl::ToInt64Milliseconds(options.timeout), 1, INT_MAX);
  // The session reports its own events (and, with the same function and context, every watch:
  // the C client then delivers session events once, not once per watch).
  zhandle_t* zh =
      zookeeper_init2(options.hosts.c_str(), &Session::OnEvent, static_cast<int>(timeout_ms),
                      nullptr, session.get(), 0, &ForwardClientLog);
  if (zh == nullptr) {
    int err = errno;
    return absl::UnavailableError(absl::StrCat("cannot start a ZooKeeper client for ",
                                               options.hosts, ": ", std::strerror(err)));
  }
  for (const auto& [scheme, credential] : options.auth) {
    int rc = zoo_add_auth(zh, scheme.c_str(), credential.data(),
                          static_cast<int>(credential.size()), &OnAuth, nullptr);
    if (rc != ZOK) {
      PGHA_LOG(ERROR) << "ZooKeeper auth_data " << scheme << ": " << zerror(rc);
    }
  }
  std::unique_lock<std::shared_mutex> lock(session->handle_mu_);
  session->zh_ = zh;
  return session;
}

void Session::OnEvent(zhandle_t* zh, int type, int state, const char* path, void* context) {
  auto* self = static_cast<Session*>(context);
  if (type == ZOO_SESSION_EVENT) {
    self->OnSessionState(zh, state);
  } else {
    self->changes_->Bump();  // a watched znode or its children changed
  }
}

void Session::OnSessionState(zhandle_t* zh, int state) {
  bool first = false;
  bool was_connected = false;
  int64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    first = !ever_connected_;
    was_connected = state_ == ZOO_CONNECTED_STATE;
    id = id_;
  }
  bool bump = false;
  if (state == ZOO_CONNECTED_STATE) {
    const clientid_t* client = zoo_client_id(zh);
    id = client != nullptr ? client->client_id : 0;
    if (first) {
      PGHA_LOG(INFO) << "ZooKeeper session " << SessionHex(id) << " established (" << options_.hosts
                     << ", timeout " << zoo_recv_timeout(zh) << " ms)";
    } else {
      PGHA_LOG(INFO) << "ZooKeeper session " << SessionHex(id) << " reconnected";
      bump = true;  // watch events may have been missed: waiters re-read
    }
  } else if (state == ZOO_CONNECTING_STATE && was_connected) {
    PGHA_LOG(WARNING) << "lost the connection to ZooKeeper (session " << SessionHex(id)
                      << "); reconnecting";
  } else if (state == ZOO_EXPIRED_SESSION_STATE) {
    PGHA_LOG(WARNING) << "ZooKeeper session " << SessionHex(id)
                      << " expired: its ephemeral znodes are gone";
    bump = true;
  } else if (state == ZOO_AUTH_FAILED_STATE) {
    PGHA_LOG(ERROR) << "ZooKeeper refused the credentials in auth_data";
    bump = true;
  }
  // Bump before waking WaitConnected: a reader that saw the new state also sees the bump.
  if (bump) changes_->Bump();
  std::lock_guard<std::mutex> lock(mu_);
  state_ = state;
  if (state == ZOO_CONNECTED_STATE) {
    ever_connected_ = true;
    id_ = id;
    negotiated_timeout_ = absl::Milliseconds(zoo_recv_timeout(zh));
    // The write deadline (docs/ha.md) assumes the lock outlives a refresh by ttl; a server that
    // expires sessions sooner (its maxSessionTimeout) breaks that assumption.
    if (negotiated_timeout_ < options_.timeout) {
      PGHA_LOG(WARNING) << "ZooKeeper negotiated a session timeout of "
                        << absl::FormatDuration(negotiated_timeout_) << ", shorter than ttl ("
                        << absl::FormatDuration(options_.timeout)
                        << "): raise the server's maxSessionTimeout or lower ttl";
    }
  } else if (was_connected) {
    disconnected_since_ = MonotonicNow();
  }
  state_cv_.notify_all();
}

absl::Status Session::WaitConnected(absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!closed_ && state_ != ZOO_CONNECTED_STATE && !IsDeadState(state_)) {
    absl::Duration left = deadline - MonotonicNow();
    if (left <= absl::ZeroDuration()) {
      return absl::UnavailableError(absl::StrCat("ZooKeeper is not reachable at ", options_.hosts));
    }
    state_cv_.wait_for(lock, absl::ToChronoNanoseconds(left));
  }
  if (closed_) return absl::UnavailableError("the ZooKeeper session was closed");
  if (state_ == ZOO_EXPIRED_SESSION_STATE) {
    return absl::UnavailableError(absl::StrCat("ZooKeeper session ", SessionHex(id_), " expired"));
  }
  if (state_ == ZOO_AUTH_FAILED_STATE) {
    return absl::UnauthenticatedError("ZooKeeper refused the credentials in auth_data");
  }
  return absl::OkStatus();
}

bool Session::Dead() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || IsDeadState(state_)) return true;
    // Unreachable for longer than its timeout: the server expired it, or (a server that lost
    // its data) refuses it forever. Either way only a new session can succeed.
    if (ever_connected_ && state_ != ZOO_CONNECTED_STATE &&
        MonotonicNow() - disconnected_since_ > std::max(options_.timeout, negotiated_timeout_)) {
      return true;
    }
  }
  // The C client knows before its event reaches us.
  std::shared_lock<std::shared_mutex> lock(handle_mu_);
  return zh_ == nullptr || IsDeadState(zoo_state(zh_));
}

bool Session::Connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !closed_ && state_ == ZOO_CONNECTED_STATE;
}

bool Session::Closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

int64_t Session::id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return id_;
}

void Session::Close() {
  {
    std::unique_lock<std::shared_mutex> lock(handle_mu_);
    if (zh_ == nullptr) return;
    // Sends closeSession when connected (the server deletes the ephemeral znodes at once),
    // then joins the C client's threads: no callback runs after this.
    int rc = zookeeper_close(zh_);
    zh_ = nullptr;
    if (rc != ZOK) {
      PGHA_LOG(DEBUG) << "closing the ZooKeeper session: " << zerror(rc);
    }
  }
  std::vector<std::weak_ptr<Request>> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    pending.swap(pending_);
    state_cv_.notify_all();
  }
  // The C client drops the completions of requests it had not answered.
  for (auto& weak : pending) {
    if (RequestPtr request = weak.lock()) request->Complete(CodeOnly(ZCLOSING));
  }
}

template <typename Start>
RequestPtr Session::Issue(Start start) {
  auto request = std::make_shared<Request>();
  auto* holder = new RequestPtr(request);
  int rc = ZCLOSING;
  {
    std::shared_lock<std::shared_mutex> lock(handle_mu_);
    if (zh_ != nullptr) rc = start(zh_, holder);
    if (rc == ZOK) {
      std::lock_guard<std::mutex> state_lock(mu_);
      if (pending_.size() >= 64) {
        pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                      [](const std::weak_ptr<Request>& w) { return w.expired(); }),
                       pending_.end());
      }
      pending_.push_back(request);
    }
  }
  if (rc != ZOK) {
    // Refused up front, so its completion never runs; after a marshalling error it might, so
    // the holder is left to it.
    if (rc != ZMARSHALLINGERROR) delete holder;
    request->Complete(CodeOnly(rc));
  }
  return request;
}

RequestPtr Session::Get(const std::string& path, bool watch) {
  return Issue([&](zhandle_t* zh, const void* data) {
    return zoo_awget(zh, path.c_str(), watch ? &Session::OnEvent : nullptr, watch ? this : nullptr,
                     &OnData, data);
  });
}

RequestPtr Session::GetChildren(const std::string& path, bool watch) {
  return Issue([&](zhandle_t* zh, const void* data) {
    return zoo_awget_children(zh, path.c_str(), watch ? &Session::OnEvent : nullptr,
                              watch ? this : nullptr, &OnStrings, data);
  });
}

RequestPtr Session::Exists(const std::string& path, bool watch) {
  return Issue([&](zhandle_t* zh, const void* data) {
    return zoo_awexists(zh, path.c_str(), watch ? &Session::OnEvent : nullptr,
                        watch ? this : nullptr, &OnStat, data);
  });
}

RequestPtr Session::Create(const std::string& path, const std::string& value, bool ephemeral,
                           const ACL_vector* acl) {
  return Issue([&](zhandle_t* zh, const void* data) {
    return zoo_acreate2(zh, path.c_str(), value.data(), static_cast<int>(value.size()),
                        acl != nullptr ? acl : &ZOO_OPEN_ACL_UNSAFE,
                        ephemeral ? ZOO_EPHEMERAL : ZOO_PERSISTENT, &OnStringStat, data);
  });
}

RequestPtr Session::Set(const std::string& path, const std::string& value, int version) {
  return Issue([&](zhandle_t* zh, const void* data) {
    return zoo_aset(zh, path.c_str(), value.data(), static_cast<int>(value.size()), version,
                    &OnStat, data);
  });
}

RequestPtr Session::Delete(const std::string& path, int version) {
  return Issue([&](zhandle_t* zh, const void* data) {
    return zoo_adelete(zh, path.c_str(), version, &OnVoid, data);
  });
}

RequestPtr Session::Sync(const std::string& path) {
  return Issue([&](zhandle_t* zh, const void* data) {
    return zoo_async(zh, path.c_str(), &OnString, data);
  });
}

Reply Session::Wait(const RequestPtr& request, absl::Time deadline) {
  return request->Wait(deadline);
}

}  // namespace pgha::backends::zk
