#include "consul_double.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "pgha/base/json.h"
#include "ports.h"

namespace pgha::testing {
namespace {

constexpr size_t kMaxValueSize = 512 * 1024;  // Consul's kv_max_value_size default
constexpr size_t kMaxTxnOps = 64;
constexpr absl::Duration kSessionTtlMax = absl::Hours(24);
constexpr absl::Duration kDefaultLockDelay = absl::Seconds(15);

// ---- Go's duration syntax (time.ParseDuration / Duration.String) ---------------------------

bool ParseGoDuration(const std::string& text, absl::Duration* out) {
  static const auto* kUnits =
      new std::map<std::string, absl::Duration>{{"ns", absl::Nanoseconds(1)},
                                                {"us", absl::Microseconds(1)},
                                                {"\xC2\xB5s", absl::Microseconds(1)},
                                                {"ms", absl::Milliseconds(1)},
                                                {"s", absl::Seconds(1)},
                                                {"m", absl::Minutes(1)},
                                                {"h", absl::Hours(1)}};
  if (text == "0") return *out = absl::ZeroDuration(), true;
  absl::Duration total;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (absl::ascii_isdigit(text[i]) || text[i] == '.')) ++i;
    double number = 0;
    if (i == start || !absl::SimpleAtod(text.substr(start, i - start), &number)) return false;
    size_t unit_start = i;
    while (i < text.size() && !absl::ascii_isdigit(text[i]) && text[i] != '.') ++i;
    auto unit = kUnits->find(text.substr(unit_start, i - unit_start));
    if (unit == kUnits->end()) return false;
    total += unit->second * number;
  }
  *out = total;
  return !text.empty();
}

// Go's Duration.String() for whole seconds ("10s", "1m30s", "24h0m0s"): all the double prints.
std::string FormatGoDuration(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrCat(s / 60, "m", s % 60, "s");
  return absl::StrCat(s / 3600, "h", s % 3600 / 60, "m", s % 60, "s");
}

// ---- requests -------------------------------------------------------------------------------

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto hex = [](char c) {
      return absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
    };
    if (s[i] == '%' && i + 2 < s.size() && absl::ascii_isxdigit(s[i + 1]) &&
        absl::ascii_isxdigit(s[i + 2])) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

// The query string as Go's url.Values sees it: a bare "?recurse" is present with value "".
struct Query {
  std::map<std::string, std::string> values;
  std::string raw;
  explicit Query(const httplib::Request& req) {
    size_t q = req.target.find('?');
    if (q == std::string::npos) return;
    raw = req.target.substr(q + 1);
    for (absl::string_view part : absl::StrSplit(raw, '&', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
      values.emplace(PercentDecode(kv.first), PercentDecode(kv.second));
    }
  }
  bool Has(const std::string& k) const { return values.count(k) > 0; }
  std::string Get(const std::string& k) const {
    auto it = values.find(k);
    return it == values.end() ? "" : it->second;
  }
};

constexpr const char* kText = "text/plain";

void Reply(httplib::Response& res, int status, const std::string& body,
           const char* type = "application/json") {
  res.status = status;
  res.set_content(body, type);
}

// A query value that must be an unsigned integer; otherwise false, after a 400 like Consul's.
bool UintParam(const Query& q, const char* name, uint64_t* out, httplib::Response& res) {
  if (!q.Has(name) || absl::SimpleAtoi(q.Get(name), out)) return true;
  Reply(res, 400, "strconv.ParseUint: parsing \"" + q.Get(name) + "\": invalid syntax", kText);
  return false;
}

void ReplyJson(httplib::Response& res, const Json& j) { Reply(res, 200, j.dump()); }

// JSON object keys compared without case, as Go's encoding/json does.
const Json* Field(const Json& object, const std::string& name) {
  if (!object.is_object()) return nullptr;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (absl::EqualsIgnoreCase(it.key(), name)) return &it.value();
  }
  return nullptr;
}

std::string Str(const Json& object, const char* name) {
  const Json* f = Field(object, name);
  return f != nullptr && f->is_string() ? f->get<std::string>() : "";
}

std::string NewUuid() {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  std::lock_guard<std::mutex> lock(mu);
  uint64_t a = rng(), b = rng();
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", a >> 32, (a >> 16) & 0xffff, a & 0xffff,
                         b >> 48, b & 0xffffffffffffULL);
}

