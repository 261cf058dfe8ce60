// LibpqController::Bootstrap: a new cluster from initdb or a custom method, configured and
// running as primary with the configured roles.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "config_files.h"
#include "controller_impl.h"
#include "pgha/base/log.h"
#include "pgha/base/status_macros.h"

namespace pgha::pg {
namespace {

namespace fs = std::filesystem;

// Patroni's option lists: "data-checksums" -> --data-checksums, {encoding: UTF8} ->
// --encoding=UTF8. Options that would point initdb elsewhere are refused.
absl::StatusOr<std::vector<std::string>> OptionArgs(const Json& options, const char* tool) {
  std::vector<std::string> out;
  auto add = [&](const std::string& name, const std::string& value) -> absl::Status {
    if (name == "pgdata" || name == "D" || name == "datadir") {
      return absl::InvalidArgumentError(absl::StrCat(tool, " option ", name, " is set by pgha"));
    }
    out.push_back(value.empty() ? absl::StrCat("--", name) : absl::StrCat("--", name, "=", value));
    return absl::OkStatus();
  };
  if (options.is_array()) {
    for (const auto& item : options) {
      if (item.is_string()) {
        PGHA_RETURN_IF_ERROR(add(item.get<std::string>(), ""));
      } else if (item.is_object() && item.size() == 1) {
        const Json& v = item.begin().value();
        PGHA_RETURN_IF_ERROR(add(item.begin().key(), v.is_string() ? v.get<std::string>() : v.dump()));
      }
    }
  } else if (options.is_object()) {
    for (auto it = options.begin(); it != options.end(); ++it) {
      const Json& v = it.value();
      PGHA_RETURN_IF_ERROR(add(it.key(), v.is_string() ? v.get<std::string>() : v.dump()));
    }
  }
  return out;
}

bool HasOption(const std::vector<std::string>& args, const std::string& name) {
  for (const auto& a : args) {
    if (a == "--" + name || a.rfind("--" + name + "=", 0) == 0) return true;
  }
  return false;
}

}  // namespace

absl::Status LibpqController::RunInitdb() {
  PGHA_ASSIGN_OR_RETURN(std::vector<std::string> opts,
                        OptionArgs(options_.local.bootstrap.initdb, "initdb"));
  std::vector<std::string> argv = {Bin("initdb"), "-D", DataDir()};
  argv.insert(argv.end(), opts.begin(), opts.end());
  if (!HasOption(opts, "username")) argv.push_back("--username=" + pgconf().superuser.username);
  std::string pwfile;
  if (!pgconf().superuser.password.empty() && !HasOption(opts, "pwfile")) {
    // The password reaches initdb through a private file, never the command line.
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = absl::StrCat(tmpdir != nullptr && *tmpdir ? tmpdir : "/tmp", "/pgha-pwfile-XXXXXX");
    int fd = ::mkstemp(pattern.data());
    if (fd < 0) return absl::FailedPreconditionError("cannot create a password file for initdb");
    std::string content = pgconf().superuser.password + "\n";
    bool written = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    ::close(fd);
    if (!written) {
      ::unlink(pattern.c_str());
      return absl::FailedPreconditionError("cannot write a password file for initdb");
    }
    pwfile = pattern;
    argv.push_back("--pwfile=" + pwfile);
  }
  PGHA_LOG(INFO) << "running initdb for " << DataDir();
  auto r = runner_->Run({.argv = argv, .env = {{"LANG", "C"}, {"LC_ALL", "C"}},
                         .timeout = absl::Minutes(10)});
  if (!pwfile.empty()) ::unlink(pwfile.c_str());
  if (!r.ok()) return r.status();
  if (!r->ok()) return absl::FailedPreconditionError(absl::StrCat("initdb failed: ", r->Describe()));
  return absl::OkStatus();
}

absl::Status LibpqController::RunCustomBootstrap() {
  const Json& method = options_.local.bootstrap.method_options;
  if (!method.is_object() || !method.contains("command") || !method["command"].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("bootstrap method ", options_.local.bootstrap.method,
                                                   " has no command"));
  }
  PGHA_ASSIGN_OR_RETURN(std::vector<std::string> argv,
                        SplitCommandLine(method["command"].get<std::string>()));
  if (!(method.contains("no_params") && method["no_params"] == true)) {
    argv.push_back("--scope=" + options_.local.scope);
    argv.push_back("--datadir=" + DataDir());
    for (auto it = method.begin(); it != method.end(); ++it) {
      static const std::set<std::string> kOwn = {"command", "no_params", "keep_existing_recovery_conf",
                                                 "recovery_conf"};
      if (kOwn.count(it.key()) != 0) continue;
      const Json& v = it.value();
      argv.push_back(absl::StrCat("--", it.key(), "=", v.is_string() ? v.get<std::string>() : v.dump()));
    }
  }
  PGHA_LOG(INFO) << "running custom bootstrap method " << options_.local.bootstrap.method;
  auto r = runner_->Run({.argv = argv, .env = {{"PGPASSFILE", PgpassPath()}},
                         .unset_env = {}, .timeout = absl::Hours(24)});
  if (!r.ok()) return r.status();
  if (!r->ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("bootstrap method ", options_.local.bootstrap.method, " failed: ", r->Describe()));
  }
  if (InspectDataDir() != DataDirState::kValid) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bootstrap method ", options_.local.bootstrap.method, " left no valid data directory"));
  }
  return absl::OkStatus();
}

