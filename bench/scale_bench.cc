// How many clusters can one etcd carry? N clusters of 3 nodes share one real etcd 3.4; each
// node runs the real HA loop (HaLoop::Run, its watcher, the real etcd backend) on its own
// threads, over the simulated PostgreSQL of tests/support/fake_postgres.h (one FakePgWorld per
// cluster, ticked once a second). For N = 10, 100, 1000 (or --clusters) it prints:
//   - the loop period each node kept at idle (median and worst node, against loop_wait);
//   - the failover time of one cluster whose primary is killed while the others run;
//   - etcd's CPU, memory and requests per second (its /metrics), pgha's CPU per cluster.
//
//   build/bin/pgha_scale_bench [--clusters 10,100,1000] [--window 60] [--ttl 30 --loop-wait 10]
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "etcd_server.h"
#include "fake_postgres.h"
#include "figures.h"
#include "pgha/api/http_client.h"
#include "pgha/api/status_views.h"
#include "pgha/backends/etcd3.h"
#include "pgha/base/log.h"
#include "pgha/dcs/dcs.h"
#include "pgha/ha/ha_loop.h"
#include "pgha/ha/node_status.h"
#include "pgha/ha/watchdog.h"
#include "pgha/ha/worker.h"
#include "wait.h"

namespace pgha::bench {
namespace {

using testing::WaitFor;

struct Timings {
  int ttl = 30;
  int loop_wait = 10;
  int retry_timeout = 10;
};

// FakePgWorld is single-threaded; a cluster's nodes run their loops on threads of their own, so
// every call into the world holds the cluster's mutex.
class LockedPostgres final : public pg::PostgresController {
 public:
  LockedPostgres(std::mutex* mu, pg::PostgresController* inner) : mu_(mu), inner_(inner) {}

  template <class F>
  auto Locked(F f) {
    std::lock_guard<std::mutex> lock(*mu_);
    return f();
  }

  absl::Status ApplyConfig(const config::EffectiveConfig& e) override { return Locked([&] { return inner_->ApplyConfig(e); }); }
  pg::Observation Observe() override { return Locked([&] { return inner_->Observe(); }); }
  pg::Observation ObservePositions() override { return Locked([&] { return inner_->ObservePositions(); }); }
  absl::Status Bootstrap() override { return Locked([&] { return inner_->Bootstrap(); }); }
  absl::Status CreateReplica(const pg::CloneSource& s) override { return Locked([&] { return inner_->CreateReplica(s); }); }
  absl::Status Start(const std::optional<pg::Upstream>& u, bool as_standby, absl::Duration t) override {
    return Locked([&] { return inner_->Start(u, as_standby, t); });
  }
  absl::Status Stop(pg::StopMode m, absl::Duration t) override { return Locked([&] { return inner_->Stop(m, t); }); }
  absl::Status Restart(const std::optional<pg::Upstream>& u, bool as_standby, absl::Duration t) override {
    return Locked([&] { return inner_->Restart(u, as_standby, t); });
  }
  absl::Status Reload() override { return Locked([&] { return inner_->Reload(); }); }
  absl::Status Promote(absl::Duration t) override { return Locked([&] { return inner_->Promote(t); }); }
  absl::Status Follow(const std::optional<pg::Upstream>& u, absl::Duration t) override {
    return Locked([&] { return inner_->Follow(u, t); });
  }
  absl::StatusOr<bool> NeedsRewind(const pg::Upstream& l) override { return Locked([&] { return inner_->NeedsRewind(l); }); }
  absl::Status Rewind(const pg::Upstream& l) override { return Locked([&] { return inner_->Rewind(l); }); }
  bool CanRewind() override { return Locked([&] { return inner_->CanRewind(); }); }
  absl::Status RemoveDataDirectory() override { return Locked([&] { return inner_->RemoveDataDirectory(); }); }
  absl::Status Checkpoint() override { return Locked([&] { return inner_->Checkpoint(); }); }
  absl::Status SyncReplicationSlots(const std::vector<pg::DesiredSlot>& w, const std::vector<std::string>& drop) override {
    return Locked([&] { return inner_->SyncReplicationSlots(w, drop); });
  }
  absl::Status CopyLogicalSlots(const pg::Upstream& l, const std::vector<pg::DesiredSlot>& s,
                                const std::optional<pg::Upstream>& u, absl::Duration t) override {
    return Locked([&] { return inner_->CopyLogicalSlots(l, s, u, t); });
  }
  absl::Status SetSynchronousStandbyNames(const std::string& v) override {
    return Locked([&] { return inner_->SetSynchronousStandbyNames(v); });
  }
  void RunCallback(pg::CallbackAction a, const std::string& role) override {
    Locked([&] { inner_->RunCallback(a, role); return 0; });
  }