// ---- state ----------------------------------------------------------------------------------

struct Entry {
  std::string value;  // empty is served as null, as Consul does
  uint64_t flags = 0, create_index = 0, modify_index = 0, lock_index = 0;
  std::string session;
};

struct Session {
  std::string id, name, node, behavior, ttl_text;
  absl::Duration ttl;  // zero: no TTL
  absl::Duration lock_delay;
  std::vector<std::string> checks;
  uint64_t create_index = 0;
  absl::Time deadline = absl::InfiniteFuture();
};

struct KvState {
  std::map<std::string, Entry> kv;
  std::map<std::string, uint64_t> tombstones;  // key -> index of its deletion
  uint64_t table_index = 0;                    // last index that changed the KV table
};

Json EntryJson(const std::string& key, const Entry& e, bool with_value) {
  Json j = {{"LockIndex", e.lock_index}, {"Key", key}, {"Flags", e.flags}, {"Value", nullptr}};
  if (with_value && !e.value.empty()) j["Value"] = absl::Base64Escape(e.value);
  if (!e.session.empty()) j["Session"] = e.session;
  j["CreateIndex"] = e.create_index;
  j["ModifyIndex"] = e.modify_index;
  return j;
}

Json SessionJson(const Session& s) {
  Json j = {{"ID", s.id}, {"Name", s.name}, {"Node", s.node}, {"NodeChecks", s.checks}};
  j["LockDelay"] = absl::ToInt64Nanoseconds(s.lock_delay);
  j["Behavior"] = s.behavior;
  j["TTL"] = s.ttl_text;
  j["CreateIndex"] = j["ModifyIndex"] = s.create_index;
  return j;
}

}  // namespace

class ConsulDouble::Impl {
 public:
  explicit Impl(ConsulDoubleOptions options) : options_(std::move(options)), port_(FreePort()) {}
  ~Impl() { Stop(); }

  void Start();
  void Stop();
  int port() const { return port_; }
  // Locked()'s lock lives to the end of the statement.
  size_t SessionCount() { return Locked(), sessions_.size(); }
  size_t BlockedQueries() { return Locked(), blocked_; }
  std::string ServiceRegistration(const std::string& id) {
    auto lock = Locked();
    auto it = services_.find(id);
    return it == services_.end() ? "" : it->second.dump();
  }

 private:
  void Routes(httplib::Server& server);
  httplib::Server::HandlerResponse PreRoute(const httplib::Request& req, httplib::Response& res);
  void KvGet(const httplib::Request& req, httplib::Response& res);
  void KvPut(const httplib::Request& req, httplib::Response& res);
  void KvDelete(const httplib::Request& req, httplib::Response& res);
  void Txn(const httplib::Request& req, httplib::Response& res);
  void SessionCreate(const httplib::Request& req, httplib::Response& res);
  void AgentServiceRegister(const httplib::Request& req, httplib::Response& res);

  // The state store's KV rules (Consul's kvs.go), applied at index `idx`. Caller holds mu_.
  uint64_t ListIndex(const std::string& prefix) const;
  void Write(const std::string& key, Entry entry, uint64_t idx, bool update_session);
  bool SetCas(const std::string& key, Entry entry, uint64_t cas, uint64_t idx);
  std::string Lock(const std::string& key, Entry entry, const std::string& session, uint64_t idx,
                   bool* ok);
  bool Unlock(const std::string& key, Entry entry, const std::string& session, uint64_t idx);
  void Delete(const std::string& key, uint64_t idx);
  void DeleteTree(const std::string& prefix, uint64_t idx);
  bool InLockDelay(const std::string& key) const;
  std::string TxnOp(const Json& op, uint64_t idx, Json* results);
  void Invalidate(const std::string& id, uint64_t idx, absl::Time when);
  void Arm(Session& s) const {  // the session's timer restarts: Consul invalidates at 2x TTL
    if (s.ttl > absl::ZeroDuration())
      s.deadline = absl::Now() + s.ttl * options_.session_ttl_multiplier;
  }
  // Session TTLs are checked lazily, whenever the state is looked at (every request, and a
  // blocking query wakes at the next expiry): what a session's end did carries the time it
  // actually expired, so nothing tells this apart from Consul's timers.
  std::unique_lock<std::mutex> Locked();
  void ExpireSessions();
  absl::Time NextExpiry() const;

