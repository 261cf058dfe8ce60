// LibpqController: construction, shared helpers and the server lifecycle (start, stop, restart,
// reload, promote, follow).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <pwd.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "controller_impl.h"
#include "pgha/base/log.h"
#include "pgha/base/status_macros.h"
#include "pgha/base/version.h"
#include "pgha/config/address.h"
#include "pgha/postgres/parameter_check.h"

namespace pgha::pg {
namespace {
namespace fs = std::filesystem;
}  // namespace

std::unique_ptr<PostgresController> MakePostgresController(ControllerOptions options) {
  return std::make_unique<LibpqController>(std::move(options));
}

LibpqController::LibpqController(ControllerOptions options)
    : options_(std::move(options)),
      runner_(options_.runner),
      owned_runner_(options_.runner == nullptr ? std::make_unique<PosixProcessRunner>() : nullptr),
      clock_(options_.clock != nullptr ? options_.clock : RealClock::Get()),
      postmaster_(options_.runner != nullptr ? options_.runner : owned_runner_.get(),
                  options_.local.postgresql.Binary("pg_ctl"), options_.local.postgresql.data_dir,
                  options_.local.postgresql.data_dir + "/postmaster.log"),
      callbacks_(options_.runner != nullptr ? options_.runner : owned_runner_.get()) {
  if (runner_ == nullptr) runner_ = owned_runner_.get();
  absl::Status pgpass = WritePgpassFile();
  if (!pgpass.ok()) PGHA_LOG(ERROR) << pgpass.message();
}

LibpqController::~LibpqController() = default;

std::string LibpqController::ConfigDir() const {
  return pgconf().config_dir.empty() ? DataDir() : pgconf().config_dir;
}

std::string LibpqController::PgpassPath() const {
  if (!pgconf().pgpass.empty()) return pgconf().pgpass;
  // ~/pgpass as Patroni; never a world-writable directory such as /tmp, where another user
  // could plant the file (or a link) first: without HOME, the user database's home; failing
  // that, beside the data directory, which only this user may write.
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home == '/') return absl::StrCat(home, "/pgpass");
  if (passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr && *pw->pw_dir == '/') {
    return absl::StrCat(pw->pw_dir, "/pgpass");
  }
  std::string data = DataDir();
  return absl::StrCat(data.substr(0, data.find_last_of('/') + 1), "pgpass");
}

std::string LibpqController::ListenAddresses() const {
  auto colon = pgconf().listen.rfind(':');
  return colon == std::string::npos ? pgconf().listen : pgconf().listen.substr(0, colon);
}

int LibpqController::Port() const {
  auto parsed = config::ParseListenAddresses(pgconf().listen);
  return parsed.ok() && !parsed->empty() ? parsed->front().port : 5432;
}

ConnParams LibpqController::LocalParams(const std::string& dbname) const {
  std::string host;
  if (pgconf().use_unix_socket) {
    const Json& dirs = options_.effective.parameters.value("unix_socket_directories", Json(""));
    std::string first = dirs.is_string() ? dirs.get<std::string>() : "";
    host = std::string(absl::StripAsciiWhitespace(first.substr(0, first.find(','))));
  } else {
    std::string listen = ListenAddresses();
    host = std::string(absl::StripAsciiWhitespace(listen.substr(0, listen.find(','))));
    if (host == "::") {
      host = "::1";
    } else if (config::IsWildcardHost(host)) {
      host = "127.0.0.1";
    }
  }
  ConnParams p = {{"host", host},
                  {"port", std::to_string(Port())},
                  {"user", pgconf().superuser.username},
                  {"dbname", dbname},
                  {"passfile", PgpassPath()},
                  {"application_name", "pgha"},
                  {"connect_timeout", "3"},
                  // A stuck query must never stall the HA loop.
                  {"options", "-c statement_timeout=10000"}};
  for (const auto& [k, v] : pgconf().superuser.ssl_options) p[k] = v;
  return p;
}

ConnParams LibpqController::RemoteParams(const Upstream& upstream, const config::UserAuth& user,
                                         const std::string& dbname) const {
  ConnParams p = {{"host", upstream.host},
                  {"port", std::to_string(upstream.port)},
                  {"user", user.username},
                  {"dbname", dbname},
                  {"passfile", PgpassPath()},
                  {"application_name", options_.local.name},
                  {"connect_timeout", "3"}};
  for (const auto& [k, v] : user.ssl_options) p[k] = v;
  return p;
}

