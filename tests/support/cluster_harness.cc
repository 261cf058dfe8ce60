#include "cluster_harness.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pwd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "pg_connection.h"
#include "pgha/api/http_client.h"
#include "pgha/backends/factory.h"
#include "pgha/config/loader.h"
#include "pgha/dcs/dcs.h"
#include "ports.h"
#include "wait.h"

namespace pgha::testing {

void RequireScenarioPrerequisites() {
  if (PostgresBinDir().empty()) SkipBinary("PostgreSQL 15 is not installed");
  if (::geteuid() == 0) SkipBinary("PostgreSQL refuses to run as root; run through ctest");
}

ClusterHarness::ClusterHarness(ClusterOptions options)
    : options_(std::move(options)), dir_("pgha-scenario"), dcs_(StartScenarioDcs()) {
  for (int i = 0; i < options_.nodes; ++i) {
    NodeSpec s;
    s.scope = options_.scope;
    // Files are named after the index, so that a test can give two nodes one name.
    std::string base = absl::StrCat("pg", i + 1);
    s.name = base;
    s.dir = dir_.Sub(base);
    s.pg_port = FreePort();
    s.api_port = FreePort();
    s.dcs_yaml = dcs_->NodeYaml();
    s.ttl = options_.ttl;
    s.loop_wait = options_.loop_wait;
    s.retry_timeout = options_.retry_timeout;
    s.synchronous_mode = options_.synchronous_mode;
    s.extra_dynamic = options_.extra_dynamic;
    s.extra_postgresql = options_.extra_postgresql;
    if (options_.customize) options_.customize(i, s);
    std::string yaml = NodeYaml(s);
    config_paths_.push_back(dir_.WriteFile(base + ".yml", yaml));
    dir_.WriteFile(base + "/.keep", "");
    // The superuser's password for the harness's own connections: the manager's pgpass file
    // (postgresql.pgpass) holds what it needs at the moment, Patroni's only the replication
    // user's.
    std::string passfile = dir_.WriteFile(base + ".pgpass", "*:*:*:postgres:super secret\n");
    ::chmod(passfile.c_str(), 0600);
    specs_.push_back(s);
    daemons_.push_back(nullptr);
  }
  if (!options_.run_as.empty()) {
    passwd* pw = ::getpwnam(options_.run_as.c_str());
    if (pw == nullptr) throw std::runtime_error("no such user: " + options_.run_as);
    (void)!::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid);
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
      (void)!::chown(e.path().c_str(), pw->pw_uid, pw->pw_gid);
    }
  }
}

pid_t ClusterHarness::FencerPid(int i) const {
  std::ifstream in(specs_[i].dir + "/data.fencer.pid");
  int pid = 0;
  if (!(in >> pid) || pid <= 1 || ::kill(pid, 0) != 0) return 0;
  return pid;
}

ClusterHarness::~ClusterHarness() {
  for (int i = 0; i < size(); ++i) {
    if (daemons_[i]) daemons_[i]->Kill();
    // A postmaster outlives its killed daemon: stop it by PID as well, and the fencer the
    // daemon started (a session of its own, so the daemon's death does not end it).
    KillPostmaster(i);
    if (pid_t fencer = FencerPid(i)) ::kill(fencer, SIGKILL);
  }
}

void ClusterHarness::StartNode(int i, Manager manager) {
  std::string binary =
      manager == Manager::kPatroni ? "/usr/bin/patroni" : std::string(PGHA_BINARY_DIR) + "/pgha";
  std::vector<std::string> argv;
  if (!options_.run_as.empty()) {
    argv = {"/usr/bin/setpriv", "--reuid=" + options_.run_as, "--regid=" + options_.run_as,
            "--init-groups", "--inh-caps=-all", "--"};
  }
  argv.push_back(binary);
  argv.push_back(config_paths_[i]);
  daemons_[i] = std::make_unique<ServerProcess>(argv, dir_.Sub(absl::StrCat("pg", i + 1, ".log")));
  if (!daemons_[i]->Start()) throw std::runtime_error("cannot start " + binary);
}

void ClusterHarness::StartAll() {
  for (int i = 0; i < size(); ++i) StartNode(i);
}

void ClusterHarness::KillDaemon(int i) {
  if (daemons_[i]) daemons_[i]->Kill();
}

void ClusterHarness::TermDaemon(int i) {
  if (daemons_[i]) daemons_[i]->Stop();
}