  const ConsulDoubleOptions options_;
  const int port_;

  std::mutex life_mu_;  // Start/Stop
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;

  std::mutex mu_;                    // everything below
  std::condition_variable changed_;  // any write; blocking queries wait on it
  bool serving_ = false;             // false while stopped: no answers, no session timers
  uint64_t index_ = 0;               // the raft index: every applied write takes the next one
  KvState state_;
  std::map<std::string, absl::Time> lock_delays_;
  std::map<std::string, Session> sessions_;
  uint64_t sessions_index_ = 0;
  size_t blocked_ = 0;  // requests in a blocking query
  std::map<std::string, Json> services_;
};

void ConsulDouble::Impl::Start() {
  std::lock_guard<std::mutex> life(life_mu_);
  if (server_) return;
  auto server = std::make_unique<httplib::Server>();
  // Blocking queries hold a thread each; Consul (Go) has no such limit.
  server->new_task_queue = [] { return new httplib::ThreadPool(64); };
  Routes(*server);
  if (!server->bind_to_port("127.0.0.1", port_)) {
    throw std::runtime_error(absl::StrCat("consul double: cannot listen on port ", port_));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);  // not Locked(): the timers did not run while down
    serving_ = true;
    // A new leader starts every session's timer afresh.
    for (auto& [id, s] : sessions_) Arm(s);
  }
  httplib::Server* raw = server.get();
  listener_ = std::thread([raw] { raw->listen_after_bind(); });
  for (int i = 0; i < 5000 && !raw->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_ = std::move(server);
}

void ConsulDouble::Impl::Stop() {
  std::lock_guard<std::mutex> life(life_mu_);
  if (!server_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    serving_ = false;
  }
  changed_.notify_all();  // blocked queries end
  server_->stop();
  listener_.join();
  server_.reset();
}

std::unique_lock<std::mutex> ConsulDouble::Impl::Locked() {
  std::unique_lock<std::mutex> lock(mu_);
  ExpireSessions();
  return lock;
}

void ConsulDouble::Impl::ExpireSessions() {
  for (bool expired = serving_; expired;) {
    expired = false;
    for (const auto& [id, s] : sessions_) {
      if (s.deadline > absl::Now()) continue;
      Invalidate(id, ++index_, s.deadline);  // erases the session: iterate afresh
      changed_.notify_all();
      expired = true;
      break;
    }
  }
}

absl::Time ConsulDouble::Impl::NextExpiry() const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [id, s] : sessions_) next = std::min(next, s.deadline);
  return next;
}

// ---- the state store ------------------------------------------------------------------------

uint64_t ConsulDouble::Impl::ListIndex(const std::string& prefix) const {
  if (prefix.empty()) return state_.table_index;
  uint64_t index = 0;
  for (auto it = state_.kv.lower_bound(prefix);
       it != state_.kv.end() && absl::StartsWith(it->first, prefix); ++it) {
    index = std::max(index, it->second.modify_index);
  }
  for (auto it = state_.tombstones.lower_bound(prefix);
       it != state_.tombstones.end() && absl::StartsWith(it->first, prefix); ++it) {
    index = std::max(index, it->second);
  }
  return index != 0 ? index : state_.table_index;
}

// kvsSetTxn: keeps CreateIndex, and the lock holder unless told otherwise; an unchanged entry
// is not written (its ModifyIndex stays).
void ConsulDouble::Impl::Write(const std::string& key, Entry entry, uint64_t idx,
                               bool update_session) {
  auto it = state_.kv.find(key);
  entry.create_index = it != state_.kv.end() ? it->second.create_index : idx;
  if (!update_session) entry.session = it != state_.kv.end() ? it->second.session : "";
  if (it != state_.kv.end()) {
    const Entry& old = it->second;
    if (old.lock_index == entry.lock_index && old.flags == entry.flags &&
        old.value == entry.value && old.session == entry.session) {
      return;
    }
  }
  entry.modify_index = idx;
  state_.kv[key] = std::move(entry);
  state_.tombstones.erase(key);
  state_.table_index = idx;
}