absl::Status LibpqController::CreateRoles(bool set_superuser_password) {
  // The statements below carry passwords: keep them out of the server log whatever
  // log_statement, log_min_duration_statement or log_min_error_statement say (as Patroni does),
  // and restore the session's settings afterwards on every path.
  PGHA_RETURN_IF_ERROR(Query("SET log_statement TO 'none'").status());
  PGHA_RETURN_IF_ERROR(Query("SET log_min_duration_statement TO -1").status());
  PGHA_RETURN_IF_ERROR(Query("SET log_min_error_statement TO 'panic'").status());
  absl::Status created = CreateRolesQuietly(set_superuser_password);
  for (const char* guc : {"log_statement", "log_min_duration_statement", "log_min_error_statement"}) {
    (void)Query(absl::StrCat("RESET ", guc));
  }
  return created;
}

absl::Status LibpqController::CreateRolesQuietly(bool set_superuser_password) {
  // format() quotes identifiers and literals server-side: no hand-written SQL escaping.
  auto exec_formatted = [&](const std::string& fmt, const std::vector<std::string>& args) -> absl::Status {
    std::string select = "SELECT pg_catalog.format($1";
    std::vector<std::string> params = {fmt};
    for (size_t i = 0; i < args.size(); ++i) {
      absl::StrAppend(&select, ", $", i + 2, "::text");
      params.push_back(args[i]);
    }
    absl::StrAppend(&select, ") AS sql");
    PGHA_ASSIGN_OR_RETURN(QueryResult r, Query(select, params));
    auto sql = r.Get(0, "sql");
    if (!sql) return absl::InternalError("format() returned nothing");
    return Query(*sql).status();
  };
  auto role_exists = [&](const std::string& name) -> absl::StatusOr<bool> {
    PGHA_ASSIGN_OR_RETURN(QueryResult r,
                          Query("SELECT 1 AS x FROM pg_catalog.pg_roles WHERE rolname = $1", {name}));
    return !r.rows.empty();
  };
  auto ensure_role = [&](const config::UserAuth& user, const std::string& attributes) -> absl::Status {
    if (user.username.empty()) return absl::OkStatus();
    PGHA_ASSIGN_OR_RETURN(bool exists, role_exists(user.username));
    std::string verb = exists ? "ALTER" : "CREATE";
    if (user.password.empty()) {
      return exec_formatted(verb + " ROLE %I WITH " + attributes, {user.username});
    }
    return exec_formatted(verb + " ROLE %I WITH " + attributes + " PASSWORD %L",
                          {user.username, user.password});
  };
  if (set_superuser_password && !pgconf().superuser.password.empty()) {
    PGHA_RETURN_IF_ERROR(ensure_role(pgconf().superuser, "SUPERUSER LOGIN"));
  }
  if (pgconf().replication.username != pgconf().superuser.username) {
    PGHA_RETURN_IF_ERROR(ensure_role(pgconf().replication, "REPLICATION LOGIN"));
  }
  if (pgconf().rewind && pgconf().rewind->username != pgconf().superuser.username) {
    PGHA_RETURN_IF_ERROR(ensure_role(*pgconf().rewind, "LOGIN"));
    // What pg_rewind needs from a non-superuser (PostgreSQL 11+).
    for (const char* fn : {"pg_catalog.pg_ls_dir(text, boolean, boolean)",
                           "pg_catalog.pg_stat_file(text, boolean)",
                           "pg_catalog.pg_read_binary_file(text)",
                           "pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)"}) {
      PGHA_RETURN_IF_ERROR(exec_formatted(absl::StrCat("GRANT EXECUTE ON function ", fn, " TO %I"),
                                          {pgconf().rewind->username}));
    }
  }
  // Patroni 3.x bootstrap.users: {name: {password, options: [createdb, ...]}}.
  const Json& users = options_.local.bootstrap.users;
  for (auto it = users.begin(); it != users.end(); ++it) {
    config::UserAuth u;
    u.username = it.key();
    std::string attributes = "LOGIN";
    if (it.value().is_object()) {
      if (it.value().contains("password") && it.value()["password"].is_string()) {
        u.password = it.value()["password"].get<std::string>();
      }
      if (it.value().contains("options") && it.value()["options"].is_array()) {
        for (const auto& opt : it.value()["options"]) {
          if (!opt.is_string()) continue;
          std::string o = opt.get<std::string>();
          bool plain = !o.empty() && std::all_of(o.begin(), o.end(), [](char c) {
            return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
          });
          if (plain) absl::StrAppend(&attributes, " ", o);
        }
      }
    }
    PGHA_RETURN_IF_ERROR(ensure_role(u, attributes));
  }
  return absl::OkStatus();
}

