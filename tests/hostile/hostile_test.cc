// A live three-node cluster (real etcd, real PostgreSQL) under hostile input, checked from
// outside: garbage, wrong-typed and deeply nested values written straight into every key under
// the cluster's prefix, then malformed REST requests (random methods, paths, headers, bodies)
// against every daemon. Every daemon must stay up, there must never be two primaries, health
// checks must keep answering, and afterwards the cluster must still fail over.
//
// `hostile_test --requests N` sends N requests per daemon (default: 100,000).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cluster_harness.h"
#include "etcd_server.h"
#include "hostile_inputs.h"
#include "pgha/api/http_client.h"
#include "pgha/backends/etcd3.h"
#include "pgha/dcs/key_layout.h"
#include "status_testing.h"
#include "wait.h"

namespace pgha::testing {

long g_requests_per_daemon = 100'000;

namespace {

class HostileEtcd;
HostileEtcd* g_etcd = nullptr;

class HostileEtcd final : public ScenarioDcs {
 public:
  HostileEtcd() {
    server_.Start();
    g_etcd = this;
  }
  ~HostileEtcd() override { g_etcd = nullptr; }
  std::string NodeYaml() const override {
    return absl::StrCat("etcd3:\n  hosts: ", server_.endpoint(), "\n");
  }
  void Stop() override { server_.Stop(); }
  void Start() override { server_.Start(); }
  std::string Name() const override { return "etcd"; }
  std::string endpoint() const { return server_.endpoint(); }

 private:
  EtcdServer server_;
};

constexpr char kScope[] = "hostile";
constexpr char kAuthHeader[] = "Authorization: Basic YWRtaW46aG9zdGlsZQ==\r\n";  // admin:hostile

// Watches the promise while the test attacks: every 100 ms, GET /primary and /health on every
// node. Two nodes answering 200 to /primary at once is a split brain; a /health that does not
// answer at all (code 0) means the REST API stopped serving health checks.
class Watcher {
 public:
  explicit Watcher(const ClusterHarness& cluster) : cluster_(cluster) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Watcher() { Stop(); }
  void Stop() {
    if (stop_.exchange(true)) return;
    thread_.join();
  }
  int max_primaries() const { return max_primaries_; }
  long health_checks() const { return health_checks_; }
  long health_unanswered() const { return health_unanswered_; }
  absl::Duration slowest_health_check() const { return slowest_; }

