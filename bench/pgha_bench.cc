// pgha's benchmark: figures, not pass/fail. On a local three-node cluster (etcd, PostgreSQL 15,
// pgha) it measures the write-unavailability window of an unplanned failover (kill -9 of the
// primary's daemon and postmaster) and of a switchover, the daemons' memory and idle CPU, and
// the REST health check's throughput and latency.
//
//   build/bin/pgha_bench [--runs N] [--ttl T --loop-wait L --retry-timeout R] [--failover-only]
//                                        (as an unprivileged user; scripts/bench.sh does that)
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cluster_harness.h"
#include "figures.h"
#include "wait.h"

namespace pgha::bench {
namespace {

using testing::ClusterHarness;
using testing::ClusterOptions;
using testing::WaitFor;

// Commits one row after another into whichever node accepts writes and records when each
// commit returned.
class Writer {
 public:
  explicit Writer(ClusterHarness& c) : c_(c) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Writer() {
    stop_ = true;
    thread_.join();
  }
  std::vector<absl::Time> Commits() {
    std::lock_guard<std::mutex> lock(mu_);
    return commits_;
  }

 private:
  void Run() {
    int id = 0;
    int target = 0;
    while (!stop_) {
      auto r = c_.Sql(
          target,
          absl::StrCat("SET statement_timeout = '2s'; INSERT INTO bench VALUES (", ++id, ")"));
      if (r.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        commits_.push_back(absl::Now());
      } else {
        target = (target + 1) % c_.size();  // find the new primary
      }
    }
  }
  ClusterHarness& c_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<absl::Time> commits_;
  std::thread thread_;
};

// The longest gap between consecutive commits from just before `event` on: the time during
// which no commit succeeded (the event itself may take effect a moment after it was issued).
absl::Duration Gap(const std::vector<absl::Time>& commits, absl::Time event) {
  absl::Duration longest = absl::ZeroDuration();
  std::optional<absl::Time> previous;
  for (absl::Time t : commits) {
    if (t < event - absl::Milliseconds(500)) {
      previous = t;
      continue;
    }
    if (previous) longest = std::max(longest, t - *previous);
    previous = t;
  }
  return longest;
}

std::optional<int> NewPrimary(ClusterHarness& c, int old) {
  std::optional<int> found;
  WaitFor(
      [&] {
        found = c.Primary();
        return found && *found != old;
      },
      absl::Seconds(120), absl::Milliseconds(50));
  return found;
}

void PrepareTable(ClusterHarness& c, int primary) {
  (void)c.Sql(primary, "CREATE TABLE IF NOT EXISTS bench (id int)");
}

void FailoverAndSwitchover(int runs, const ClusterOptions& timings) {
  std::vector<double> failover, switchover;
  for (int run = 0; run < runs; ++run) {
    ClusterHarness c(timings);
    c.StartAll();
    auto primary = c.WaitForHealthy(2, absl::Seconds(180));
    if (!primary) {
      std::printf("run %d: the cluster did not become healthy\n", run);
      continue;
    }
    PrepareTable(c, *primary);
    {
      Writer writer(c);
      WaitFor([&] { return writer.Commits().size() > 50; }, absl::Seconds(30));
      int candidate = (*primary + 1) % c.size();
      absl::Time asked = absl::Now();
      c.Rest(*primary, "POST", "/switchover",
             absl::StrCat("{\"leader\": \"", c.name(*primary), "\", \"candidate\": \"",
                          c.name(candidate), "\"}"));
      auto now_primary = NewPrimary(c, *primary);
      WaitFor(
          [&] {
            return !writer.Commits().empty() && writer.Commits().back() > asked + absl::Seconds(3);
          },
          absl::Seconds(60));
      double gap = absl::ToDoubleSeconds(Gap(writer.Commits(), asked));
      switchover.push_back(gap);
      std::printf("run %d: switchover %s -> %s: writes unavailable for %.3f s\n", run,
                  c.name(*primary).c_str(), now_primary ? c.name(*now_primary).c_str() : "?", gap);
      if (!now_primary) continue;
      primary = now_primary;
      c.WaitForHealthy(2, absl::Seconds(120));
      absl::Time killed = absl::Now();
      c.KillDaemon(*primary);
      c.KillPostmaster(*primary);
      auto after = NewPrimary(c, *primary);
      WaitFor(
          [&] {
            auto commits = writer.Commits();
            return after && !commits.empty() && commits.back() > killed + absl::Seconds(3) &&
                   Gap(commits, killed) < commits.back() - killed;
          },
          absl::Seconds(120));
      double fgap = absl::ToDoubleSeconds(Gap(writer.Commits(), killed));
      failover.push_back(fgap);
      std::printf("run %d: kill -9 of %s: %s took over, writes unavailable for %.3f s (ttl %d s)\n",
                  run, c.name(*primary).c_str(), after ? c.name(*after).c_str() : "?", fgap, timings.ttl);
    }
  }
  std::printf(
      "\nunplanned failover (kill -9 of daemon and postmaster, ttl %d, loop_wait %d, retry_timeout %d): "
      "median %.3f s, worst %.3f s over %zu runs\n",
      timings.ttl, timings.loop_wait, timings.retry_timeout, Median(failover),
      failover.empty() ? 0.0 : *std::max_element(failover.begin(), failover.end()), failover.size());
  std::printf("switchover (REST, named candidate): median %.3f s over %zu runs\n\n",
              Median(switchover), switchover.size());
}

// Clients hammering OPTIONS /primary for 5 s: requests per second and p99 latency.
void MeasureRest(int port, bool keep_alive) {
  const int kClients = 8;
  std::atomic<int64_t> done{0};
  std::mutex mu;
  std::vector<double> latencies;
  absl::Time end = absl::Now() + absl::Seconds(5);
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(keep_alive);
      std::vector<double> mine;
      while (absl::Now() < end) {
        absl::Time s = absl::Now();
        auto r = client.Options("/primary");
        if (r) {
          mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - s));
          ++done;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : clients) t.join();
  std::sort(latencies.begin(), latencies.end());
  double p99 = latencies.empty() ? 0 : latencies[latencies.size() * 99 / 100];
  std::printf("REST OPTIONS /primary: %.0f requests/s with %d %s clients, p99 %.2f ms\n",
              done / 5.0, kClients, keep_alive ? "keep-alive" : "connection-per-request", p99);
}

void FootprintAndIdleCpu() {
  ClusterOptions o;  // Patroni's default timings, as in its published 0.05 % idle CPU
  o.ttl = 30;
  o.loop_wait = 10;
  o.retry_timeout = 10;
  ClusterHarness c(o);
  c.StartAll();
  if (!c.WaitForHealthy(2, absl::Seconds(180))) {
    std::printf("footprint: the cluster did not become healthy\n");
    return;
  }
  absl::Time idle_from = absl::Now() + absl::Seconds(20);
  WaitFor([&] { return absl::Now() >= idle_from; }, absl::Seconds(30), absl::Seconds(1));
  std::vector<ProcStat> before;
  for (int i = 0; i < c.size(); ++i) before.push_back(ReadProc(c.DaemonPid(i)));
  const absl::Duration window = absl::Seconds(60);
  absl::Time until = absl::Now() + window;
  WaitFor([&] { return absl::Now() >= until; }, window + absl::Seconds(5), absl::Seconds(1));
  for (int i = 0; i < c.size(); ++i) {
    ProcStat after = ReadProc(c.DaemonPid(i));
    double cpu = 100.0 * CpuSeconds(before[i], after) / absl::ToDoubleSeconds(window);
    std::printf(
        "%s: RSS %.1f MiB (own, not shared libraries: %.1f MiB), idle CPU %.3f %% over %.0f s "
        "(loop_wait 10)\n",
        c.name(i).c_str(), after.rss_kb / 1024.0, after.anon_kb / 1024.0, cpu,
        absl::ToDoubleSeconds(window));
  }
  // REST health checks on one node: keep-alive clients (monitoring agents), and a new connection
  // per request (HAProxy's checks).
  MeasureRest(c.spec(0).api_port, true);
  MeasureRest(c.spec(0).api_port, false);
}

}  // namespace
}  // namespace pgha::bench

int main(int argc, char** argv) {
  int runs = 3;
  bool failover_only = false;
  pgha::testing::ClusterOptions timings;  // ttl 10, loop_wait 1, retry_timeout 3 unless given
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : "";
    if (flag == "--runs") (void)absl::SimpleAtoi(value, &runs);
    if (flag == "--ttl") (void)absl::SimpleAtoi(value, &timings.ttl);
    if (flag == "--loop-wait") (void)absl::SimpleAtoi(value, &timings.loop_wait);
    if (flag == "--retry-timeout") (void)absl::SimpleAtoi(value, &timings.retry_timeout);
    if (flag == "--failover-only") failover_only = true;
  }
  pgha::testing::RequireScenarioPrerequisites();
  pgha::bench::FailoverAndSwitchover(runs, timings);
  if (!failover_only) pgha::bench::FootprintAndIdleCpu();
  return 0;
}