 private:
  std::mutex* mu_;
  pg::PostgresController* inner_;
};

// One cluster: its world, and per node the HA loop with its real etcd backend.
class ScaleCluster {
 public:
  ScaleCluster(int index, const std::string& etcd, const Timings& t)
      : scope_(absl::StrCat("c", index)), etcd_(etcd), timings_(t),
        world_(RealClock::Get(), 1000 + index, testing::FakePgWorld::Options{0.0, 200, 16384}) {
    for (int i = 1; i <= 3; ++i) {
      auto n = std::make_unique<Node>();
      n->name = absl::StrCat(scope_, "n", i);
      n->fake = world_.AddNode(n->name);
      n->pg = std::make_unique<LockedPostgres>(&mu_, n->fake);
      nodes_.push_back(std::move(n));
    }
  }
  ~ScaleCluster() {
    for (auto& n : nodes_) StopNode(*n);
  }

  // Asks every node's loop to stop without waiting: a loop's DCS watcher takes up to 2 s to
  // notice, so thousands of nodes are stopped side by side, then joined by the destructor.
  void RequestStop() {
    for (auto& n : nodes_) {
      if (!n->loop) continue;
      n->up = false;
      n->loop->RequestStop();
      n->board.Wake();
    }
  }

  absl::Status Start() {
    for (auto& n : nodes_) {
      if (absl::Status s = StartNode(*n); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  void Tick() {
    std::lock_guard<std::mutex> lock(mu_);
    world_.Tick();
  }

  // The node that holds the lock and runs as primary, if exactly one does.
  std::optional<int> Primary() const {
    std::optional<int> found;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      auto s = Status(i);
      if (s && s->holds_lock && s->pg.accepting && !s->pg.in_recovery) {
        if (found) return std::nullopt;
        found = static_cast<int>(i);
      }
    }
    return found;
  }

  bool Healthy() const {
    auto primary = Primary();
    if (!primary) return false;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (static_cast<int>(i) == *primary) continue;
      auto s = Status(i);
      if (!s || s->pg.replication_state != "streaming") return false;
    }
    return true;
  }

  // kill -9 of node i: its loop stops where it is (the lease is not revoked: it expires) and
  // its PostgreSQL crashes.
  void Kill(int i) {
    StopNode(*nodes_[i]);
    std::lock_guard<std::mutex> lock(mu_);
    nodes_[i]->fake->Crash();
  }

  // When each node's loop last published (wall clock), for the loop-period sampler.
  std::vector<std::optional<absl::Time>> LastRuns() const {
    std::vector<std::optional<absl::Time>> out;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      auto s = Status(i);
      out.push_back(s ? std::optional<absl::Time>(s->loop_last_run) : std::nullopt);
    }
    return out;
  }

  int size() const { return static_cast<int>(nodes_.size()); }

 private:
  struct Node {
    std::string name;
    testing::FakePostgres* fake = nullptr;
    std::unique_ptr<LockedPostgres> pg;
    std::unique_ptr<dcs::Dcs> dcs;
    ha::InlineWorker worker;
    std::unique_ptr<ha::Watchdog> watchdog = ha::MakeNullWatchdog();
    ha::StatusBoard board;
    std::unique_ptr<ha::PeerProber> prober;
    std::unique_ptr<ha::HaLoop> loop;
    std::thread thread;
    std::atomic<bool> up{false};
  };

  // GET /patroni on the other nodes of the cluster: their published status with positions read
  // now, or nothing when the node is down.
  class Prober final : public ha::PeerProber {
   public:
    explicit Prober(ScaleCluster* cluster) : cluster_(cluster) {}
    std::vector<ha::PeerStatus> Probe(const std::vector<dcs::Member>& members, absl::Duration) override {
      std::vector<ha::PeerStatus> out;
      for (const auto& m : members) {
        ha::PeerStatus p;
        p.name = m.name;
        for (const auto& n : cluster_->nodes_) {
          if (n->name != m.name || !n->up) continue;
          auto current = n->board.Current();
          if (!current) break;
          ha::NodeStatus live = api::WithLivePositions(*current, n->pg->ObservePositions());
          p = api::ParsePeerStatus(m.name, api::PatroniStatus(live).dump());
        }
        out.push_back(p);
      }
      return out;
    }

   private:
    ScaleCluster* cluster_;
  };

  std::shared_ptr<const ha::NodeStatus> Status(size_t i) const {
    if (!nodes_[i]->up) return nullptr;
    return nodes_[i]->board.Current();
  }

