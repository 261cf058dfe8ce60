// pgha::client over each backend: the view follows what a cluster writes (switchover, failover,
// members joining and leaving, pause) and the client reads the DCS only when the backend's watch
// announced a change. The keys are written here as the daemons write them (their own sessions,
// the same facade), so each case runs in seconds on every store; tests/embed runs the client
// against real daemons.
#include "pgha/client/client.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "harness.h"
#include "pgha/client/conninfo.h"
#include "wait.h"

namespace pgha::conformance {
namespace {

using client::Client;
using client::ClusterViewPtr;
using testing::WaitFor;

// Forwards to a real backend and counts what the client asks of it.
class CountingBackend final : public dcs::DcsBackend {
 public:
  struct Counts {
    std::atomic<int> loads{0};
    std::atomic<int> waits_changed{0};    // WaitForChange said "changed (or may have)"
    std::atomic<int> waits_unchanged{0};  // it waited and nothing changed
    std::atomic<int> waits_failed{0};
    std::atomic<int> writes{0};
  };
  CountingBackend(std::unique_ptr<dcs::DcsBackend> inner, Counts* counts)
      : inner_(std::move(inner)), counts_(counts) {}

  void SetTimeouts(absl::Duration ttl, absl::Duration retry) override {
    inner_->SetTimeouts(ttl, retry);
  }
  absl::StatusOr<dcs::RawSnapshot> Load(const std::string& prefix, dcs::ReadMode mode) override {
    ++counts_->loads;
    return inner_->Load(prefix, mode);
  }
  absl::StatusOr<bool> WaitForChange(const std::string& prefix, int64_t since,
                                     absl::Duration timeout) override {
    auto changed = inner_->WaitForChange(prefix, since, timeout);
    if (!changed.ok())
      ++counts_->waits_failed;
    else if (*changed)
      ++counts_->waits_changed;
    else
      ++counts_->waits_unchanged;
    return changed;
  }
  // The client must never write or hold a session: every other call is counted as a write.
  absl::StatusOr<dcs::Version> Create(const std::string& k, const std::string& v,
                                      dcs::Binding b) override {
    ++counts_->writes;
    return inner_->Create(k, v, b);
  }
  absl::StatusOr<dcs::Version> CompareAndSet(const std::string& k, const std::string& v,
                                             dcs::Version e, dcs::Binding b) override {
    ++counts_->writes;
    return inner_->CompareAndSet(k, v, e, b);
  }
  absl::StatusOr<dcs::Version> Put(const std::string& k, const std::string& v,
                                   dcs::Binding b) override {
    ++counts_->writes;
    return inner_->Put(k, v, b);
  }
  absl::Status CompareAndDelete(const std::string& k, dcs::Version e) override {
    ++counts_->writes;
    return inner_->CompareAndDelete(k, e);
  }
  absl::Status DeletePrefix(const std::string& p) override {
    ++counts_->writes;
    return inner_->DeletePrefix(p);
  }
  absl::Status KeepAlive() override {
    ++counts_->writes;
    return inner_->KeepAlive();
  }
  std::string SessionId() const override { return inner_->SessionId(); }
  absl::StatusOr<dcs::Version> RefreshLock(const std::string& k, const std::string& h,
                                           dcs::Version e) override {
    ++counts_->writes;
    return inner_->RefreshLock(k, h, e);
  }
  absl::Status ReleaseLock(const std::string& k, const std::string& h, dcs::Version e) override {
    ++counts_->writes;
    return inner_->ReleaseLock(k, h, e);
  }
  absl::Status CloseSession() override {
    ++counts_->writes;
    return inner_->CloseSession();
  }

