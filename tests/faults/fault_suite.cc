// The fault suite: real etcd, PostgreSQL 15 and three pgha daemons; real faults; the promise
// checked from outside (recorder.h): never two nodes acknowledging writes at once, every
// acknowledged row on the final primary, one primary and streaming replicas after the heal.
//
//   fault_suite                         one trial of every fault at ttl 10 / loop_wait 2 /
//                                       retry_timeout 4 (ctest label `faults`)
//   fault_suite --trials 10 --ttl 5 --loop-wait 1 --retry-timeout 2 [--faults a,b]
//                                       the bench mode: figures per fault
//
// Network faults are packet drops (nftables), so a cut-off peer hangs as it does on a real
// network instead of refusing connections: etcd listens on one loopback address per node
// (127.0.0.11, .12, .13) and each daemon knows only its own (use_proxies: no member discovery),
// so dropping one address's packets cuts exactly that node off from etcd. Needs root for the
// firewall; the daemons and PostgreSQL run as the unprivileged user `pgha`.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cluster_harness.h"
#include "etcd_server.h"
#include "pgha/base/clock.h"
#include "pgha/postgres/fence.h"
#include "ports.h"
#include "recorder.h"
#include "temp_dir.h"
#include "wait.h"

namespace pgha::testing {
namespace {

std::string NodeAddress(int i) { return absl::StrCat("127.0.0.", 11 + i); }

// etcd reachable on 127.0.0.1 (the test) and one address per node.
class FaultEtcd final : public ScenarioDcs {
 public:
  FaultEtcd() {
    std::string port = std::to_string(server_.client_port());
    std::vector<std::string> urls = {"http://127.0.0.1:" + port};
    for (int i = 0; i < 3; ++i) urls.push_back("http://" + NodeAddress(i) + ":" + port);
    server_.AddArgs({"--listen-client-urls", absl::StrJoin(urls, ",")});
    server_.Start();
  }
  std::string NodeYaml() const override { return ""; }
  std::string NodeYamlFor(int i) const {
    return absl::StrCat("etcd3:\n  hosts: ", NodeAddress(i), ":", server_.client_port(),
                        "\n  use_proxies: true\n");
  }
  void Stop() override { server_.Kill(); }
  void Start() override { server_.Start(); }
  std::string Name() const override { return "etcd"; }
  pid_t pid() const { return server_.pid(); }
  int port() const { return server_.client_port(); }

 private:
  EtcdServer server_;
};

FaultEtcd* g_etcd = nullptr;  // the next harness's etcd (StartScenarioDcs hands it over)

bool Shell(const std::string& command) { return std::system(command.c_str()) == 0; }

// Drops every packet between node i and etcd, both ways, while it lives.
class Partition {
 public:
  Partition(int node, int etcd_port) : table_(absl::StrCat("pgha_fault_", ::getpid(), "_", node)) {
    std::string a = NodeAddress(node);
    ok_ = Shell(absl::StrCat("nft add table inet ", table_, " && nft add chain inet ", table_,
                             " out '{ type filter hook output priority 0; }' && nft add rule inet ",
                             table_, " out ip daddr ", a, " tcp dport ", etcd_port,
                             " drop && nft add rule inet ", table_, " out ip saddr ", a,
                             " tcp sport ", etcd_port, " drop"));
  }
  ~Partition() { Heal(); }
  void Heal() {
    if (!healed_) Shell(absl::StrCat("nft delete table inet ", table_, " 2>/dev/null"));
    healed_ = true;
  }
  bool ok() const { return ok_; }