bool ConsulDouble::Impl::SetCas(const std::string& key, Entry entry, uint64_t cas, uint64_t idx) {
  auto it = state_.kv.find(key);
  if (cas == 0 && it != state_.kv.end()) return false;  // cas=0: create only
  if (cas != 0 && (it == state_.kv.end() || it->second.modify_index != cas)) return false;
  Write(key, std::move(entry), idx, false);
  return true;
}

// kvsLockTxn. Returns an error text (the RPC fails) or sets *ok.
std::string ConsulDouble::Impl::Lock(const std::string& key, Entry entry,
                                     const std::string& session, uint64_t idx, bool* ok) {
  *ok = false;
  if (session.empty()) return "missing session";
  if (!sessions_.count(session)) return absl::StrCat("invalid session \"", session, "\"");
  auto it = state_.kv.find(key);
  if (it == state_.kv.end()) {
    entry.lock_index = 1;
  } else if (it->second.session == session) {
    entry.lock_index = it->second.lock_index;  // already ours: just update the contents
  } else if (!it->second.session.empty()) {
    return "";  // held by another session
  } else {
    entry.lock_index = it->second.lock_index + 1;
  }
  entry.session = session;
  Write(key, std::move(entry), idx, true);
  *ok = true;
  return "";
}

// kvsUnlockTxn: the request's value and flags are written too; LockIndex stays.
bool ConsulDouble::Impl::Unlock(const std::string& key, Entry entry, const std::string& session,
                                uint64_t idx) {
  auto it = state_.kv.find(key);
  if (session.empty() || it == state_.kv.end() || it->second.session != session) return false;
  entry.session.clear();
  entry.lock_index = it->second.lock_index;
  Write(key, std::move(entry), idx, true);
  return true;
}

void ConsulDouble::Impl::Delete(const std::string& key, uint64_t idx) {
  if (state_.kv.erase(key) == 0) return;
  state_.tombstones[key] = idx;
  state_.table_index = idx;
}

void ConsulDouble::Impl::DeleteTree(const std::string& prefix, uint64_t idx) {
  std::vector<std::string> keys;
  for (auto it = state_.kv.lower_bound(prefix);
       it != state_.kv.end() && absl::StartsWith(it->first, prefix); ++it) {
    keys.push_back(it->first);
  }
  for (const std::string& k : keys) Delete(k, idx);
}

bool ConsulDouble::Impl::InLockDelay(const std::string& key) const {
  auto it = lock_delays_.find(key);
  return it != lock_delays_.end() && it->second > absl::Now();
}

// A session ends (TTL, destroy): its locks are deleted or released and start their lock delay.
void ConsulDouble::Impl::Invalidate(const std::string& id, uint64_t idx, absl::Time when) {
  auto s = sessions_.find(id);
  if (s == sessions_.end()) return;
  std::vector<std::string> held;
  for (const auto& [key, e] : state_.kv) {
    if (e.session == id) held.push_back(key);
  }
  for (const std::string& key : held) {
    if (s->second.lock_delay > absl::ZeroDuration()) {
      lock_delays_[key] = when + s->second.lock_delay;
    }
    if (s->second.behavior == "delete") {
      Delete(key, idx);
    } else {
      Entry e = state_.kv[key];
      e.session.clear();
      Write(key, std::move(e), idx, true);
    }
  }
  sessions_.erase(s);
  sessions_index_ = idx;
}