int LibpqController::ServerMajorVersion() const {
  std::ifstream in(DataDir() + "/PG_VERSION");
  int major = 0;
  if (!(in >> major)) return 0;
  return major;
}

const config::UserAuth& LibpqController::RewindUser() const {
  return pgconf().rewind ? *pgconf().rewind : pgconf().superuser;
}

ConfFileInputs LibpqController::Inputs(const std::optional<Upstream>& upstream,
                                       bool as_standby) const {
  ConfFileInputs in;
  in.data_dir = DataDir();
  in.config_dir = ConfigDir();
  in.scope = options_.local.scope;
  in.listen_addresses = ListenAddresses();
  in.port = Port();
  // Parameters the server's version does not have are converted or dropped, as Patroni does
  // (a wal_keep_segments left over from PostgreSQL 12 would stop 15 from starting).
  std::vector<std::string> notes;
  int major = ServerMajorVersion();
  if (major > 0 && !available_parameters_) available_parameters_ = AvailableParameters(Bin("postgres"));
  in.parameters = ParametersForServer(options_.effective.parameters, major, &notes,
                                      available_parameters_.value_or(std::set<std::string>{}));
  for (const auto& note : notes) PGHA_LOG(WARNING) << "postgresql.parameters: " << note;
  if (have_sync_names_override_) {
    in.parameters["synchronous_standby_names"] = synchronous_standby_names_;
  }
  in.custom_conf = pgconf().custom_conf;
  if (!as_standby && bootstrap_recovering_) in.archive_recovery = bootstrap_recovery_;
  in.recovery_conf = options_.effective.recovery_conf;
  if (as_standby && upstream) {
    // A standby cluster's settings win over the local recovery_conf (Patroni's rule).
    for (const auto& [name, value] : upstream->recovery_settings) in.recovery_conf[name] = value;
  }
  if (as_standby && !options_.local.tags.nofailover) {
    // A replica keeps copies of the permanent logical slots (to be current after a failover);
    // the primary must then keep the catalog rows they need: hot_standby_feedback, as Patroni
    // enforces it.
    for (const auto& slot : options_.effective.dynamic.slots) {
      if (slot.type == "logical" && slot.cluster_type != "standby") in.parameters["hot_standby_feedback"] = "on";
    }
  }
  if (as_standby) {
    StandbySettings s;
    if (upstream) s.upstream = *upstream;
    s.application_name = options_.local.name;
    s.user = pgconf().replication.username;
    s.ssl_options = pgconf().replication.ssl_options;
    s.passfile = PgpassPath();
    if (options_.effective.use_slots) {
      s.slot_name = upstream && upstream->slot_name ? *upstream->slot_name : SlotNameForMember(options_.local.name);
    }
    if (!upstream || options_.local.tags.nostream) {
      // Without an upstream (no leader yet) or tagged nostream (as Patroni has it), the standby
      // replays archived WAL (restore_command) and pg_wal only: no conninfo, no slot.
      s.upstream.host.clear();
      s.slot_name.clear();
    }
    in.standby = s;
  }
  return in;
}

absl::Status LibpqController::WritePgpassFile() {
  std::vector<config::UserAuth> users = {pgconf().superuser, pgconf().replication};
  if (pgconf().rewind) users.push_back(*pgconf().rewind);
  return WritePgpass(PgpassPath(), users);
}

absl::StatusOr<bool> LibpqController::WriteConfigFiles(const std::optional<Upstream>& upstream,
                                                       bool as_standby) {
  PGHA_RETURN_IF_ERROR(WritePgpassFile());
  ConfFileInputs in = Inputs(upstream, as_standby);
  PGHA_ASSIGN_OR_RETURN(bool changed, WritePostgresqlConf(in));
  if (!options_.effective.pg_hba.empty()) {
    PGHA_ASSIGN_OR_RETURN(bool hba, WriteLinesFile(ConfigDir() + "/pg_hba.conf", options_.effective.pg_hba));
    changed = changed || hba;
  }
  if (!options_.effective.pg_ident.empty()) {
    PGHA_ASSIGN_OR_RETURN(bool ident,
                          WriteLinesFile(ConfigDir() + "/pg_ident.conf", options_.effective.pg_ident));
    changed = changed || ident;
  }
  PGHA_RETURN_IF_ERROR(SetStandbySignal(DataDir(), as_standby, !as_standby && bootstrap_recovering_));
  last_upstream_ = upstream;
  last_as_standby_ = as_standby;
  return changed;
}