  config::Config NodeConfig(const Node& n) const {
    config::Config c;
    c.name = n.name;
    c.scope = scope_;
    c.namespace_ = "/service";
    c.restapi.listen = c.restapi.connect_address = n.name + ":8008";
    c.postgresql.listen = "0.0.0.0:5432";
    c.postgresql.connect_address = n.name + ":5432";
    c.postgresql.data_dir = "/sim/" + n.name;
    c.bootstrap.present = true;
    c.bootstrap.dcs = Json{{"ttl", timings_.ttl},
                           {"loop_wait", timings_.loop_wait},
                           {"retry_timeout", timings_.retry_timeout},
                           {"maximum_lag_on_failover", 1048576},
                           {"postgresql", {{"use_pg_rewind", true}, {"use_slots", true}}}};
    c.watchdog.mode = config::WatchdogMode::kOff;
    return c;
  }

  absl::Status StartNode(Node& n) {
    backends::EtcdConfig etcd;
    etcd.hosts = {etcd_};
    etcd.use_proxies = true;  // one etcd: nothing to discover
    auto backend = backends::MakeEtcd3Backend(etcd, absl::Seconds(timings_.ttl),
                                              absl::Seconds(timings_.retry_timeout));
    if (!backend.ok()) return backend.status();
    n.dcs = std::make_unique<dcs::Dcs>(*std::move(backend), dcs::KeyLayout("/service", scope_));
    n.prober = std::make_unique<Prober>(this);
    ha::HaLoopOptions o;
    o.local = NodeConfig(n);
    o.dcs = n.dcs.get();
    o.pg = n.pg.get();
    o.prober = n.prober.get();
    o.worker = &n.worker;
    o.watchdog = n.watchdog.get();
    o.board = &n.board;
    n.loop = std::make_unique<ha::HaLoop>(std::move(o));
    n.up = true;
    n.thread = std::thread([loop = n.loop.get()] { loop->Run(); });
    return absl::OkStatus();
  }

  void StopNode(Node& n) {
    if (!n.loop) return;
    n.up = false;
    n.loop->RequestStop();
    n.board.Wake();
    n.thread.join();
    n.loop.reset();
    n.dcs.reset();  // the lease is left to expire, as after kill -9
  }