// One KV op of a transaction (Consul's txnKVS). Returns an error text, "" on success.
std::string ConsulDouble::Impl::TxnOp(const Json& op, uint64_t idx, Json* results) {
  const Json* kv = Field(op, "KV");
  if (kv == nullptr || !kv->is_object()) return "the Consul double implements KV operations only";
  auto num = [&](const char* name) -> uint64_t {
    const Json* f = Field(*kv, name);
    return f != nullptr && f->is_number_unsigned() ? f->get<uint64_t>() : 0;
  };
  const std::string verb = Str(*kv, "Verb"), key = Str(*kv, "Key"), session = Str(*kv, "Session");
  const std::string quoted = "\"" + key + "\"";
  const uint64_t index = num("Index");
  Entry entry;
  absl::Base64Unescape(Str(*kv, "Value"), &entry.value);  // validated before
  entry.flags = num("Flags");
  auto found = state_.kv.find(key);
  const Entry* existing = found == state_.kv.end() ? nullptr : &found->second;
  auto result = [&](bool with_value) {  // the entry as it is now (writes: without the value)
    auto it = state_.kv.find(key);
    if (it != state_.kv.end()) results->push_back({{"KV", EntryJson(key, it->second, with_value)}});
    return "";
  };
  if (verb == "set") return Write(key, entry, idx, false), result(false);
  if (verb == "cas") {
    if (!SetCas(key, entry, index, idx)) return "failed to set key " + quoted + ", index is stale";
    return result(false);
  }
  if (verb == "lock" || verb == "unlock") {
    bool ok = false;
    std::string err = verb == "lock" ? Lock(key, entry, session, idx, &ok) : "";
    if (!err.empty()) return err;
    if (verb == "lock" && !ok) return "failed to lock key " + quoted + ", lock is already held";
    if (verb == "unlock" && !Unlock(key, entry, session, idx)) {
      return "failed to unlock key " + quoted + ", lock isn't held, or is held by another session";
    }
    return result(false);
  }
  if (verb == "get") return existing ? result(true) : "key " + quoted + " doesn't exist";
  if (verb == "check-index") {
    if (existing == nullptr) return "failed to check index, key " + quoted + " doesn't exist";
    if (existing->modify_index != index) {
      return absl::StrCat("failed index check for key ", quoted, ", current modify index ",
                          existing->modify_index, " != ", index);
    }
    return result(false);
  }
  if (verb == "check-not-exists") return existing ? "key " + quoted + " exists" : "";
  if (verb == "delete-cas" && existing != nullptr && existing->modify_index != index) {
    return "failed to delete key " + quoted + ", index is stale";
  }
  if (verb == "delete" || verb == "delete-cas") return Delete(key, idx), "";
  if (verb == "delete-tree") return DeleteTree(key, idx), "";
  return "unknown KV verb \"" + verb + "\"";
}

// ---- HTTP -----------------------------------------------------------------------------------

httplib::Server::HandlerResponse ConsulDouble::Impl::PreRoute(const httplib::Request& req,
                                                              httplib::Response& res) {
  using R = httplib::Server::HandlerResponse;
  Query q(req);
  if (!options_.acl_token.empty() && !absl::StartsWith(req.path, "/v1/status/")) {
    std::string token = req.get_header_value("X-Consul-Token");
    if (token.empty()) token = q.Get("token");
    if (token.empty()) return Reply(res, 403, "Permission denied", kText), R::Handled;
    if (token != options_.acl_token) return Reply(res, 403, "ACL not found", kText), R::Handled;
  }
  if (q.Has("dc") && q.Get("dc") != options_.datacenter) {
    return Reply(res, 500, "No path to datacenter", kText), R::Handled;
  }
  if (q.Has("stale") && q.Has("consistent")) {
    Reply(res, 400, "Cannot specify ?stale with ?consistent, conflicting semantics.", kText);
    return R::Handled;
  }
  return R::Unhandled;
}

void ConsulDouble::Impl::KvGet(const httplib::Request& req, httplib::Response& res) {
  Query q(req);
  const std::string key = req.matches[1];
  const bool recurse = q.Has("recurse");
  if (!recurse && key.empty()) return Reply(res, 400, "Missing key name", kText);
  uint64_t min_index = 0;
  if (!UintParam(q, "index", &min_index, res)) return;
  absl::Duration wait = absl::Minutes(5);
  if (q.Has("wait") && (!ParseGoDuration(q.Get("wait"), &wait) || wait < absl::ZeroDuration())) {
    return Reply(res, 400, "Invalid wait time", kText);
  }
  wait = std::min(wait, absl::Minutes(10));
  if (options_.wait_jitter && wait > absl::ZeroDuration()) {
    static thread_local std::mt19937_64 rng(std::random_device{}());
    wait += absl::Nanoseconds(rng() % (absl::ToInt64Nanoseconds(wait) / 16 + 1));
  }
  std::unique_lock<std::mutex> lock = Locked();
  auto index_now = [&] {
    if (recurse) return ListIndex(key);
    auto it = state_.kv.find(key);
    return it != state_.kv.end() ? it->second.modify_index : state_.table_index;
  };
  // Blocks while the index has not passed ?index=, until the wait ends.
  const absl::Time deadline = absl::Now() + wait;
  for (++blocked_;
       min_index > 0 && index_now() <= min_index && serving_ && absl::Now() < deadline;) {
    changed_.wait_until(lock, absl::ToChronoTime(std::min(deadline, NextExpiry())));
    ExpireSessions();
  }
  --blocked_;
  if (!serving_) return Reply(res, 503, "agent is shutting down", kText);
  res.set_header("X-Consul-Index", absl::StrCat(std::max<uint64_t>(1, index_now())));
  res.set_header("X-Consul-KnownLeader", "true");
  Json entries = Json::array();
  for (auto it = state_.kv.lower_bound(key); it != state_.kv.end(); ++it) {
    if (recurse ? !absl::StartsWith(it->first, key) : it->first != key) break;
    entries.push_back(EntryJson(it->first, it->second, true));
  }
  if (entries.empty()) return Reply(res, 404, "", kText);
  ReplyJson(res, entries);
}