 private:
  void Run() {
    while (!stop_) {
      int primaries = 0;
      for (int i = 0; i < cluster_.size(); ++i) {
        std::string base = absl::StrCat("http://127.0.0.1:", cluster_.spec(i).api_port);
        auto primary = api::HttpRequest("GET", base + "/primary", "", absl::Seconds(5));
        if (primary.ok() && primary->status == 200) ++primaries;
        absl::Time start = absl::Now();
        auto health = api::HttpRequest("GET", base + "/health", "", absl::Seconds(5));
        slowest_ = std::max(slowest_, absl::Now() - start);
        ++health_checks_;
        if (!health.ok()) ++health_unanswered_;
      }
      max_primaries_ = std::max(max_primaries_.load(), primaries);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  const ClusterHarness& cluster_;
  std::atomic<bool> stop_{false};
  std::atomic<int> max_primaries_{0};
  std::atomic<long> health_checks_{0};
  std::atomic<long> health_unanswered_{0};
  absl::Duration slowest_ = absl::ZeroDuration();  // written by the watcher thread only
  std::thread thread_;
};

// One raw HTTP exchange: connect, send `request`, read the status line (the server closes the
// connection after it: every request says Connection: close). An `incomplete` request is
// followed by closing the sending side, so that the server sees its end at once. Returns the
// status code, 0 when there was no status line (the server closed the connection without one,
// which httplib does for requests it cannot read to the end), -1 when connecting failed.
int SendRaw(int port, const std::string& request, bool incomplete) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413, 400) and close before reading it all
    sent += static_cast<size_t>(n);
  }
  if (incomplete) shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[4096];
  while (answer.size() < 12) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (answer.size() < 12 || answer.compare(0, 5, "HTTP/") != 0) return 0;
  return std::atoi(answer.substr(9, 3).c_str());
}

struct FloodResult {
  long sent = 0;
  long refused = 0;  // connect failed: the daemon is not listening
  std::map<int, long> codes;
  std::vector<std::string> server_errors;  // requests answered 5xx where 4xx was due (first few)
  long complete_unanswered = 0;  // complete requests the server closed without any answer
  std::vector<std::string> unanswered;  // the first few of them
};

// Sends `count` malformed requests to `port` from `threads` threads.
FloodResult Flood(int port, long count, int threads, uint32_t seed) {
  FloodResult total;
  std::mutex mu;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      HostileRequests gen(seed + static_cast<uint32_t>(t), kAuthHeader);
      FloodResult mine;
      for (long i = t; i < count; i += threads) {
        HostileRequest r = gen.Next();
        int code = SendRaw(port, r.bytes, r.incomplete);
        ++mine.sent;
        if (code < 0) ++mine.refused;
        ++mine.codes[code];
        // An unsafe request is always invalid by construction: it deserves a 4xx. (GET health
        // checks answer 503 when the role does not match, which is their job.)
        if (r.unsafe && code >= 500 && mine.server_errors.size() < 5) {
          mine.server_errors.push_back(absl::StrCat(code, " for ", r.bytes.substr(0, 300)));
        }
        if (code == 0 && !r.incomplete) ++mine.complete_unanswered;
        if (code == 0 && !r.incomplete && mine.unanswered.size() < 10) {
          mine.unanswered.push_back(r.bytes.substr(0, 200));
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      total.sent += mine.sent;
      total.refused += mine.refused;
      total.complete_unanswered += mine.complete_unanswered;
      for (auto [c, n] : mine.codes) total.codes[c] += n;
      for (auto& e : mine.server_errors) total.server_errors.push_back(std::move(e));
      for (auto& e : mine.unanswered) total.unanswered.push_back(std::move(e));
    });
  }
  for (auto& w : workers) w.join();
  return total;
}

std::string Histogram(const std::map<int, long>& codes) {
  std::vector<std::string> parts;
  for (auto [c, n] : codes) parts.push_back(absl::StrCat(c, ":", n));
  return absl::StrJoin(parts, " ");
}

void RequireAllUp(ClusterHarness& cluster, const char* when) {
  for (int i = 0; i < cluster.size(); ++i) {
    INFO(when << ": node " << i << " log:\n" << cluster.LogTail(i));
    REQUIRE(cluster.DaemonRunning(i));
  }
}

}  // namespace