  const std::string scope_;
  const std::string etcd_;
  const Timings timings_;
  std::mutex mu_;  // guards world_
  testing::FakePgWorld world_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

struct Row {
  int clusters = 0;
  double bootstrap_s = 0;
  double period_median = 0, period_worst = 0, interval_worst = 0;
  double failover_s = -1;
  double etcd_cpu = 0, etcd_rss_mb = 0, etcd_rps = 0, per_node_loop = 0;
  double pgha_cpu_per_cluster = 0;
};

void Print(const Row& r, const Timings& t) {
  std::printf(
      "%6d clusters (%d nodes): bootstrap %.1f s | loop period median %.2f s, worst node %.2f s, "
      "worst interval %.2f s (loop_wait %d) | failover %.1f s (ttl %d) | etcd CPU %.1f %%, RSS "
      "%.0f MiB, %.0f requests/s (%.2f per node per loop) | pgha CPU %.3f %% of a core per cluster\n",
      r.clusters, 3 * r.clusters, r.bootstrap_s, r.period_median, r.period_worst, r.interval_worst,
      t.loop_wait, r.failover_s, t.ttl, r.etcd_cpu, r.etcd_rss_mb, r.etcd_rps, r.per_node_loop,
      r.pgha_cpu_per_cluster);
  std::fflush(stdout);
}

Row RunScale(int count, const Timings& t, absl::Duration window) {
  Row row;
  row.clusters = count;
  testing::EtcdServer etcd({"--quota-backend-bytes=4294967296"});
  etcd.Start();
  std::vector<std::unique_ptr<ScaleCluster>> clusters;
  for (int i = 0; i < count; ++i) clusters.push_back(std::make_unique<ScaleCluster>(i, etcd.endpoint(), t));
  std::atomic<bool> ticking{true};
  std::thread ticker([&] {
    while (ticking) {
      absl::Time next = absl::Now() + absl::Seconds(1);
      for (auto& c : clusters) c->Tick();
      absl::SleepFor(std::max(absl::ZeroDuration(), next - absl::Now()));
    }
  });
  absl::Time started = absl::Now();
  for (auto& c : clusters) {
    if (absl::Status s = c->Start(); !s.ok()) std::printf("start: %s\n", std::string(s.message()).c_str());
  }
  bool healthy = WaitFor(
      [&] {
        return std::all_of(clusters.begin(), clusters.end(), [](const auto& c) { return c->Healthy(); });
      },
      absl::Seconds(600), absl::Milliseconds(200));
  row.bootstrap_s = absl::ToDoubleSeconds(absl::Now() - started);
  if (!healthy) std::printf("%d clusters: not all healthy after %.0f s\n", count, row.bootstrap_s);

  // Idle: let every node settle, then sample each loop's last run every 100 ms.
  absl::Time settle = absl::Now() + absl::Seconds(2 * t.loop_wait);
  WaitFor([&] { return absl::Now() >= settle; }, absl::Seconds(2 * t.loop_wait + 5), absl::Seconds(1));
  auto etcd_before = ReadProc(etcd.pid());
  auto self_before = ReadProc(getpid());
  auto requests_before = ScrapeEtcdRequests(etcd.endpoint());
  std::vector<std::vector<absl::Time>> runs(3 * count);
  absl::Time from = absl::Now();
  WaitFor(
      [&] {
        size_t k = 0;
        for (auto& c : clusters) {
          for (const auto& last : c->LastRuns()) {
            if (last && (runs[k].empty() || runs[k].back() != *last)) runs[k].push_back(*last);
            ++k;
          }
        }
        return absl::Now() >= from + window;
      },
      window + absl::Seconds(30), absl::Milliseconds(100));
  double seconds = absl::ToDoubleSeconds(absl::Now() - from);
  auto etcd_after = ReadProc(etcd.pid());
  auto self_after = ReadProc(getpid());
  auto requests_after = ScrapeEtcdRequests(etcd.endpoint());
  std::vector<double> periods;
  for (const auto& r : runs) {
    if (r.size() < 2) continue;
    periods.push_back(absl::ToDoubleSeconds(r.back() - r.front()) / (r.size() - 1));
    for (size_t i = 1; i < r.size(); ++i) {
      row.interval_worst = std::max(row.interval_worst, absl::ToDoubleSeconds(r[i] - r[i - 1]));
    }
  }
  row.period_median = Median(periods);
  row.period_worst = periods.empty() ? 0 : *std::max_element(periods.begin(), periods.end());
  row.etcd_cpu = 100.0 * CpuSeconds(etcd_before, etcd_after) / seconds;
  row.etcd_rss_mb = etcd_after.rss_kb / 1024.0;
  row.pgha_cpu_per_cluster = 100.0 * CpuSeconds(self_before, self_after) / seconds / count;
  if (requests_before.ok() && requests_after.ok()) {
    double served = requests_after->Minus(*requests_before).Total();
    row.etcd_rps = served / seconds;
    row.per_node_loop = served / (3.0 * count * seconds / t.loop_wait);
  }

  // One cluster loses its primary while the others run.
  if (auto primary = clusters[0]->Primary()) {
    absl::Time killed = absl::Now();
    clusters[0]->Kill(*primary);
    bool over = WaitFor([&] { return clusters[0]->Primary().has_value(); },
                        absl::Seconds(3 * t.ttl + 60), absl::Milliseconds(50));
    if (over) row.failover_s = absl::ToDoubleSeconds(absl::Now() - killed);
  }
  ticking = false;
  ticker.join();
  for (auto& c : clusters) c->RequestStop();
  clusters.clear();
  return row;
}

}  // namespace
}  // namespace pgha::bench

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
  std::vector<int> counts = {10, 100, 1000};
  pgha::bench::Timings t;
  int window = 60;
  for (int i = 1; i + 1 < argc; ++i) {
    std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--clusters") {
      counts.clear();
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        int n = 0;
        if (absl::SimpleAtoi(part, &n) && n > 0) counts.push_back(n);
      }
    }
    if (flag == "--window") (void)absl::SimpleAtoi(value, &window);
    if (flag == "--ttl") (void)absl::SimpleAtoi(value, &t.ttl);
    if (flag == "--loop-wait") (void)absl::SimpleAtoi(value, &t.loop_wait);
  }
  pgha::log::SetLevel(pgha::log::Level::kError);
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  std::vector<pgha::bench::Row> rows;
  for (int n : counts) {
    rows.push_back(pgha::bench::RunScale(n, t, absl::Seconds(window)));
    pgha::bench::Print(rows.back(), t);
  }
  std::printf("\nlargest N whose worst node kept its loop period within 10 %% of loop_wait: ");
  int largest = 0;
  for (const auto& r : rows) {
    if (r.period_worst > 0 && r.period_worst <= 1.1 * t.loop_wait) largest = std::max(largest, r.clusters);
  }
  std::printf("%d\n", largest);
  return 0;
}