void ConsulDouble::Impl::KvPut(const httplib::Request& req, httplib::Response& res) {
  Query q(req);
  const std::string key = req.matches[1];
  if (key.empty()) return Reply(res, 400, "Missing key name", kText);
  if (q.Has("cas") + q.Has("acquire") + q.Has("release") > 1) {
    return Reply(res, 400, "Conflicting flags: " + q.raw + "\n", kText);
  }
  Entry entry;
  uint64_t cas = 0;
  if (!UintParam(q, "flags", &entry.flags, res) || !UintParam(q, "cas", &cas, res)) return;
  if (req.body.size() > kMaxValueSize) {
    return Reply(res, 413, absl::StrCat("Request body too large, max: ", kMaxValueSize), kText);
  }
  entry.value = req.body;
  auto lock = Locked();
  if (q.Has("acquire") && InLockDelay(key)) return Reply(res, 200, "false");
  const uint64_t idx = ++index_;
  bool ok = true;
  if (q.Has("acquire")) {
    std::string err = Lock(key, entry, q.Get("acquire"), idx, &ok);
    if (!err.empty()) return Reply(res, 500, err, kText);
  } else if (q.Has("release")) {
    ok = Unlock(key, entry, q.Get("release"), idx);
  } else if (q.Has("cas")) {
    ok = SetCas(key, entry, cas, idx);
  } else {
    Write(key, entry, idx, false);
  }
  changed_.notify_all();
  Reply(res, 200, ok ? "true" : "false");
}

void ConsulDouble::Impl::KvDelete(const httplib::Request& req, httplib::Response& res) {
  Query q(req);
  const std::string key = req.matches[1];
  if (q.Has("recurse") && q.Has("cas")) {
    return Reply(res, 400, "Conflicting flags: " + q.raw + "\n", kText);
  }
  if (!q.Has("recurse") && key.empty()) return Reply(res, 400, "Missing key name", kText);
  uint64_t cas = 0;
  if (!UintParam(q, "cas", &cas, res)) return;
  auto lock = Locked();
  const uint64_t idx = ++index_;
  bool ok = true;
  if (q.Has("recurse")) {
    DeleteTree(key, idx);
  } else if (q.Has("cas")) {
    // Unlike PUT, cas=0 never deletes; a key that is already gone counts as deleted.
    auto it = state_.kv.find(key);
    ok = it == state_.kv.end() || (cas != 0 && it->second.modify_index == cas);
    if (ok) Delete(key, idx);
  } else {
    Delete(key, idx);
  }
  changed_.notify_all();
  Reply(res, 200, ok ? "true" : "false");
}