void LibpqController::DropConnection() {
  std::lock_guard<std::mutex> lock(conn_mu_);
  conn_.reset();
}

absl::StatusOr<QueryResult> LibpqController::Query(const std::string& sql,
                                                   const std::vector<std::string>& params) {
  // The loop and the worker both query: connect, query and drop under one lock.
  std::lock_guard<std::mutex> lock(conn_mu_);
  if (!conn_ || !conn_->Healthy()) {
    conn_.reset();
    PGHA_ASSIGN_OR_RETURN(conn_, PgConnection::Connect(LocalParams()));
  }
  auto result = conn_->Query(sql, params);
  if (absl::IsUnavailable(result.status())) conn_.reset();
  return result;
}

absl::Status LibpqController::CheckBinaries(const std::vector<std::string>& programs) const {
  for (const auto& program : programs) {
    std::string path = Bin(program);
    bool found = path.find('/') != std::string::npos ? ::access(path.c_str(), X_OK) == 0 : true;
    if (!found) {
      return absl::FailedPreconditionError(absl::StrCat(
          "PostgreSQL program ", path, " is missing or not executable (check postgresql.bin_dir)"));
    }
  }
  return absl::OkStatus();
}

DataDirState LibpqController::InspectDataDir() const {
  std::error_code ec;
  fs::path dir(DataDir());
  if (!fs::exists(dir, ec)) return DataDirState::kMissing;
  if (!fs::is_directory(dir, ec)) return DataDirState::kInvalid;
  if (fs::is_empty(dir, ec)) return DataDirState::kEmpty;
  if (!fs::exists(dir / "PG_VERSION", ec) || !fs::exists(dir / "global" / "pg_control", ec)) {
    return DataDirState::kInvalid;
  }
  return DataDirState::kValid;
}

void LibpqController::MoveDataDirAside() {
  std::error_code ec;
  std::string failed = DataDir() + ".failed";
  fs::remove_all(failed, ec);
  fs::rename(DataDir(), failed, ec);
  if (ec) {
    PGHA_LOG(ERROR) << "could not move " << DataDir() << " to " << failed << ": " << ec.message();
  } else {
    PGHA_LOG(WARNING) << "moved the data directory of the failed bootstrap to " << failed;
  }
}

absl::Status LibpqController::WaitUntilAccepting(absl::Duration timeout) {
  absl::Time deadline = clock_->Monotonic() + timeout;
  absl::Time grace = clock_->Monotonic() + absl::Seconds(2);
  while (true) {
    if (PgConnection::Connect(LocalParams()).ok()) return absl::OkStatus();
    // pg_ctl -W returns before the postmaster wrote its pid file: allow a moment for it.
    if (!postmaster_.Alive() && clock_->Monotonic() > grace) {
      return absl::FailedPreconditionError(
          absl::StrCat("PostgreSQL did not start: ", postmaster_.LogTail()));
    }
    if (clock_->Monotonic() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "PostgreSQL is not accepting connections after ", absl::FormatDuration(timeout)));
    }
    clock_->SleepFor(absl::Milliseconds(100));
  }
}

absl::Status LibpqController::ApplyConfig(const config::EffectiveConfig& effective) {
  options_.effective = effective;
  if (InspectDataDir() != DataDirState::kValid) return absl::OkStatus();
  PGHA_ASSIGN_OR_RETURN(bool changed, WriteConfigFiles(last_upstream_, last_as_standby_));
  if (changed && postmaster_.Alive()) {
    PGHA_RETURN_IF_ERROR(Reload());
  }
  return absl::OkStatus();
}