 private:
  std::string table_;
  bool ok_ = false;
  bool healed_ = false;
};

struct Settings {
  std::string fencer = "spawn";  // `--fencer off` shows what the suite catches without one
  int ttl = 10;
  int loop_wait = 2;
  int retry_timeout = 4;
};

const std::map<std::string, std::string> kFaults = {
    {"a", "primary cut off from etcd (packets dropped) for 2 x ttl"},
    {"b", "primary's daemon SIGSTOPped for 2 x ttl"},
    {"c1", "etcd SIGSTOPped for 2 x ttl"},
    {"c2", "etcd killed for 2 x ttl"},
    {"d", "primary's postmaster killed (kill -9)"},
    {"e", "primary's daemon killed (kill -9), restarted after 2 x ttl"},
    {"f", "a replica cut off from etcd for 2 x ttl"},
    {"g", "primary's fencer killed (kill -9)"},
};

struct Outcome {
  bool passed = false;
  bool converged = false;
  std::string why;
  TrialFigures figures;
  absl::Duration converge;
};

pid_t Postmaster(const ClusterHarness& cluster, int i) {
  return pg::RunningPostmaster(cluster.spec(i).dir + "/data");
}

std::vector<WriteTarget> Targets(const ClusterHarness& cluster) {
  std::vector<WriteTarget> targets;
  for (int i = 0; i < cluster.size(); ++i) {
    targets.push_back({cluster.name(i), cluster.spec(i).pg_port, cluster.spec(i).dir + "/pgpass"});
  }
  return targets;
}

bool FencerActed(const std::string& log) {
  return log.find("pgha-fencer: stop-writes deadline passed without renewal: fast shutdown") !=
             std::string::npos ||
         log.find("pgha-fencer: write deadline passed without renewal: killed") != std::string::npos;
}

// What a log file gained since `offset` (all of it if it was rewritten).
std::string LogSince(const std::string& path, size_t offset) {
  std::string all = ReadFile(path);
  return all.size() >= offset ? all.substr(offset) : all;
}

Outcome RunTrial(ClusterHarness& cluster, FaultEtcd* dcs, const std::string& fault, const Settings& s);

// `trials` trials of `fault` on one cluster: each starts from where the last one converged.
std::vector<Outcome> RunTrials(const std::string& fault, const Settings& s, int trials) {
  std::vector<Outcome> outcomes;
  Outcome out;
  auto etcd = std::make_unique<FaultEtcd>();
  FaultEtcd* dcs = etcd.get();
  g_etcd = etcd.release();
  ClusterOptions o;
  o.ttl = s.ttl;
  o.loop_wait = s.loop_wait;
  o.retry_timeout = s.retry_timeout;
  o.run_as = "pgha";
  o.customize = [dcs, &s](int i, NodeSpec& spec) {
    spec.dcs_yaml = dcs->NodeYamlFor(i);
    spec.extra_top = absl::StrCat("fencer:\n  mode: ", s.fencer, "\n");
  };
  absl::Time t0 = absl::Now();
  ClusterHarness cluster(o);
  cluster.StartAll();
  auto primary = cluster.WaitForHealthy(2, absl::Minutes(3));
  std::fprintf(stderr, "    [%s] cluster up in %.1f s\n", fault.c_str(), absl::ToDoubleSeconds(absl::Now() - t0));
  if (!primary) {
    out.why = "the cluster did not come up: " + cluster.LogTail(0);
    return {out};
  }
  if (!Recorder::CreateTables(Targets(cluster)[*primary])) {
    out.why = "cannot create the table";
    return {out};
  }
  // The table must be on every node before the probe starts counting.
  for (int i = 0; i < cluster.size(); ++i) {
    WaitFor([&] { return cluster.Sql(i, "SELECT count(*) FROM acked").ok(); }, absl::Seconds(30));
  }
  for (int t = 0; t < trials; ++t) {
    outcomes.push_back(RunTrial(cluster, dcs, fault, s));
    if (!outcomes.back().converged) break;  // nothing to start the next trial from
  }
  return outcomes;
}

Outcome RunTrial(ClusterHarness& cluster, FaultEtcd* dcs, const std::string& fault, const Settings& s) {
  Outcome out;
  auto primary = cluster.WaitForHealthy(2, absl::Minutes(3));
  if (!primary) {
    out.why = "the cluster is not healthy before the fault";
    return out;
  }
  std::vector<size_t> log_offsets;
  for (int i = 0; i < cluster.size(); ++i) log_offsets.push_back(ReadFile(cluster.spec(i).dir + ".log").size());
  Recorder recorder(Targets(cluster));
  recorder.Start();
  // Let the writers settle before the fault, so the figures start from a healthy cluster.
  WaitFor([] { return false; }, absl::Seconds(2));
  int p = *primary;
  int replica = (p + 1) % cluster.size();
  absl::Duration fault_time = absl::Seconds(2 * s.ttl);
  pid_t fencer_before = cluster.FencerPid(p);
  pid_t postmaster_before = 0;
  absl::Time fault_at = MonotonicNow();
  // The fault, then (for lasting faults) the heal after 2 x ttl. Waiting out the fault is its
  // definition, not a wait for a result: every check below polls with a deadline.
  auto hold = [&] { WaitFor([] { return false; }, fault_time, absl::Milliseconds(200)); };
  if (fault == "a" || fault == "f") {
    Partition cut(fault == "a" ? p : replica, dcs->port());
    if (!cut.ok()) {
      out.why = "nftables refused the rules";
      return out;
    }
    hold();
  } else if (fault == "b") {
    ::kill(cluster.DaemonPid(p), SIGSTOP);
    hold();
    ::kill(cluster.DaemonPid(p), SIGCONT);
  } else if (fault == "c1") {
    ::kill(dcs->pid(), SIGSTOP);
    hold();
    ::kill(dcs->pid(), SIGCONT);
  } else if (fault == "c2") {
    dcs->Stop();
    hold();
    dcs->Start();
  } else if (fault == "d") {
    postmaster_before = Postmaster(cluster, p);
    cluster.KillPostmaster(p);
    hold();  // the aftermath (restart, or failover) is what the recorder must see
  } else if (fault == "e") {
    cluster.KillDaemon(p);
    hold();
    cluster.StartNode(p);
  } else if (fault == "g") {
    if (fencer_before == 0) {
      out.why = "the primary has no fencer";
      return out;
    }
    ::kill(fencer_before, SIGKILL);
    hold();
  }
  absl::Time healed_at = absl::Now();
  auto final_primary = cluster.WaitForHealthy(2, absl::Minutes(3));
  out.converge = absl::Now() - healed_at;
  // A few more writes on the converged cluster, then the verdict.
  WaitFor([] { return false; }, absl::Seconds(1));
  recorder.Stop();
  out.converged = final_primary.has_value();
  if (!final_primary) {
    out.why = "the cluster did not converge to one primary and two streaming replicas";
    for (int i = 0; i < cluster.size(); ++i) out.why += "\n--- " + cluster.name(i) + "\n" + cluster.LogTail(i);
    return out;
  }
  out.figures = recorder.Analyse(*final_primary, fault_at);
  std::vector<std::string> problems = out.figures.overlaps;
  if (out.figures.lost > 0) problems.push_back(absl::StrCat(out.figures.lost, " acknowledged rows lost"));
  for (int i = 0; i < cluster.size(); ++i) {
    // The daemon's and its fencer's output during this trial.
    std::string log = LogSince(cluster.spec(i).dir + ".log", log_offsets[i]);
    if (i != p && FencerActed(log)) problems.push_back("the fencer acted on replica " + cluster.name(i));
    if (i == p && fault == "b" && s.fencer != "off" && !FencerActed(log)) problems.push_back("the fencer did not act on the stalled primary");
  }
  if (fault == "d" && (postmaster_before == 0 || Postmaster(cluster, p) == postmaster_before)) {
    problems.push_back(absl::StrCat("the postmaster (pid ", postmaster_before, ") was not killed and replaced"));
  }
  if (fault == "g") {
    pid_t after = 0;
    bool back = WaitFor([&] { after = cluster.FencerPid(p); return after != 0 && after != fencer_before; },
                        absl::Seconds(30));
    // The node may have stopped being the primary meanwhile; its daemon restarts the fencer all the same.
    if (!back) problems.push_back("the killed fencer was not restarted");
  }
  out.passed = problems.empty();
  out.why = absl::StrJoin(problems, "; ");
  return out;
}

std::string Seconds(absl::Duration d) { return absl::StrFormat("%.2f s", absl::ToDoubleSeconds(d)); }

}  // namespace

std::unique_ptr<ScenarioDcs> StartScenarioDcs() {
  std::unique_ptr<ScenarioDcs> d(g_etcd);
  g_etcd = nullptr;
  return d;
}

}  // namespace pgha::testing