void ConsulDouble::Impl::Txn(const httplib::Request& req, httplib::Response& res) {
  Json ops = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (ops.is_discarded() || !ops.is_array()) {
    return Reply(res, 400, "Failed to parse body: not a JSON array of operations", kText);
  }
  if (ops.size() > kMaxTxnOps) {
    return Reply(res, 413, absl::StrCat("Transaction contains too many operations"), kText);
  }
  auto lock = Locked();
  bool writes = false;
  Json errors = Json::array();
  for (size_t i = 0; i < ops.size(); ++i) {
    const Json* kv = Field(ops[i], "KV");
    if (kv == nullptr) continue;
    const Json* value = Field(*kv, "Value");
    std::string decoded;
    if (value != nullptr && !value->is_null() &&
        (!value->is_string() || !absl::Base64Unescape(value->get<std::string>(), &decoded))) {
      return Reply(res, 400, "Failed to parse body: failed to decode value", kText);
    }
    if (decoded.size() > kMaxValueSize) return Reply(res, 413, "Value is too large", kText);
    const Json* verb = Field(*kv, "Verb");
    const Json* key = Field(*kv, "Key");
    std::string v = verb != nullptr && verb->is_string() ? verb->get<std::string>() : "";
    writes |= v == "set" || v == "cas" || v == "lock" || v == "unlock" || v == "delete" ||
              v == "delete-cas" || v == "delete-tree";
    // Lock delays are checked before the transaction is applied (kvsPreApply).
    if (v == "lock" && key != nullptr && key->is_string() && InLockDelay(key->get<std::string>())) {
      errors.push_back({{"OpIndex", i},
                        {"What", absl::StrCat("failed to lock key \"", key->get<std::string>(),
                                              "\" due to lock delay")}});
    }
  }
  Json results = Json::array();
  if (errors.empty()) {
    const uint64_t idx = writes ? ++index_ : index_;
    KvState before = state_;
    for (size_t i = 0; i < ops.size(); ++i) {
      std::string err = TxnOp(ops[i], idx, &results);
      if (!err.empty()) errors.push_back({{"OpIndex", i}, {"What", err}});
    }
    if (!errors.empty()) state_ = std::move(before);  // all or nothing
    if (writes && errors.empty()) changed_.notify_all();
  }
  if (!errors.empty()) {
    return Reply(res, 409, Json{{"Results", nullptr}, {"Errors", errors}}.dump());
  }
  ReplyJson(res, Json{{"Results", results}, {"Errors", nullptr}});
}

void ConsulDouble::Impl::SessionCreate(const httplib::Request& req, httplib::Response& res) {
  Json body = req.body.empty() ? Json::object() : Json::parse(req.body, nullptr, false);
  if (!body.is_object()) return Reply(res, 400, "Request decode failed: not a JSON object", kText);
  Session s;
  s.id = NewUuid();
  s.name = Str(body, "Name");
  s.node = Str(body, "Node").empty() ? options_.node_name : Str(body, "Node");
  s.behavior = Str(body, "Behavior").empty() ? "release" : Str(body, "Behavior");
  s.ttl_text = Str(body, "TTL");
  s.lock_delay = kDefaultLockDelay;
  s.checks = {"serfHealth"};
  const Json* delay = Field(body, "LockDelay");
  if (delay != nullptr && delay->is_string() && !ParseGoDuration(*delay, &s.lock_delay)) {
    return Reply(res, 400, "Request decode failed: bad LockDelay", kText);
  }
  if (delay != nullptr && delay->is_number()) {  // a small number means seconds (Consul's rule)
    double n = delay->get<double>();
    s.lock_delay = n < 1000 ? absl::Seconds(n) : absl::Nanoseconds(n);
  }
  for (const char* name : {"Checks", "NodeChecks"}) {
    const Json* f = Field(body, name);
    if (f == nullptr || !(f->is_array() || f->is_null())) continue;
    s.checks.clear();
    for (const Json& c : f->is_array() ? *f : Json::array())
      s.checks.push_back(c.is_string() ? c.get<std::string>() : c.dump());
  }
  if (s.node != options_.node_name) return Reply(res, 500, "Missing node registration", kText);
  if (s.behavior != "release" && s.behavior != "delete") {
    return Reply(res, 500, "Invalid Behavior setting '" + s.behavior + "'", kText);
  }
  if (!s.ttl_text.empty() && !ParseGoDuration(s.ttl_text, &s.ttl)) {
    return Reply(res, 500, "Session TTL '" + s.ttl_text + "' invalid", kText);
  }
  if (s.ttl != absl::ZeroDuration() &&
      (s.ttl < options_.session_ttl_min || s.ttl > kSessionTtlMax)) {
    return Reply(res, 500,
                 absl::StrCat("Invalid Session TTL '", absl::ToInt64Nanoseconds(s.ttl),
                              "', must be between [", FormatGoDuration(options_.session_ttl_min),
                              "=", FormatGoDuration(kSessionTtlMax), "]"),
                 kText);
  }
  for (const std::string& check : s.checks) {
    if (check != "serfHealth")
      return Reply(res, 500, "Missing check '" + check + "' registration", kText);
  }
  auto lock = Locked();
  s.create_index = sessions_index_ = ++index_;
  Arm(s);
  std::string id = s.id;
  sessions_[id] = std::move(s);
  ReplyJson(res, Json{{"ID", id}});
}

