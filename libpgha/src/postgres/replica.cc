// LibpqController::CreateReplica: pg_basebackup or the configured create_replica_methods.
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "controller_impl.h"
#include "pgha/base/log.h"
#include "pgha/base/status_macros.h"

namespace pgha::pg {
namespace {
namespace fs = std::filesystem;

// pg_basebackup options a user may not set: pgha decides where the data goes and how.
const std::set<std::string>& ForbiddenBasebackupOptions() {
  static const auto* kForbidden = new std::set<std::string>{
      "pgdata", "D", "format", "F", "wal-method", "X", "dbname", "d", "host", "h",
      "port", "p", "username", "U", "write-recovery-conf", "R", "target", "t"};
  return *kForbidden;
}
}  // namespace

absl::Status LibpqController::CloneWithBasebackup(const Upstream& upstream) {
  ConnParams conn = RemoteParams(upstream, pgconf().replication, "");
  conn.erase("dbname");
  std::vector<std::pair<std::string, std::string>> env = {{"PGPASSFILE", PgpassPath()}, {"LANG", "C"}};
  auto conninfo = ProgramConnInfo(conn, PgpassPath() + ".service", &env);
  if (!conninfo.ok()) return conninfo.status();
  // -w: never prompt for a password (with no terminal, pg_basebackup would retry forever).
  std::vector<std::string> argv = {Bin("pg_basebackup"), "--pgdata=" + DataDir(), "-X", "stream",
                                   "-w", "--dbname=" + *conninfo};
  bool checkpoint_set = false;
  auto add = [&](const std::string& name, const std::string& value) {
    if (ForbiddenBasebackupOptions().count(name) != 0) {
      PGHA_LOG(WARNING) << "ignoring pg_basebackup option " << name << ": pgha sets it";
      return;
    }
    checkpoint_set = checkpoint_set || name == "checkpoint" || name == "c";
    argv.push_back(value.empty() ? "--" + name : absl::StrCat("--", name, "=", value));
  };
  const Json& options = options_.effective.basebackup;
  if (options.is_array()) {
    for (const auto& item : options) {
      if (item.is_string()) add(item.get<std::string>(), "");
      if (item.is_object() && item.size() == 1) {
        const Json& v = item.begin().value();
        add(item.begin().key(), v.is_string() ? v.get<std::string>() : v.dump());
      }
    }
  } else if (options.is_object()) {
    for (auto it = options.begin(); it != options.end(); ++it) {
      add(it.key(), it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
    }
  }
  // A spread checkpoint can keep a new replica waiting for minutes on an idle primary.
  if (!checkpoint_set) argv.push_back("--checkpoint=fast");
  PGHA_LOG(INFO) << "cloning from " << upstream.name << " with pg_basebackup";
  auto r = runner_->Run({.argv = argv, .env = env, .timeout = absl::Hours(48)});
  if (!r.ok()) return r.status();
  if (!r->ok()) return absl::UnavailableError(absl::StrCat("pg_basebackup failed: ", r->Describe()));
  return absl::OkStatus();
}

absl::Status LibpqController::CloneWithMethod(const std::string& name,
                                              const std::optional<Upstream>& upstream) {
  auto it = pgconf().replica_methods.find(name);
  if (it == pgconf().replica_methods.end() || !it->second.contains("command")) {
    return absl::InvalidArgumentError(absl::StrCat("replica method ", name, " has no command"));
  }
  const Json& method = it->second;
  PGHA_ASSIGN_OR_RETURN(std::vector<std::string> argv,
                        SplitCommandLine(method["command"].get<std::string>()));
  if (!(method.contains("no_params") && method["no_params"] == true)) {
    argv.push_back("--scope=" + options_.local.scope);
    argv.push_back("--datadir=" + DataDir());
    argv.push_back("--role=replica");
    if (upstream) {
      ConnParams conn = RemoteParams(*upstream, pgconf().replication);
      argv.push_back("--connstring=" + BuildConnInfo(conn));
    }
    static const std::set<std::string> kOwn = {"command", "no_params", "no_leader", "no_master",
                                               "keep_data", "recovery_conf"};
    for (auto o = method.begin(); o != method.end(); ++o) {
      if (kOwn.count(o.key()) != 0) continue;
      const Json& v = o.value();
      argv.push_back(absl::StrCat("--", o.key(), "=", v.is_string() ? v.get<std::string>() : v.dump()));
    }
  }
  PGHA_LOG(INFO) << "creating a replica with method " << name;
  auto r = runner_->Run({.argv = argv, .env = {{"PGPASSFILE", PgpassPath()}},
                         .timeout = absl::Hours(48)});
  if (!r.ok()) return r.status();
  if (!r->ok()) return absl::UnavailableError(absl::StrCat("replica method ", name, " failed: ", r->Describe()));
  return absl::OkStatus();
}

absl::Status LibpqController::CreateReplica(const CloneSource& source) {
  if (postmaster_.Alive()) {
    return absl::FailedPreconditionError("refusing to create a replica over a running server");
  }
  PGHA_RETURN_IF_ERROR(WritePgpassFile());
  std::vector<std::string> methods = pgconf().create_replica_methods;
  // A standby cluster clones with its own methods (standby_cluster.create_replica_methods).
  if (source.upstream && !source.upstream->create_replica_methods.empty()) {
    methods = source.upstream->create_replica_methods;
  }
  if (methods.empty()) methods = {"basebackup"};
  absl::Status last = absl::UnavailableError("no replica creation method could run");
  for (const auto& name : methods) {
    bool basebackup = name == "basebackup" || name == "pg_basebackup";
    const Json* method = nullptr;
    if (!basebackup) {
      auto it = pgconf().replica_methods.find(name);
      if (it != pgconf().replica_methods.end()) method = &it->second;
    }
    bool reachable = source.upstream && !source.upstream->host.empty();  // a standby cluster may have no host
    if (!reachable && (basebackup || !pgconf().MethodNeedsNoLeader(name))) continue;
    bool keep_data = method != nullptr && method->contains("keep_data") && (*method)["keep_data"] == true;
    std::error_code ec;
    if (!keep_data) {
      // Start from an empty directory (a previous attempt may have left files behind).
      if (fs::exists(DataDir(), ec)) {
        for (const auto& entry : fs::directory_iterator(DataDir(), ec)) fs::remove_all(entry.path(), ec);
      }
    }
    fs::create_directories(DataDir(), ec);
    ::chmod(DataDir().c_str(), 0700);
    absl::Status s = basebackup ? CheckBinaries({"pg_basebackup"}) : absl::OkStatus();
    if (s.ok()) s = basebackup ? CloneWithBasebackup(*source.upstream) : CloneWithMethod(name, source.upstream);
    if (s.ok() && InspectDataDir() != DataDirState::kValid) {
      s = absl::UnavailableError(absl::StrCat("replica method ", name, " left no valid data directory"));
    }
    if (s.ok()) {
      ::chmod(DataDir().c_str(), 0700);
      PGHA_RETURN_IF_ERROR(WriteConfigFiles(source.upstream, true).status());
      return absl::OkStatus();
    }
    PGHA_LOG(ERROR) << s.message();
    last = s;
  }
  return last;
}

}  // namespace pgha::pg