absl::Status LibpqController::Start(const std::optional<Upstream>& upstream, bool as_standby,
                                    absl::Duration timeout) {
  PGHA_RETURN_IF_ERROR(CheckBinaries({"pg_ctl", "postgres"}));
  if (InspectDataDir() != DataDirState::kValid) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start PostgreSQL: ", DataDir(), " is not a valid data directory"));
  }
  if (postmaster_.Alive()) return WaitUntilAccepting(timeout);
  PGHA_RETURN_IF_ERROR(WriteConfigFiles(upstream, as_standby).status());
  PGHA_LOG(INFO) << "starting PostgreSQL as " << (as_standby ? "a standby" : "primary")
                 << (upstream ? absl::StrCat(" of ", upstream->name) : std::string());
  PGHA_RETURN_IF_ERROR(postmaster_.Start(CommandLineGucs(Inputs(upstream, as_standby))));
  absl::Status ready = WaitUntilAccepting(timeout);
  if (ready.ok()) RunCallback(CallbackAction::kOnStart, as_standby ? "replica" : "primary");
  return ready;
}

absl::Status LibpqController::Stop(StopMode mode, absl::Duration timeout) {
  if (!postmaster_.Alive()) return absl::OkStatus();
  if (!pgconf().before_stop.empty()) {
    auto argv = SplitCommandLine(pgconf().before_stop);
    if (argv.ok() && !argv->empty()) {
      auto r = runner_->Run({.argv = *argv, .timeout = absl::Seconds(60)});
      if (!r.ok() || !r->ok()) PGHA_LOG(WARNING) << "before_stop failed (ignored)";
    }
  }
  DropConnection();
  PGHA_LOG(INFO) << "stopping PostgreSQL (" << StopModeName(mode) << ")";
  absl::Status s = postmaster_.Stop(mode, timeout);
  if (s.ok()) RunCallback(CallbackAction::kOnStop, last_as_standby_ ? "replica" : "primary");
  return s;
}

absl::Status LibpqController::Restart(const std::optional<Upstream>& upstream, bool as_standby,
                                      absl::Duration timeout) {
  PGHA_RETURN_IF_ERROR(Stop(StopMode::kFast, absl::Seconds(pgconf().pg_ctl_timeout)));
  absl::Status s = Start(upstream, as_standby, timeout);
  if (s.ok()) RunCallback(CallbackAction::kOnRestart, as_standby ? "replica" : "primary");
  return s;
}

absl::Status LibpqController::Reload() {
  PGHA_RETURN_IF_ERROR(postmaster_.Reload());
  RunCallback(CallbackAction::kOnReload, last_as_standby_ ? "replica" : "primary");
  return absl::OkStatus();
}

absl::Status LibpqController::Promote(absl::Duration timeout) {
  PGHA_ASSIGN_OR_RETURN(QueryResult r, Query("SELECT pg_catalog.pg_is_in_recovery()::text AS r"));
  if (r.Get(0, "r") == std::optional<std::string>("false")) return absl::OkStatus();
  if (!pgconf().pre_promote.empty()) {
    PGHA_ASSIGN_OR_RETURN(auto argv, SplitCommandLine(pgconf().pre_promote));
    auto pre = runner_->Run({.argv = argv, .timeout = absl::Seconds(60)});
    if (!pre.ok() || !pre->ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "pre_promote script failed: ", pre.ok() ? pre->Describe() : std::string(pre.status().message())));
    }
  }
  PGHA_LOG(INFO) << "promoting PostgreSQL";
  PGHA_RETURN_IF_ERROR(postmaster_.Promote());
  absl::Time deadline = clock_->Monotonic() + timeout;
  while (true) {
    auto q = Query("SELECT pg_catalog.pg_is_in_recovery()::text AS r");
    if (q.ok() && q->Get(0, "r") == std::optional<std::string>("false")) break;
    if (clock_->Monotonic() >= deadline) {
      return absl::DeadlineExceededError("PostgreSQL is still in recovery after promote");
    }
    clock_->SleepFor(absl::Milliseconds(100));
  }
  // Only now: the startup process removes standby.signal itself at the end of recovery, and
  // fails if the file vanished under it. From here on the files describe a primary.
  PGHA_RETURN_IF_ERROR(WriteConfigFiles(std::nullopt, false).status());
  RunCallback(CallbackAction::kOnRoleChange, "primary");
  return absl::OkStatus();
}