 private:
  std::unique_ptr<dcs::DcsBackend> inner_;
  Counts* counts_;
};

// One node of the pretend cluster: its own session, kept alive as a daemon keeps it, writing its
// member key as a daemon does.
class Node {
 public:
  Node(DcsServer& server, const std::string& scope, std::string name, int port,
       absl::Duration ttl = absl::Seconds(10))
      : name_(std::move(name)), port_(port), dcs_(NewDcs(server, scope, ttl)) {
    keeper_ = std::thread([this] {
      while (!WaitFor([this] { return stop_.load(); }, absl::Seconds(1))) (void)dcs_->KeepAlive();
    });
  }
  ~Node() { StopKeeper(); }
  dcs::Dcs& dcs() { return *dcs_; }

  dcs::Member Key(const std::string& role) const {
    dcs::Member m;
    m.name = name_;
    m.conn_url = absl::StrCat("postgres://127.0.0.1:", port_, "/postgres");
    m.api_url = absl::StrCat("http://127.0.0.1:", port_ + 1000, "/patroni");
    m.state = "running";
    m.role = role;
    m.xlog_location = 1000;
    m.timeline = 1;
    return m;
  }
  void Publish(const std::string& role) { REQUIRE(dcs_->WriteMember(Key(role)).ok()); }
  void Lead() {
    REQUIRE(dcs_->AcquireLeaderLock(name_).ok());
    Publish("primary");
  }
  // Ends the session as a crashed node's ends (at once here, instead of after ttl).
  void Vanish() {
    StopKeeper();
    REQUIRE(dcs_->CloseSession().ok());
  }

 private:
  void StopKeeper() {
    stop_ = true;
    if (keeper_.joinable()) keeper_.join();
  }

  std::string name_;
  int port_;
  std::unique_ptr<dcs::Dcs> dcs_;
  std::atomic<bool> stop_{false};
  std::thread keeper_;
};

std::string PrimaryName(const ClusterViewPtr& v) { return v->primary ? v->primary->name : ""; }

std::vector<std::string> ReplicaNames(const ClusterViewPtr& v) {
  std::vector<std::string> out;
  for (const auto& r : v->replicas) out.push_back(r.name);
  return out;
}

constexpr absl::Duration kDeadline = absl::Seconds(30);

TEST_CASE(
    "the client's view follows switchover, failover, members and pause, driven by the watch") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  const absl::Duration ttl = absl::Seconds(10);
  Node a(*server, scope, "a", 15432);
  Node b(*server, scope, "b", 15433);
  REQUIRE(a.dcs().CreateInitialize("7001").ok());
  REQUIRE(a.dcs().WriteConfig(Json{{"ttl", 10}, {"loop_wait", 1}}, dcs::kNoVersion).ok());
  a.Lead();
  b.Publish("replica");
  dcs::ClusterStatus status;
  status.optime = 1500;  // the leader's position: replicas at 1000 are 500 bytes behind
  REQUIRE(a.dcs().WriteStatus(status, dcs::kNoVersion).ok());

  CountingBackend::Counts counts;
  client::ClientOptions options;
  options.idle_reread = absl::Hours(1);  // every read in this case must come from the watch
  auto made = Client::FromBackend(
      std::make_unique<CountingBackend>(server->NewBackend(ttl, absl::Seconds(3)), &counts),
      "/service", scope, options);
  REQUIRE(made.ok());
  std::unique_ptr<Client> c = std::move(*made);

  std::mutex seen_mu;
  std::vector<ClusterViewPtr> seen;
  c->OnChange([&](const ClusterViewPtr& v) {
    std::lock_guard<std::mutex> lock(seen_mu);
    seen.push_back(v);
  });
  auto current_is = [&](const std::function<bool(const ClusterViewPtr&)>& pred) {
    return WaitFor([&] { return pred(c->Current()); }, kDeadline);
  };