absl::Status LibpqController::RunPostBootstrap() {
  const std::string& script = options_.local.bootstrap.post_bootstrap;
  if (script.empty()) return absl::OkStatus();
  PGHA_ASSIGN_OR_RETURN(std::vector<std::string> argv, SplitCommandLine(script));
  // Patroni hands the script a key=value DSN of its local connection (a URL cannot hold a
  // unix-socket directory as its host), the password through PGPASSFILE, and
  // synchronous_commit=local so that the script never waits for a replica that is not there.
  ConnParams p = LocalParams();
  p.erase("application_name");
  argv.push_back(PatroniDsn(p));
  auto r = runner_->Run({.argv = argv,
                         .env = {{"PGPASSFILE", PgpassPath()},
                                 {"PGOPTIONS", "-c synchronous_commit=local"}},
                         .timeout = absl::Hours(1)});
  if (!r.ok()) return r.status();
  if (!r->ok()) return absl::FailedPreconditionError(absl::StrCat("post_bootstrap failed: ", r->Describe()));
  return absl::OkStatus();
}

absl::Status LibpqController::WaitForEndOfRecovery(absl::Duration timeout) {
  absl::Time deadline = clock_->Monotonic() + timeout;
  while (true) {
    if (!postmaster_.Alive()) {
      return absl::FailedPreconditionError(
          "PostgreSQL stopped during the recovery of the bootstrap (recovery_target_action shutdown, or a "
          "missing WAL file?)");
    }
    auto q = Query("SELECT pg_catalog.pg_is_in_recovery()::text AS r");
    if (q.ok() && q->Get(0, "r") == std::optional<std::string>("false")) return absl::OkStatus();
    if (clock_->Monotonic() >= deadline) return absl::DeadlineExceededError("still in recovery after bootstrap");
    clock_->SleepFor(absl::Seconds(1));
  }
}

absl::Status LibpqController::Bootstrap() {
  DataDirState state = InspectDataDir();
  if (state == DataDirState::kValid || state == DataDirState::kInvalid) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to bootstrap: ", DataDir(), " is not empty"));
  }
  bool custom = options_.local.bootstrap.method != "initdb";
  PGHA_RETURN_IF_ERROR(CheckBinaries(custom ? std::vector<std::string>{"pg_ctl", "postgres"}
                                            : std::vector<std::string>{"initdb", "pg_ctl", "postgres"}));
  std::error_code ec;
  fs::create_directories(DataDir(), ec);
  ::chmod(DataDir().c_str(), 0700);
  auto fail = [&](const absl::Status& s) {
    PGHA_LOG(ERROR) << "bootstrap failed: " << s.message();
    (void)postmaster_.Stop(StopMode::kImmediate, absl::Seconds(30));
    MoveDataDirAside();
    return s;
  };
  absl::Status s = custom ? RunCustomBootstrap() : RunInitdb();
  if (!s.ok()) return fail(s);
  if (custom) {
    // Patroni's rules for a restore: the method's recovery_conf is written (with recovery.signal)
    // and the server recovers to its target before the cluster is declared bootstrapped; unless
    // keep_existing_recovery_conf, whatever recovery setup the script left is removed first.
    const Json& method = options_.local.bootstrap.method_options;
    bool keep = method.contains("keep_existing_recovery_conf") && method["keep_existing_recovery_conf"] == true;
    std::error_code ec;
    if (!keep) {
      fs::remove(DataDir() + "/recovery.signal", ec);
      fs::remove(DataDir() + "/standby.signal", ec);
    }
    bootstrap_recovery_ = method.contains("recovery_conf") && method["recovery_conf"].is_object()
                              ? method["recovery_conf"]
                              : Json::object();
    bootstrap_recovering_ = !bootstrap_recovery_.empty() || fs::exists(DataDir() + "/recovery.signal", ec);
  }
  s = KeepBaseConf(ConfigDir());
  if (!s.ok()) return fail(s);
  if (options_.effective.pg_hba.empty() && options_.local.bootstrap.pg_hba) {
    s = AppendLines(ConfigDir() + "/pg_hba.conf", *options_.local.bootstrap.pg_hba);
    if (!s.ok()) return fail(s);
  }
  // A restore may replay for hours before it accepts connections.
  s = Start(std::nullopt, false,
            bootstrap_recovering_ ? absl::Hours(24) : absl::Seconds(std::max(60, pgconf().pg_ctl_timeout)));
  if (!s.ok()) return fail(s);
  if (bootstrap_recovering_) {
    PGHA_LOG(INFO) << "waiting for end of recovery after bootstrap";
    s = WaitForEndOfRecovery(absl::Hours(24));
    bootstrap_recovering_ = false;
    bootstrap_recovery_ = Json::object();
    if (!s.ok()) return fail(s);
    // The recovery settings leave postgresql.conf (they no longer apply).
    s = WriteConfigFiles(std::nullopt, false).status();
    if (!s.ok()) return fail(s);
  }
  s = CreateRoles(custom);
  if (!s.ok()) return fail(s);
  s = RunPostBootstrap();
  if (!s.ok()) return fail(s);
  PGHA_LOG(INFO) << "bootstrapped a new cluster in " << DataDir();
  return absl::OkStatus();
}

}  // namespace pgha::pg
