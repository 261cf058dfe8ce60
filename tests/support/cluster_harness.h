// A real cluster for scenario tests: a DCS, N pgha daemons with PostgreSQL 15 on 127.0.0.1,
// each in its own directory with free ports. Everything started is stopped by PID when the
// harness dies.
#ifndef PGHA_TESTS_SUPPORT_CLUSTER_HARNESS_H_
#define PGHA_TESTS_SUPPORT_CLUSTER_HARNESS_H_

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "node_config.h"
#include "pgha/dcs/cluster_state.h"
#include "pgha/base/json.h"
#include "server_process.h"
#include "temp_dir.h"

namespace pgha::testing {

// Where the test's DCS is: its YAML section for the nodes, and start/stop for outage tests.
class ScenarioDcs {
 public:
  virtual ~ScenarioDcs() = default;
  virtual std::string NodeYaml() const = 0;  // e.g. "etcd3:\n  hosts: 127.0.0.1:NNNN\n"
  virtual void Stop() = 0;
  virtual void Start() = 0;
  virtual std::string Name() const = 0;
};
// The DCS of this scenario binary (etcd or ZooKeeper), like StartDcsServer() in conformance.
std::unique_ptr<ScenarioDcs> StartScenarioDcs();

struct ClusterOptions {
  int nodes = 3;
  std::string scope = "scenario";
  int ttl = 10;
  int loop_wait = 1;
  int retry_timeout = 3;
  bool synchronous_mode = false;
  std::string extra_dynamic;     // YAML under bootstrap.dcs (4 spaces)
  std::string extra_postgresql;  // YAML under postgresql (2 spaces)
  // Runs every daemon as this user (with its PostgreSQL) when the test itself runs as root,
  // e.g. to change the firewall; the node directories are handed to the user.
  std::string run_as;
  // Per-node adjustments (tags, REST API settings) before the files are written.
  std::function<void(int index, NodeSpec& spec)> customize;
};

// The program that manages a node. The same configuration file serves both: a rolling
// migration (tests/migration/) swaps one for the other on a node's data directory.
enum class Manager {
  kPgha,
  kPatroni,  // Debian's /usr/bin/patroni
};

class ClusterHarness {
 public:
  explicit ClusterHarness(ClusterOptions options = {});
  ~ClusterHarness();

  // Starts every node's daemon and waits until one leader and N-1 streaming replicas run.
  void StartAll();
  void StartNode(int i, Manager manager = Manager::kPgha);
  void KillDaemon(int i);         // SIGKILL the pgha process
  void KillPostmaster(int i);     // SIGKILL the postmaster (from postmaster.pid)
  // The pid of node i's fencer (from its pid file), 0 when none runs.
  pid_t FencerPid(int i) const;
  void TermDaemon(int i);         // SIGTERM and wait for it to exit
  bool DaemonRunning(int i);
  pid_t DaemonPid(int i) const { return daemons_[i] ? daemons_[i]->pid() : -1; }
  ScenarioDcs& dcs() { return *dcs_; }

  int size() const { return static_cast<int>(specs_.size()); }
  const NodeSpec& spec(int i) const { return specs_[i]; }
  std::string name(int i) const { return specs_[i].name; }
  int IndexOf(const std::string& name) const;

  // GET/POST on a node's REST API: status code and body (code 0 when unreachable).
  std::pair<int, std::string> Rest(int i, const std::string& method, const std::string& path,
                                   const std::string& body = "") const;
  std::optional<Json> Patroni(int i) const;  // GET /patroni as JSON
  // The index of the node whose /primary answers 200, if exactly one does.
  std::optional<int> Primary() const;
  // Node i runs as a replica (its REST API says so) whose walreceiver streams.
  bool StreamingReplica(int i) const;
  // Waits for one primary and `replicas` streaming replicas; returns the primary's index.
  std::optional<int> WaitForHealthy(int replicas, absl::Duration timeout);
  // SQL as the superuser on node i (first column of each row).
  absl::StatusOr<std::vector<std::string>> Sql(int i, const std::string& sql) const;
  std::string LogTail(int i) const;
  // The cluster as the DCS holds it now, read with node 0's configuration (as pghactl reads it).
  absl::StatusOr<dcs::ClusterStatePtr> LoadDcs() const;
  const std::string& config_path(int i) const { return config_paths_[i]; }
  // A libpq password file with the superuser's password, for the test's own connections.
  std::string passfile(int i) const { return specs_[i].dir + ".pgpass"; }

 private:
  ClusterOptions options_;
  TempDir dir_;
  std::unique_ptr<ScenarioDcs> dcs_;
  std::vector<NodeSpec> specs_;
  std::vector<std::unique_ptr<ServerProcess>> daemons_;
  std::vector<std::string> config_paths_;
};

// Skips the binary (exit 77) when PostgreSQL 15 is missing or we run as root.
void RequireScenarioPrerequisites();

// Which of `ids` table t (column id) on node i lacks: the acknowledged writes a failover lost.
// An error when the table cannot be read.
absl::StatusOr<std::vector<int>> MissingIds(const ClusterHarness& c, int i, const std::set<int>& ids);

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_CLUSTER_HARNESS_H_