  // The first read: a leads, b replicates; the view is what the keys say.
  auto first = c->WaitForPrimary(kDeadline);
  REQUIRE(first.ok());
  CHECK(PrimaryName(*first) == "a");
  CHECK(ReplicaNames(*first) == std::vector<std::string>{"b"});
  CHECK((*first)->dcs_reachable);
  CHECK((*first)->initialized);
  CHECK_FALSE((*first)->paused);
  CHECK((*first)->replicas[0].port == 15433);
  CHECK((*first)->replicas[0].lag_bytes == 500);
  auto conninfo = client::PrimaryConnInfo(**first, {.dbname = "app"});
  REQUIRE(conninfo.ok());
  CHECK(*conninfo ==
        "host='127.0.0.1' port='15432' dbname='app' connect_timeout='3' "
        "target_session_attrs='read-write'");

  SECTION("switchover: the lock moves from a to b, then b publishes itself as primary") {
    auto as_read = a.dcs().Load(dcs::ReadMode::kLinearizable);
    REQUIRE(as_read.ok());
    REQUIRE(a.dcs().ReleaseLeaderLock("a", *(*as_read)->leader).ok());
    a.Publish("replica");
    CHECK(current_is([](const ClusterViewPtr& v) { return !v->primary && v->leader.empty(); }));
    REQUIRE(b.dcs().AcquireLeaderLock("b").ok());
    // Holding the lock is not enough: b is not the primary until it says it runs as one.
    CHECK(current_is([](const ClusterViewPtr& v) { return v->leader == "b"; }));
    CHECK_FALSE(c->Current()->primary.has_value());
    CHECK_FALSE(client::PrimaryConnInfo(*c->Current(), {}).ok());
    b.Publish("primary");
    auto after = c->WaitForPrimary(kDeadline);
    REQUIRE(after.ok());
    CHECK(PrimaryName(*after) == "b");
    CHECK(ReplicaNames(*after) == std::vector<std::string>{"a"});
  }
  SECTION("failover: a's session ends, its keys vanish, b takes over") {
    a.Vanish();
    CHECK(current_is([](const ClusterViewPtr& v) {
      return !v->primary && v->leader.empty() && v->Find("a") == nullptr;
    }));
    b.Lead();
    auto after = c->WaitForPrimary(kDeadline);
    REQUIRE(after.ok());
    CHECK(PrimaryName(*after) == "b");
    CHECK((*after)->replicas.empty());
  }
  SECTION("members join and leave; a noloadbalance member serves no reads") {
    Node n(*server, scope, "n", 15434);
    dcs::Member key = n.Key("replica");
    key.tags = Json{{"noloadbalance", true}, {"zone", "east"}};
    REQUIRE(n.dcs().WriteMember(key).ok());
    CHECK(current_is([](const ClusterViewPtr& v) {
      return ReplicaNames(v) == std::vector<std::string>{"b", "n"};
    }));
    const client::MemberView* joined = c->Current()->Find("n");
    REQUIRE(joined != nullptr);
    CHECK(joined->noloadbalance);
    CHECK(joined->tags.at("zone") == "east");
    CHECK(joined->tags.at("noloadbalance") == "true");
    auto reads = client::ReadReplicas(*c->Current(), {});
    REQUIRE(reads.size() == 1);
    CHECK(reads[0]->name == "b");
    CHECK_FALSE(client::ReplicaConnInfo(*c->Current(), {.tags = {{"zone", "east"}}}, {}).ok());
    n.Vanish();
    CHECK(current_is(
        [](const ClusterViewPtr& v) { return ReplicaNames(v) == std::vector<std::string>{"b"}; }));
  }
  SECTION("pause and resume") {
    auto state = a.dcs().Load(dcs::ReadMode::kLinearizable);
    REQUIRE(state.ok());
    REQUIRE(a.dcs()
                .WriteConfig(Json{{"ttl", 10}, {"loop_wait", 1}, {"pause", true}},
                             (*state)->config->version)
                .ok());
    CHECK(current_is([](const ClusterViewPtr& v) { return v->paused; }));
    state = a.dcs().Load(dcs::ReadMode::kLinearizable);
    REQUIRE(state.ok());
    REQUIRE(
        a.dcs().WriteConfig(Json{{"ttl", 10}, {"loop_wait", 1}}, (*state)->config->version).ok());
    CHECK(current_is([](const ClusterViewPtr& v) { return !v->paused; }));
  }

