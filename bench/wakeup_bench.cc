// Figures for "never wait when there is work" (issue 14), on real PostgreSQL 15 and etcd:
//   - a fresh 3-node cluster: start -> leader key, start -> two replicas streaming, at
//     loop_wait 10 and 30 (the time must not grow with loop_wait);
//   - SIGTERM of the primary's daemon, restarted at once -> the old primary streams again;
//   - etcd requests per node per HA loop at idle, from etcd's own /metrics.
//
//   build/bin/pgha_wakeup_bench [--runs N] [--only fresh|rejoin|requests] [--settle SECONDS]
//   (as an unprivileged user: tests/run-unprivileged.sh)
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "cluster_harness.h"
#include "figures.h"
#include "wait.h"

namespace pgha::bench {
namespace {

using testing::ClusterHarness;
using testing::ClusterOptions;
using testing::WaitFor;

ClusterOptions PatroniDefaults(int loop_wait) {
  ClusterOptions o;
  o.ttl = 30;
  o.loop_wait = loop_wait;
  o.retry_timeout = 10;
  return o;
}

int StreamingReplicas(ClusterHarness& c) {
  int n = 0;
  for (int i = 0; i < c.size(); ++i) n += c.StreamingReplica(i) ? 1 : 0;
  return n;
}

void FreshCluster(int loop_wait, int runs) {
  std::vector<double> to_leader, to_streaming;
  for (int run = 0; run < runs; ++run) {
    ClusterHarness c(PatroniDefaults(loop_wait));
    absl::Time started = absl::Now();
    c.StartAll();
    std::optional<absl::Time> leader_at;
    bool ok = WaitFor(
        [&] {
          if (!leader_at) {
            auto state = c.LoadDcs();
            if (state.ok() && (*state)->leader) leader_at = absl::Now();
            return false;
          }
          return StreamingReplicas(c) == 2;
        },
        absl::Seconds(180), absl::Milliseconds(20));
    if (!ok || !leader_at) {
      std::printf("loop_wait %d, run %d: the cluster did not become healthy\n", loop_wait, run);
      continue;
    }
    to_leader.push_back(absl::ToDoubleSeconds(*leader_at - started));
    to_streaming.push_back(absl::ToDoubleSeconds(absl::Now() - started));
    std::printf("loop_wait %d, run %d: leader key after %.2f s, two replicas streaming after %.2f s\n",
                loop_wait, run, to_leader.back(), to_streaming.back());
  }
  std::printf("fresh 3-node cluster, ttl 30, loop_wait %d: leader key median %.2f s, two streaming "
              "replicas median %.2f s (%zu runs)\n\n",
              loop_wait, Median(to_leader), Median(to_streaming), to_streaming.size());
}

void RejoinAfterSigterm(int runs) {
  std::vector<double> rejoin;
  ClusterHarness c(PatroniDefaults(10));
  c.StartAll();
  for (int run = 0; run < runs; ++run) {
    auto primary = c.WaitForHealthy(2, absl::Seconds(180));
    if (!primary) {
      std::printf("rejoin run %d: the cluster is not healthy\n", run);
      return;
    }
    absl::Time termed = absl::Now();
    c.TermDaemon(*primary);  // SIGTERM, waits for the exit (PostgreSQL stopped, lock released)
    c.StartNode(*primary);
    bool ok = WaitFor([&] { return c.StreamingReplica(*primary); }, absl::Seconds(120), absl::Milliseconds(20));
    double took = absl::ToDoubleSeconds(absl::Now() - termed);
    if (!ok) {
      std::printf("rejoin run %d: %s did not stream again\n", run, c.name(*primary).c_str());
      continue;
    }
    rejoin.push_back(took);
    auto now_primary = c.Primary();
    std::printf("rejoin run %d: SIGTERM of %s's daemon, restarted at once: %s leads, %s streams "
                "again after %.2f s\n",
                run, c.name(*primary).c_str(), now_primary ? c.name(*now_primary).c_str() : "?",
                c.name(*primary).c_str(), took);
    if (getenv("PGHA_BENCH_LOGS") != nullptr) std::printf("%s\n", c.LogTail(*primary).c_str());
  }
  std::printf("SIGTERM of the primary's daemon -> old primary streaming again (ttl 30, loop_wait "
              "10): median %.2f s (%zu runs)\n\n",
              Median(rejoin), rejoin.size());
}

std::string EtcdAddress(ClusterHarness& c) {
  std::string yaml = c.dcs().NodeYaml();
  size_t at = yaml.find("hosts:");
  if (at == std::string::npos) return "";
  std::string rest = yaml.substr(at + 6);
  return std::string(absl::StripAsciiWhitespace(rest.substr(0, rest.find('\n'))));
}

void IdleEtcdRequests(int loop_wait, absl::Duration settle, absl::Duration window) {
  ClusterHarness c(PatroniDefaults(loop_wait));
  c.StartAll();
  if (!c.WaitForHealthy(2, absl::Seconds(180))) {
    std::printf("etcd requests: the cluster did not become healthy\n");
    return;
  }
  // Idle means after the bootstrap's aftermath: autovacuum ANALYZEs the catalogs of each database
  // in turn (one per naptime), and every such WAL moves the members' positions, which are written.
  absl::Time settled = absl::Now() + settle;
  WaitFor([&] { return absl::Now() >= settled; }, settle + absl::Seconds(5), absl::Seconds(1));
  std::string etcd = EtcdAddress(c);
  auto before = ScrapeEtcdRequests(etcd);
  absl::Time from = absl::Now();
  WaitFor([&] { return absl::Now() >= from + window; }, window + absl::Seconds(5), absl::Seconds(1));
  auto after = ScrapeEtcdRequests(etcd);
  if (!before.ok() || !after.ok()) {
    std::printf("etcd requests: /metrics did not answer\n");
    return;
  }
  double loops = absl::ToDoubleSeconds(absl::Now() - from) / loop_wait;
  EtcdRequests served = after->Minus(*before);
  double per_node_loop = served.Total() / (c.size() * loops);
  std::printf("idle 3-node cluster (after %.0f s), loop_wait %d, %.0f s: %.0f etcd requests = %.2f per node per "
              "loop (%s)\n\n",
              absl::ToDoubleSeconds(settle), loop_wait, absl::ToDoubleSeconds(window), served.Total(),
              per_node_loop,
              served.Describe(c.size() * loops).c_str());
}

}  // namespace
}  // namespace pgha::bench

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
  int runs = 3;
  std::string only;  // fresh, rejoin or requests
  int settle = 300;   // seconds before the requests are counted
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--runs") (void)absl::SimpleAtoi(argv[i + 1], &runs);
    if (std::string(argv[i]) == "--settle") (void)absl::SimpleAtoi(argv[i + 1], &settle);
    if (std::string(argv[i]) == "--only") only = argv[i + 1];
  }
  pgha::testing::RequireScenarioPrerequisites();
  if (only.empty() || only == "fresh") {
    pgha::bench::FreshCluster(10, runs);
    pgha::bench::FreshCluster(30, runs);
  }
  if (only.empty() || only == "rejoin") pgha::bench::RejoinAfterSigterm(runs);
  if (only.empty() || only == "requests") {
    pgha::bench::IdleEtcdRequests(2, absl::Seconds(settle), absl::Seconds(120));
    pgha::bench::IdleEtcdRequests(10, absl::Seconds(settle), absl::Seconds(300));
  }
  return 0;
}