void ConsulDouble::Impl::AgentServiceRegister(const httplib::Request& req, httplib::Response& res) {
  Json body = Json::parse(req.body, nullptr, false);
  if (Str(body, "Name").empty()) return Reply(res, 400, "Missing service name", kText);
  auto lock = Locked();
  services_[Str(body, "ID").empty() ? Str(body, "Name") : Str(body, "ID")] = body;
  Reply(res, 200, "", kText);
}

void ConsulDouble::Impl::Routes(httplib::Server& server) {
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  server.set_pre_routing_handler([this](Req req, Res res) { return PreRoute(req, res); });
  server.Get(R"(/v1/kv/(.*))", [this](Req req, Res res) { KvGet(req, res); });
  server.Put(R"(/v1/kv/(.*))", [this](Req req, Res res) { KvPut(req, res); });
  server.Delete(R"(/v1/kv/(.*))", [this](Req req, Res res) { KvDelete(req, res); });
  server.Put("/v1/txn", [this](Req req, Res res) { Txn(req, res); });
  server.Put("/v1/session/create", [this](Req req, Res res) { SessionCreate(req, res); });
  server.Put(R"(/v1/session/renew/(.+))", [this](Req req, Res res) {
    auto lock = Locked();
    auto it = sessions_.find(req.matches[1]);
    if (it == sessions_.end()) {
      return Reply(res, 404,
                   absl::StrCat("Session id '", std::string(req.matches[1]), "' not found"), kText);
    }
    Session& s = it->second;
    Arm(s);
    ReplyJson(res, Json::array({SessionJson(s)}));
  });
  server.Put(R"(/v1/session/destroy/(.+))", [this](Req req, Res res) {
    auto lock = Locked();
    if (sessions_.count(req.matches[1])) {
      Invalidate(req.matches[1], ++index_, absl::Now());
      changed_.notify_all();
    }
    Reply(res, 200, "true");
  });
  server.Get(R"(/v1/session/info/(.+))", [this](Req req, Res res) {
    auto lock = Locked();
    Json out = Json::array();
    if (auto it = sessions_.find(req.matches[1]); it != sessions_.end())
      out.push_back(SessionJson(it->second));
    res.set_header("X-Consul-Index", absl::StrCat(std::max<uint64_t>(1, sessions_index_)));
    ReplyJson(res, out);
  });
  server.Put("/v1/agent/service/register",
             [this](Req req, Res res) { AgentServiceRegister(req, res); });
  server.Put(R"(/v1/agent/service/deregister/(.+))", [this](Req req, Res res) {
    auto lock = Locked();
    if (services_.erase(req.matches[1]) == 0) {
      return Reply(res, 404,
                   absl::StrCat("Unknown service ID \"", std::string(req.matches[1]),
                                "\". Ensure that the service ID is passed, not the service name."),
                   kText);
    }
    Reply(res, 200, "", kText);
  });
  server.Get("/v1/status/leader", [](Req, Res res) { Reply(res, 200, "\"127.0.0.1:8300\""); });
}

ConsulDouble::ConsulDouble(ConsulDoubleOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
ConsulDouble::~ConsulDouble() = default;
void ConsulDouble::Start() { impl_->Start(); }
void ConsulDouble::Stop() { impl_->Stop(); }
int ConsulDouble::port() const { return impl_->port(); }
size_t ConsulDouble::SessionCount() const { return impl_->SessionCount(); }
size_t ConsulDouble::BlockedQueries() const { return impl_->BlockedQueries(); }
std::string ConsulDouble::ServiceRegistration(const std::string& id) const {
  return impl_->ServiceRegistration(id);
}

}  // namespace pgha::testing