TEST_CASE("hostile input: garbage in every DCS key and malformed REST requests take no node down") {
  RequireScenarioPrerequisites();
  ClusterOptions options;
  options.scope = kScope;
  options.customize = [](int, NodeSpec& spec) {
    spec.restapi_extra = "  authentication:\n    username: admin\n    password: hostile\n";
  };
  ClusterHarness cluster(options);
  cluster.StartAll();
  auto first = cluster.WaitForHealthy(2, absl::Minutes(3));
  REQUIRE(first);
  REQUIRE(cluster.Sql(*first, "CREATE TABLE hostile_marks (id int PRIMARY KEY)").ok());
  REQUIRE(cluster.Sql(*first, "INSERT INTO hostile_marks VALUES (1)").ok());

  REQUIRE(g_etcd != nullptr);
  backends::EtcdConfig etcd;
  etcd.hosts = {g_etcd->endpoint()};
  auto made = backends::MakeEtcd3Backend(etcd, absl::Seconds(30), absl::Seconds(10));
  REQUIRE_OK(made);
  dcs::DcsBackend& store = **made;
  dcs::KeyLayout layout("/service/", kScope);

  Watcher watcher(cluster);

  // ---- DCS: every key, every kind of garbage -------------------------------------------------
  absl::Time dcs_start = absl::Now();
  auto before = store.Load(layout.prefix(), dcs::ReadMode::kLinearizable);
  REQUIRE_OK(before);
  std::map<std::string, std::string> original;
  for (const auto& e : before->entries) original[e.key] = e.value;
  std::vector<std::string> keys = HostileDcsKeys(layout);
  for (const auto& [k, v] : original) {
    if (k != layout.Leader() && std::find(keys.begin(), keys.end(), k) == keys.end()) {
      keys.push_back(k);
    }
  }
  const std::vector<std::string> garbage = HostileDcsValues();
  long injected = 0;
  int rounds = static_cast<int>(garbage.size());
  for (int round = 0; round < rounds; ++round) {
    // Each key gets a different value in each round, so that every value meets every key and
    // the daemons see many kinds of garbage at once.
    for (size_t k = 0; k < keys.size(); ++k) {
      const std::string& value = garbage[(round + k) % garbage.size()];
      REQUIRE_OK(store.Put(keys[k], value, dcs::Binding::kPersistent));
      ++injected;
    }
    // A read barrier: a new valid member each round, which every daemon lists in /cluster only
    // after it read a snapshot holding this round's garbage.
    std::string barrier = absl::StrCat("zz-barrier-", round);
    REQUIRE_OK(store.Put(layout.Member(barrier), HostileBarrierMember(round),
                         dcs::Binding::kPersistent));
    if (round > 0) {
      (void)store.DeletePrefix(layout.Member(absl::StrCat("zz-barrier-", round - 1)));
    }
    bool seen = WaitFor(
        [&] {
          for (int i = 0; i < cluster.size(); ++i) {
            auto [code, body] = cluster.Rest(i, "GET", "/cluster");
            if (code != 200 || body.find(barrier) == std::string::npos) return false;
          }
          return true;
        },
        absl::Minutes(1));
    RequireAllUp(cluster, "DCS garbage");
    if (!seen) {
      std::string why;
      for (int i = 0; i < cluster.size(); ++i) {
        auto [code, body] = cluster.Rest(i, "GET", "/cluster");
        absl::StrAppend(&why, "node ", i, ": /cluster ", code, ", barrier ",
                        body.find(barrier) == std::string::npos ? "not seen" : "seen", "\n",
                        cluster.LogTail(i), "\n---\n");
      }
      FAIL("round " << round << ": not every daemon read the garbage\n" << why);
    }
  }
  // Put back what was there. A daemon rewrites its own member key every cycle; the others are
  // restored, or deleted when they were not there.
  for (const auto& k : keys) {
    auto it = original.find(k);
    if (it == original.end()) {
      REQUIRE_OK(store.DeletePrefix(k));  // the exact key: nothing else starts with it here
    } else {
      REQUIRE_OK(store.Put(k, it->second, dcs::Binding::kPersistent));
    }
  }
  (void)store.DeletePrefix(layout.Member(absl::StrCat("zz-barrier-", rounds - 1)));
  REQUIRE(cluster.WaitForHealthy(2, absl::Minutes(3)));
  // The leader key last, on its own: garbage there takes the lock from the primary (it is no
  // longer the holder, and demotes), and, written without a lease, it would stay forever; once
  // it is deleted the nodes elect a leader again.
  for (const std::string& value : HostileLeaderValues()) {
    REQUIRE_OK(store.Put(layout.Leader(), value, dcs::Binding::kPersistent));
    ++injected;
    REQUIRE(WaitFor(
        [&] {
          for (int i = 0; i < cluster.size(); ++i) {
            if (cluster.Rest(i, "GET", "/primary").first == 200) return false;
          }
          return true;
        },
        absl::Minutes(1)));
    RequireAllUp(cluster, "garbage in the leader key");
  }
  REQUIRE_OK(store.DeletePrefix(layout.Leader()));
  auto after_dcs = cluster.WaitForHealthy(2, absl::Minutes(3));
  RequireAllUp(cluster, "after the DCS garbage");
  REQUIRE(after_dcs);

  absl::Duration dcs_took = absl::Now() - dcs_start;

  // ---- REST: malformed requests against every daemon -----------------------------------------
  absl::Time rest_start = absl::Now();
  std::vector<FloodResult> floods;
  for (int i = 0; i < cluster.size(); ++i) {
    floods.push_back(Flood(cluster.spec(i).api_port, g_requests_per_daemon, 4, 1000u * (i + 1)));
    RequireAllUp(cluster, "REST flood");
  }
  absl::Duration rest_took = absl::Now() - rest_start;
  auto after_rest = cluster.WaitForHealthy(2, absl::Minutes(3));
  REQUIRE(after_rest);
  watcher.Stop();

  std::printf("hostile: %ld DCS values injected into %zu keys in %d rounds (%s)\n", injected,
              keys.size(), rounds, absl::FormatDuration(dcs_took).c_str());
  std::printf("hostile: %ld malformed REST requests in %s\n", g_requests_per_daemon * cluster.size(),
              absl::FormatDuration(rest_took).c_str());
  for (int i = 0; i < cluster.size(); ++i) {
    std::printf("hostile: node %d: %ld malformed requests, answers %s (0: closed without one, %ld of "
                "them complete requests)\n",
                i, floods[i].sent, Histogram(floods[i].codes).c_str(), floods[i].complete_unanswered);
  }
  std::printf("hostile: %ld health checks during the attack, %ld unanswered, slowest %s\n",
              watcher.health_checks(), watcher.health_unanswered(),
              absl::FormatDuration(watcher.slowest_health_check()).c_str());
  if (getenv("PGHA_HOSTILE_DEBUG") != nullptr) {
    for (const auto& f : floods) {
      for (const auto& u : f.unanswered) std::printf("hostile: unanswered: %s\n---\n", absl::CHexEscape(u).c_str());
    }
  }
  for (const auto& f : floods) {
    INFO(absl::StrJoin(f.server_errors, "\n"));
    CHECK(f.refused == 0);
    CHECK(f.server_errors.empty());
    CHECK(f.sent == g_requests_per_daemon);
  }
  CHECK(watcher.max_primaries() <= 1);
  CHECK(watcher.health_unanswered() == 0);

  // ---- and the cluster still fails over ----------------------------------------------------
  int old_primary = *after_rest;
  REQUIRE(cluster.Sql(old_primary, "INSERT INTO hostile_marks VALUES (2)").ok());
  REQUIRE(WaitFor(
      [&] {
        for (int i = 0; i < cluster.size(); ++i) {
          auto rows = cluster.Sql(i, "SELECT count(*) FROM hostile_marks");
          if (!rows.ok() || rows->empty() || rows->front() != "2") return false;
        }
        return true;
      },
      absl::Minutes(1)));
  cluster.KillDaemon(old_primary);
  cluster.KillPostmaster(old_primary);
  std::optional<int> new_primary;
  bool failed_over = WaitFor(
      [&] {
        new_primary = cluster.Primary();
        return new_primary && *new_primary != old_primary;
      },
      absl::Minutes(2));
  if (!failed_over) {
    FAIL("no failover after killing node " << old_primary << ":\n"
         << cluster.LogTail((old_primary + 1) % 3) << "\n---\n"
         << cluster.LogTail((old_primary + 2) % 3));
  }
  auto rows = cluster.Sql(*new_primary, "SELECT count(*) FROM hostile_marks");
  REQUIRE_OK(rows);
  CHECK(rows->front() == "2");
}

}  // namespace pgha::testing

int main(int argc, char* argv[]) {
  Catch::Session session;
  using namespace Catch::clara;
  auto cli = session.cli() | Opt(pgha::testing::g_requests_per_daemon, "count")["--requests"](
                                 "malformed REST requests per daemon (default 100000)");
  session.cli(cli);
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  return session.run();
}

namespace pgha::testing {
std::unique_ptr<ScenarioDcs> StartScenarioDcs() { return std::make_unique<HostileEtcd>(); }
}  // namespace pgha::testing