  // Callbacks saw views in order, each different from the one before, ending at the current one.
  REQUIRE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(seen_mu);
        return !seen.empty() && seen.back()->sequence == c->Current()->sequence;
      },
      kDeadline));
  {
    std::lock_guard<std::mutex> lock(seen_mu);
    for (size_t i = 1; i < seen.size(); ++i) {
      CHECK(seen[i - 1]->sequence < seen[i]->sequence);
      CHECK_FALSE(seen[i - 1]->SameAs(*seen[i]));
    }
  }
  // No polling: while the client waits on the watch through eight quiet slices, it reads
  // nothing (a poller reads between waits) ...
  const int loads_before_idle = counts.loads.load();
  const uint64_t sequence_before_idle = c->Current()->sequence;
  const int quiet_before = counts.waits_unchanged.load();
  REQUIRE(WaitFor([&] { return counts.waits_unchanged.load() >= quiet_before + 8; }, kDeadline));
  CHECK(c->Current()->sequence == sequence_before_idle);
  CHECK(counts.loads.load() == loads_before_idle);
  // ... apart from the first read, every read followed a change the watch announced, and the
  // client never wrote.
  CHECK(counts.loads.load() >= 2);
  CHECK(counts.loads.load() <= 1 + counts.waits_changed.load() + counts.waits_failed.load());
  CHECK(counts.writes.load() == 0);
  WARN(server->Name() << ": " << counts.loads.load() << " reads, " << counts.waits_changed.load()
                      << " announced changes");
}

TEST_CASE("while the DCS is down the client keeps the last view, marked unreachable") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  Node a(*server, scope, "a", 15432, absl::Seconds(60));
  REQUIRE(a.dcs().CreateInitialize("7001").ok());
  a.Lead();

  client::ClientOptions options;
  options.retry_timeout = absl::Seconds(2);
  options.idle_reread = absl::Seconds(2);  // how a silent store is noticed
  auto made = Client::FromBackend(server->NewBackend(absl::Seconds(10), absl::Seconds(2)),
                                  "/service", scope, options);
  REQUIRE(made.ok());
  std::unique_ptr<Client> c = std::move(*made);
  REQUIRE(c->WaitForPrimary(kDeadline).ok());

  server->Stop();
  REQUIRE(WaitFor([&] { return !c->Current()->dcs_reachable; }, kDeadline));
  ClusterViewPtr stale = c->Current();
  CHECK(PrimaryName(stale) == "a");  // the last view read, not an empty one
  // WaitForPrimary answers with what is known, marked unreachable.
  auto known = c->WaitForPrimary(absl::Seconds(1));
  REQUIRE(known.ok());
  CHECK_FALSE((*known)->dcs_reachable);

  server->Start();
  REQUIRE(WaitFor([&] { return c->Current()->dcs_reachable; }, kDeadline));
  CHECK(c->Current()->sequence > stale->sequence);
}

TEST_CASE("a client made for a cluster nobody bootstrapped waits for a primary and says why") {
  auto server = StartDcsServer();
  auto made = Client::FromBackend(server->NewBackend(absl::Seconds(10), absl::Seconds(3)),
                                  "/service", UniqueScope());
  REQUIRE(made.ok());
  auto waited = (*made)->WaitForPrimary(absl::Milliseconds(300));
  REQUIRE_FALSE(waited.ok());
  CHECK(waited.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(std::string(waited.status().message()).find("nobody holds the leader lock") !=
        std::string::npos);
  CHECK((*made)->Current()->dcs_reachable);
  CHECK_FALSE((*made)->Current()->initialized);
}

}  // namespace
}  // namespace pgha::conformance