int main(int argc, char** argv) {
  using namespace pgha::testing;
  Settings s;
  int trials = 1;
  std::vector<std::string> faults;
  for (const auto& [k, v] : kFaults) faults.push_back(k);
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--trials") trials = std::atoi(value.c_str());
    else if (flag == "--ttl") s.ttl = std::atoi(value.c_str());
    else if (flag == "--loop-wait") s.loop_wait = std::atoi(value.c_str());
    else if (flag == "--retry-timeout") s.retry_timeout = std::atoi(value.c_str());
    else if (flag == "--faults") faults = absl::StrSplit(value, ',');
    else if (flag == "--fencer") s.fencer = value;
  }
  if (::geteuid() != 0) SkipBinary("the fault suite needs root for nftables (CI runs as root)");
  if (PostgresBinDir().empty()) SkipBinary("PostgreSQL 15 is not installed");
  if (FindProgram("nft", {"/usr/sbin", "/sbin"}).empty()) SkipBinary("nftables is not installed");
  std::printf("fault suite: ttl %d, loop_wait %d, retry_timeout %d, %d trial(s) per fault\n", s.ttl,
              s.loop_wait, s.retry_timeout, trials);
  int passed = 0, failed = 0;
  std::vector<std::string> table;
  for (const auto& fault : faults) {
    if (kFaults.count(fault) == 0) {
      std::fprintf(stderr, "unknown fault %s\n", fault.c_str());
      return 2;
    }
    absl::Duration worst_none, total_two, worst_converge;
    int64_t lost = 0, acked = 0;
    int ok = 0;
    std::vector<Outcome> outcomes = RunTrials(fault, s, trials);
    while (static_cast<int>(outcomes.size()) < trials) {
      outcomes.push_back(Outcome{false, false, "not run: the previous trial did not converge"});
    }
    for (int t = 0; t < trials; ++t) {
      const Outcome& r = outcomes[t];
      std::printf("  %-3s trial %d: %s  two-writable %s, none-writable %s, lost %lld of %lld, converged in %s%s%s\n",
                  fault.c_str(), t + 1, r.passed ? "ok  " : "FAIL", Seconds(r.figures.two_writable).c_str(),
                  Seconds(r.figures.none_writable).c_str(), static_cast<long long>(r.figures.lost),
                  static_cast<long long>(r.figures.acked), Seconds(r.converge).c_str(),
                  r.why.empty() ? "" : ": ", r.why.c_str());
      std::fflush(stdout);
      worst_none = std::max(worst_none, r.figures.none_writable);
      total_two += r.figures.two_writable;
      worst_converge = std::max(worst_converge, r.converge);
      lost += r.figures.lost;
      acked += r.figures.acked;
      r.passed ? ++passed : ++failed;
      ok += r.passed ? 1 : 0;
    }
    table.push_back(absl::StrFormat("| %-3s | %-58s | %d/%d | %s | %s | %lld of %lld | %s |", fault,
                                    kFaults.at(fault), ok, trials, Seconds(total_two),
                                    Seconds(worst_none), static_cast<long long>(lost),
                                    static_cast<long long>(acked), Seconds(worst_converge)));
  }
  std::printf("\n| fault | what | passed | two writable (total) | no writable (worst) | lost | converge (worst) |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const auto& row : table) std::printf("%s\n", row.c_str());
  std::printf("\n%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