bool ClusterHarness::DaemonRunning(int i) { return daemons_[i] && daemons_[i]->Running(); }

void ClusterHarness::KillPostmaster(int i) {
  std::ifstream in(specs_[i].dir + "/data/postmaster.pid");
  std::string first;
  int pid = 0;
  if (in && std::getline(in, first) && absl::SimpleAtoi(absl::StripAsciiWhitespace(first), &pid) && pid > 0) {
    ::kill(pid, SIGKILL);
    WaitFor([&] { return ::kill(pid, 0) != 0; }, absl::Seconds(30));
  }
}

int ClusterHarness::IndexOf(const std::string& name) const {
  for (int i = 0; i < size(); ++i) {
    if (specs_[i].name == name) return i;
  }
  return -1;
}

std::pair<int, std::string> ClusterHarness::Rest(int i, const std::string& method, const std::string& path,
                                                 const std::string& body) const {
  auto r = api::HttpRequest(method, absl::StrCat("http://127.0.0.1:", specs_[i].api_port, path), body,
                            absl::Seconds(60));
  if (!r.ok()) return {0, std::string(r.status().message())};
  return {r->status, r->body};
}

std::optional<Json> ClusterHarness::Patroni(int i) const {
  auto [code, body] = Rest(i, "GET", "/patroni");
  if (code != 200) return std::nullopt;
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::optional<int> ClusterHarness::Primary() const {
  std::optional<int> found;
  for (int i = 0; i < size(); ++i) {
    if (Rest(i, "GET", "/primary").first == 200) {
      if (found) return std::nullopt;
      found = i;
    }
  }
  return found;
}

bool ClusterHarness::StreamingReplica(int i) const {
  auto p = Patroni(i);
  if (!p || p->value("role", "") != "replica" || p->value("state", "") != "running") return false;
  auto sql = Sql(i, "SELECT status FROM pg_stat_wal_receiver");
  return sql.ok() && sql->size() == 1 && (*sql)[0] == "streaming";
}

std::optional<int> ClusterHarness::WaitForHealthy(int replicas, absl::Duration timeout) {
  std::optional<int> primary;
  bool ok = WaitFor([&] {
    primary = Primary();
    if (!primary) return false;
    int streaming = 0;
    for (int i = 0; i < size(); ++i) {
      if (i != *primary && StreamingReplica(i)) ++streaming;
    }
    return streaming >= replicas;
  }, timeout, absl::Milliseconds(200));
  return ok ? primary : std::nullopt;
}

absl::StatusOr<std::vector<std::string>> ClusterHarness::Sql(int i, const std::string& sql) const {
  auto conn = pg::PgConnection::Connect({{"host", "127.0.0.1"},
                                         {"port", std::to_string(specs_[i].pg_port)},
                                         {"user", "postgres"},
                                         {"dbname", "postgres"},
                                         {"passfile", passfile(i)},
                                         {"connect_timeout", "3"}});
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Query(sql);
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (const auto& row : r->rows) out.push_back(row.empty() || !row[0] ? "" : *row[0]);
  return out;
}

std::string ClusterHarness::LogTail(int i) const {
  return daemons_[i] ? daemons_[i]->LogTail(3000) : "";
}

absl::StatusOr<dcs::ClusterStatePtr> ClusterHarness::LoadDcs() const {
  config::LoadResult loaded = config::LoadCtlConfig(config_paths_[0], {});
  if (!loaded.ok()) return absl::InvalidArgumentError("cannot load " + config_paths_[0]);
  const config::Config& cfg = *loaded.config;
  auto backend = backends::MakeBackend(cfg, absl::Seconds(30), absl::Seconds(10));
  if (!backend.ok()) return backend.status();
  dcs::Dcs dcs(std::move(*backend), dcs::KeyLayout(cfg.namespace_, cfg.scope));
  return dcs.Load(dcs::ReadMode::kLinearizable);
}

absl::StatusOr<std::vector<int>> MissingIds(const ClusterHarness& c, int i, const std::set<int>& ids) {
  auto rows = c.Sql(i, "SELECT id FROM t");
  if (!rows.ok()) return rows.status();
  std::set<int> present;
  for (const auto& r : *rows) present.insert(std::stoi(r));
  std::vector<int> missing;
  for (int id : ids) {
    if (present.count(id) == 0) missing.push_back(id);
  }
  return missing;
}

}  // namespace pgha::testing