absl::Status LibpqController::Follow(const std::optional<Upstream>& upstream,
                                     absl::Duration timeout) {
  bool same = last_as_standby_ && ((!upstream && !last_upstream_) ||
                                   (upstream && last_upstream_ && *upstream == *last_upstream_));
  if (same && postmaster_.Alive()) return absl::OkStatus();
  PGHA_ASSIGN_OR_RETURN(bool changed, WriteConfigFiles(upstream, true));
  if (!postmaster_.Alive()) return Start(upstream, true, timeout);
  if (!changed) return absl::OkStatus();
  // primary_conninfo is reloadable since PostgreSQL 13; a running primary must restart anyway.
  auto in_recovery = Query("SELECT pg_catalog.pg_is_in_recovery()::text AS r");
  bool is_standby = in_recovery.ok() && in_recovery->Get(0, "r") == std::optional<std::string>("true");
  PGHA_LOG(INFO) << "following " << (upstream ? upstream->name : std::string("no upstream"));
  if (is_standby) return postmaster_.Reload();
  PGHA_RETURN_IF_ERROR(Stop(StopMode::kFast, absl::Seconds(pgconf().pg_ctl_timeout)));
  absl::Status s = Start(upstream, true, timeout);
  if (s.ok()) RunCallback(CallbackAction::kOnRoleChange, "replica");
  return s;
}

absl::Status LibpqController::RemoveDataDirectory() {
  if (postmaster_.Alive()) {
    return absl::FailedPreconditionError("refusing to remove the data directory of a running server");
  }
  PGHA_LOG(WARNING) << "removing data directory " << DataDir();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(DataDir(), ec)) fs::remove_all(entry.path(), ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat("cannot empty ", DataDir(), ": ", ec.message()));
  }
  last_upstream_.reset();
  return absl::OkStatus();
}

absl::Status LibpqController::SetSynchronousStandbyNames(const std::string& value) {
  if (have_sync_names_override_ && synchronous_standby_names_ == value) return absl::OkStatus();
  synchronous_standby_names_ = value;
  have_sync_names_override_ = true;
  PGHA_ASSIGN_OR_RETURN(bool changed, WriteConfigFiles(last_upstream_, last_as_standby_));
  if (!changed || !postmaster_.Alive()) return absl::OkStatus();
  PGHA_RETURN_IF_ERROR(postmaster_.Reload());
  // A commit waiting for standbys is released only when a standby's reply reaches a walsender
  // under the new setting, and an idle standby replies every wal_receiver_status_interval
  // (10 s): once this backend sees the new value (the walsenders get the same SIGHUP), write a
  // little WAL, asynchronously committed, so that the standbys answer now (Patroni does too).
  absl::Time deadline = clock_->Monotonic() + absl::Seconds(1);
  while (clock_->Monotonic() < deadline) {
    auto shown = Query("SELECT pg_catalog.current_setting('synchronous_standby_names') AS v, "
                       "pg_catalog.pg_is_in_recovery()::text AS r");
    if (!shown.ok() || shown->Get(0, "r") != std::optional<std::string>("false")) return absl::OkStatus();
    if (shown->Get(0, "v") == std::optional<std::string>(value)) {
      (void)Query("DO $$BEGIN SET LOCAL synchronous_commit = 'off'; PERFORM pg_catalog.txid_current(); END$$");
      return absl::OkStatus();
    }
    clock_->SleepFor(absl::Milliseconds(10));
  }
  return absl::OkStatus();
}

absl::Status LibpqController::Checkpoint() { return Query("CHECKPOINT").status(); }

void LibpqController::RunCallback(CallbackAction action, const std::string& role) {
  const config::Callbacks& cb = pgconf().callbacks;
  const std::string* command = nullptr;
  switch (action) {
    case CallbackAction::kOnStart:
      command = &cb.on_start;
      break;
    case CallbackAction::kOnStop:
      command = &cb.on_stop;
      break;
    case CallbackAction::kOnRestart:
      command = &cb.on_restart;
      break;
    case CallbackAction::kOnReload:
      command = &cb.on_reload;
      break;
    case CallbackAction::kOnRoleChange:
      command = &cb.on_role_change;
      break;
  }
  if (command == nullptr || command->empty()) return;
  callbacks_.Run(*command,
                 {CallbackActionName(action), PatroniRoleWord(role), options_.local.scope},
                 action == CallbackAction::kOnReload);
}

}  // namespace pgha::pg
