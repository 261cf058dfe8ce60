// The Postgres controller against real PostgreSQL 15: bootstrap, clone, replicate, promote,
// rewind, reinit, callbacks, and clear errors that touch no data.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <filesystem>

#include <csignal>

#include "absl/strings/str_cat.h"
#include "executor.h"
#include "node_config.h"
#include "pg_connection.h"
#include "pgha/config/loader.h"
#include "pgha/postgres/controller.h"
#include "pgha/postgres/fence.h"
#include "ports.h"
#include "server_process.h"
#include "status_testing.h"
#include "temp_dir.h"
#include "pgha/base/process_runner.h"
#include "wait.h"

namespace pgha {
namespace {

namespace fs = std::filesystem;

struct Node {
  testing::NodeSpec spec;
  config::Config config;
  std::unique_ptr<pg::PostgresController> pg;

  Node() = default;
  Node(Node&&) = default;
  // Whatever happened in the test, the servers it started are stopped.
  ~Node() {
    if (pg) (void)pg->Stop(pg::StopMode::kImmediate, absl::Seconds(30));
  }

  pg::Upstream AsUpstream() const { return {spec.name, "127.0.0.1", spec.pg_port}; }

  // Runs SQL as the superuser over TCP; returns the first column of each row.
  absl::StatusOr<std::vector<std::string>> Sql(const std::string& sql) const {
    auto conn = pg::PgConnection::Connect({{"host", "127.0.0.1"},
                                           {"port", std::to_string(spec.pg_port)},
                                           {"user", "postgres"},
                                           {"dbname", "postgres"},
                                           {"passfile", spec.dir + "/pgpass"}});
    if (!conn.ok()) return conn.status();
    auto r = (*conn)->Query(sql);
    if (!r.ok()) return r.status();
    std::vector<std::string> out;
    for (const auto& row : r->rows) out.push_back(row.empty() || !row[0] ? "" : *row[0]);
    return out;
  }
};

Node MakeNode(const testing::TempDir& root, const std::string& name,
              const std::string& extra_postgresql = "", const std::string& bin_dir = "",
              const std::string& extra_parameters = "", const std::string& extra_bootstrap = "",
              const std::string& wal_keep = "", const std::string& tags_yaml = "") {
  Node n;
  n.spec.name = name;
  n.spec.dir = root.Sub(name);
  n.spec.pg_port = testing::FreePort();
  n.spec.api_port = testing::FreePort();
  n.spec.bin_dir = bin_dir;
  n.spec.extra_postgresql = extra_postgresql;
  n.spec.extra_parameters = extra_parameters;
  n.spec.extra_bootstrap = extra_bootstrap;
  if (!wal_keep.empty()) n.spec.wal_keep = wal_keep;
  n.spec.tags_yaml = tags_yaml;
  fs::create_directories(n.spec.dir);
  std::string path = root.WriteFile(name + ".yml", testing::NodeYaml(n.spec));
  auto loaded = config::LoadLocalConfig(path, {});
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics.all()) FAIL(d.ToString());
  }
  n.config = *loaded.config;
  std::vector<std::string> warnings;
  pg::ControllerOptions options;
  options.local = n.config;
  options.effective = config::BuildEffectiveConfig(n.config, n.config.bootstrap.dcs, &warnings);
  n.pg = pg::MakePostgresController(options);
  return n;
}

void RequirePostgres() {
  if (testing::PostgresBinDir().empty()) testing::SkipBinary("PostgreSQL 15 is not installed");
  if (::geteuid() == 0) testing::SkipBinary("PostgreSQL refuses to run as root; run through ctest");
}

bool HasRow(const Node& n, const std::string& table, const std::string& value) {
  auto rows = n.Sql(absl::StrCat("SELECT v FROM ", table, " WHERE v = '", value, "'"));
  return rows.ok() && rows->size() == 1;
}

TEST_CASE("bootstrap, clone, replicate, promote, rewind the old primary, and reinit a replica") {
  RequirePostgres();
  testing::TempDir root("pgha-pg");
  std::string calls = root.Sub("callbacks.log");
  std::string script = root.WriteFile("callback.sh", "#!/bin/sh\necho \"$@\" >> " + calls + "\n");
  fs::permissions(script, fs::perms::owner_all);
  std::string callbacks = absl::StrCat("  callbacks:\n    on_role_change: ", script, "\n    on_start: ", script, "\n");
  Node a = MakeNode(root, "a", callbacks);
  Node b = MakeNode(root, "b", callbacks);

  // A new cluster on a.
  REQUIRE_OK(a.pg->Bootstrap());
  pg::Observation oa = a.pg->Observe();
  REQUIRE(oa.running());
  CHECK_FALSE(oa.in_recovery);
  REQUIRE(oa.system_identifier);
  CHECK(oa.timeline == 1);
  CHECK(oa.data_dir == pg::DataDirState::kValid);
  // Patroni's way of owning the configuration: ours includes the original.
  CHECK(fs::exists(a.spec.dir + "/data/postgresql.base.conf"));
  CHECK(testing::ReadFile(a.spec.dir + "/data/postgresql.conf").find("include 'postgresql.base.conf'") !=
        std::string::npos);
  // The configured roles exist; the passwords are not in any configuration file.
  auto roles = a.Sql("SELECT rolname FROM pg_roles WHERE rolname IN ('replicator','rewinder') ORDER BY 1");
  REQUIRE_OK(roles);
  CHECK(*roles == std::vector<std::string>{"replicator", "rewinder"});
  CHECK(testing::ReadFile(a.spec.dir + "/data/postgresql.conf").find("rep-pass") == std::string::npos);
  CHECK((fs::status(a.spec.dir + "/pgpass").permissions() & fs::perms::group_read) == fs::perms::none);
  REQUIRE_OK(a.pg->SyncReplicationSlots({{pg::SlotNameForMember("b")}}, {}));
  REQUIRE_OK(a.Sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('before-clone')"));

  // b clones from a and streams.
  REQUIRE_OK(b.pg->CreateReplica({a.AsUpstream()}));
  REQUIRE_OK(b.pg->Start(a.AsUpstream(), true, absl::Seconds(60)));
  REQUIRE_OK(a.Sql("INSERT INTO t VALUES ('streamed')"));
  REQUIRE(testing::WaitFor([&] { return HasRow(b, "t", "streamed"); }, absl::Seconds(60)));
  pg::Observation ob = b.pg->Observe();
  CHECK(ob.in_recovery);
  CHECK(ob.system_identifier == oa.system_identifier);
  REQUIRE(testing::WaitFor([&] { return b.pg->Observe().replication_state == "streaming"; }, absl::Seconds(30)));
  REQUIRE(testing::WaitFor([&] {
    auto o = a.pg->Observe();
    return o.replication.size() == 1 && o.replication[0].application_name == "b";
  }, absl::Seconds(30)));
  auto slot = a.Sql("SELECT active::text FROM pg_replication_slots WHERE slot_name = 'b'");
  REQUIRE_OK(slot);
  CHECK(*slot == std::vector<std::string>{"true"});

  // b becomes primary (a keeps running: a split brain we then repair).
  REQUIRE_OK(b.pg->Promote(absl::Seconds(60)));
  ob = b.pg->Observe();
  CHECK_FALSE(ob.in_recovery);
  CHECK(ob.timeline == 2);
  // As the HA loop does on a new primary: a slot for every other member.
  REQUIRE_OK(b.pg->SyncReplicationSlots({{pg::SlotNameForMember("a")}}, {}));
  REQUIRE_OK(b.Sql("INSERT INTO t VALUES ('after-promote')"));
  REQUIRE_OK(a.Sql("INSERT INTO t VALUES ('diverged')"));  // written on the old timeline only
  REQUIRE_OK(a.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
  CHECK_FALSE(a.pg->Observe().postmaster_alive);

  // a has diverged: it rewinds, then follows b and sees b's rows, not its own stray write.
  REQUIRE(a.pg->CanRewind());
  auto needs = a.pg->NeedsRewind(b.AsUpstream());
  REQUIRE_OK(needs);
  CHECK(*needs);
  REQUIRE_OK(a.pg->Rewind(b.AsUpstream()));
  REQUIRE_OK(a.pg->Start(b.AsUpstream(), true, absl::Seconds(60)));
  REQUIRE_OK(b.Sql("INSERT INTO t VALUES ('after-rewind')"));
  REQUIRE(testing::WaitFor([&] { return HasRow(a, "t", "after-rewind"); }, absl::Seconds(60)));
  CHECK(HasRow(a, "t", "after-promote"));
  CHECK_FALSE(HasRow(a, "t", "diverged"));
  CHECK(a.pg->Observe().in_recovery);
  // Now in step: no rewind needed.
  auto again = a.pg->NeedsRewind(b.AsUpstream());
  REQUIRE_OK(again);
  CHECK_FALSE(*again);

  // Reinitialize a: wipe and clone again from b.
  REQUIRE_OK(a.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
  REQUIRE_OK(a.pg->RemoveDataDirectory());
  CHECK(a.pg->Observe().data_dir == pg::DataDirState::kEmpty);
  REQUIRE_OK(a.pg->CreateReplica({b.AsUpstream()}));
  REQUIRE_OK(a.pg->Start(b.AsUpstream(), true, absl::Seconds(60)));
  REQUIRE_OK(b.Sql("INSERT INTO t VALUES ('after-reinit')"));
  REQUIRE(testing::WaitFor([&] { return HasRow(a, "t", "after-reinit"); }, absl::Seconds(60)));

  // Callbacks ran with Patroni's arguments: <action> <role> <scope>.
  REQUIRE(testing::WaitFor([&] {
    return testing::ReadFile(calls).find("on_role_change master pgtest") != std::string::npos;
  }, absl::Seconds(30)));
  CHECK(testing::ReadFile(calls).find("on_start replica pgtest") != std::string::npos);

  CHECK_OK(a.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
  CHECK_OK(b.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
}

TEST_CASE("two nodes promoted independently to the same timeline number have diverged") {
  RequirePostgres();
  testing::TempDir root("pgha-pg");
  Node a = MakeNode(root, "a"), b = MakeNode(root, "b"), c = MakeNode(root, "c");
  REQUIRE_OK(a.pg->Bootstrap());
  REQUIRE_OK(a.Sql("CREATE TABLE t (v text)"));
  REQUIRE_OK(a.pg->SyncReplicationSlots({{pg::SlotNameForMember("b")}, {pg::SlotNameForMember("c")}}, {}));
  for (Node* r : {&b, &c}) {
    REQUIRE_OK(r->pg->CreateReplica({a.AsUpstream()}));
    REQUIRE_OK(r->pg->Start(a.AsUpstream(), true, absl::Seconds(60)));
  }
  // b is promoted; a keeps writing and c keeps following a; then c is promoted too: both are on
  // timeline 2, from different switch points.
  REQUIRE_OK(b.pg->Promote(absl::Seconds(60)));
  REQUIRE_OK(a.Sql("INSERT INTO t VALUES ('after-b')"));
  REQUIRE(testing::WaitFor([&] { return HasRow(c, "t", "after-b"); }, absl::Seconds(60)));
  REQUIRE_OK(c.pg->Promote(absl::Seconds(60)));
  pg::Observation ob = b.pg->ObservePositions(), oc = c.pg->ObservePositions();
  REQUIRE(ob.accepting);
  CHECK_FALSE(ob.in_recovery);
  CHECK(ob.timeline == 2);
  CHECK(oc.timeline == 2);
  CHECK(ob.current_lsn.has_value());
  REQUIRE_OK(c.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
  CHECK_FALSE(c.pg->ObservePositions().accepting);

  auto needs = c.pg->NeedsRewind(b.AsUpstream());
  REQUIRE_OK(needs);
  CHECK(*needs);
  // pg_rewind cannot repair this (it sees equal timelines and does nothing): the check still
  // says diverged, which is what makes the rejoin task re-clone or refuse instead of following.
  REQUIRE(c.pg->CanRewind());
  REQUIRE_OK(c.pg->Rewind(b.AsUpstream()));
  auto after_rewind = c.pg->NeedsRewind(b.AsUpstream());
  REQUIRE_OK(after_rewind);
  CHECK(*after_rewind);
  // A re-clone is in step.
  REQUIRE_OK(c.pg->RemoveDataDirectory());
  REQUIRE_OK(c.pg->CreateReplica({b.AsUpstream()}));
  REQUIRE_OK(c.pg->Start(b.AsUpstream(), true, absl::Seconds(60)));
  auto again = c.pg->NeedsRewind(b.AsUpstream());
  REQUIRE_OK(again);
  CHECK_FALSE(*again);
}

TEST_CASE("a broken bin_dir gives a clear error and touches no data") {
  RequirePostgres();
  testing::TempDir root("pgha-pg");
  Node good = MakeNode(root, "good");
  REQUIRE_OK(good.pg->Bootstrap());
  REQUIRE_OK(good.Sql("CREATE TABLE keep (v text); INSERT INTO keep VALUES ('precious')"));
  REQUIRE_OK(good.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));

  Node broken = MakeNode(root, "broken", "", "/nonexistent/pgsql/bin");
  absl::Status boot = broken.pg->Bootstrap();
  CHECK_FALSE(boot.ok());
  CHECK(std::string(boot.message()).find("/nonexistent/pgsql/bin/initdb") != std::string::npos);
  CHECK_FALSE(fs::exists(broken.spec.dir + "/data"));
  CHECK_FALSE(fs::exists(broken.spec.dir + "/data.failed"));

  // The same broken bin_dir pointed at good's data: start refuses, the data stays.
  broken.config.postgresql.data_dir = good.config.postgresql.data_dir;
  pg::ControllerOptions options;
  options.local = broken.config;
  std::vector<std::string> w;
  options.effective = config::BuildEffectiveConfig(broken.config, broken.config.bootstrap.dcs, &w);
  auto on_good_data = pg::MakePostgresController(options);
  absl::Status start = on_good_data->Start(std::nullopt, false, absl::Seconds(10));
  CHECK_FALSE(start.ok());
  CHECK(std::string(start.message()).find("bin_dir") != std::string::npos);
  CHECK(fs::exists(good.spec.dir + "/data/PG_VERSION"));
  REQUIRE_OK(good.pg->Start(std::nullopt, false, absl::Seconds(60)));
  CHECK(HasRow(good, "keep", "precious"));
  CHECK_OK(good.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
}

TEST_CASE("role passwords set at bootstrap stay out of the server log under log_statement=all") {
  RequirePostgres();
  testing::TempDir root("pgha-pg");
  Node n = MakeNode(root, "n", "", "", "    log_statement: all\n    log_min_duration_statement: 0\n");
  REQUIRE_OK(n.pg->Bootstrap());
  REQUIRE_OK(n.Sql("SELECT 'after the roles'"));
  std::string log = testing::ReadFile(n.spec.dir + "/data/postmaster.log");
  // Statement logging was on (the check below could fail)...
  CHECK(log.find("after the roles") != std::string::npos);
  // ...and no password of the configuration reached the log.
  for (const char* secret : {"super secret", "rep-pass", "rewind-pass"}) {
    INFO(secret);
    CHECK(log.find(secret) == std::string::npos);
  }
  CHECK_OK(n.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
}

TEST_CASE("post_bootstrap gets a key=value DSN that reaches the server over its unix socket") {
  RequirePostgres();
  testing::TempDir root("pgha-pg");
  std::string dir = root.Sub("n");
  fs::create_directories(dir);
  // The script records its argument and uses it, as a DBA's script would.
  std::string script = root.WriteFile(
      "post_bootstrap.sh",
      absl::StrCat("#!/bin/sh\necho \"$1\" > ", dir, "/dsn\nexec ", testing::PostgresBinDir(),
                   "/psql -w -X -q -c 'CREATE TABLE post_bootstrap_ran (v int)' \"$1\"\n"));
  fs::permissions(script, fs::perms::owner_all);
  Node n = MakeNode(root, "n", "  use_unix_socket: true\n", "", "",
                    absl::StrCat("  post_bootstrap: ", script, "\n"));
  REQUIRE_OK(n.pg->Bootstrap());
  std::string dsn = testing::ReadFile(dir + "/dsn");
  INFO(dsn);
  CHECK(dsn.find("dbname=postgres user=postgres host=" + dir + " port=" + std::to_string(n.spec.pg_port)) == 0);
  CHECK(dsn.find("postgres://") == std::string::npos);
  CHECK(dsn.find("secret") == std::string::npos);
  CHECK_OK(n.Sql("SELECT count(*) FROM post_bootstrap_ran"));
  CHECK_OK(n.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
}

TEST_CASE("slots: the missing ones are created, exactly the ones named are dropped") {
  RequirePostgres();
  testing::TempDir root("pgha-pg");
  Node n = MakeNode(root, "n");
  REQUIRE_OK(n.pg->Bootstrap());
  REQUIRE_OK(n.Sql("SELECT pg_create_physical_replication_slot('barman')"));
  REQUIRE_OK(n.Sql("SELECT pg_create_physical_replication_slot('stray')"));
  REQUIRE_OK(n.pg->SyncReplicationSlots({{"member_b"}}, {"stray", "absent"}));
  auto slots = n.Sql("SELECT slot_name FROM pg_replication_slots ORDER BY 1");
  REQUIRE_OK(slots);
  CHECK(*slots == std::vector<std::string>{"barman", "member_b"});
  CHECK_OK(n.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
}

TEST_CASE("wal_keep_segments from an old configuration, a misspelt parameter or a value out of range does not stop PostgreSQL 15 from starting") {
  RequirePostgres();
  testing::TempDir root("pgha-pg");
  // Patroni's example postgres0.yml carries wal_keep_segments: 8 in bootstrap.dcs; PostgreSQL
  // 13+ refuses the name at start. It becomes wal_keep_size (16 MB a segment).
  // A misspelt name and a value out of range would stop it too: they are left out.
  Node old = MakeNode(root, "old", "", "", "    wrok_mem: 4MB\n    random_page_cost: -1\n", "",
                      "        wal_keep_segments: 10\n");
  REQUIRE_OK(old.pg->Bootstrap());
  auto size = old.Sql("SHOW wal_keep_size");
  REQUIRE_OK(size);
  CHECK(size->front() == "160MB");
  auto cost = old.Sql("SHOW random_page_cost");
  REQUIRE_OK(cost);
  CHECK(cost->front() == "4");
  CHECK_OK(old.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
}

// A base backup of `n` in `dir` (pg_basebackup with streamed WAL), as a backup tool keeps one.
bool TakeBaseBackup(const Node& n, const std::string& dir) {
  PosixProcessRunner runner;
  auto taken = runner.Run({.argv = {testing::PostgresBinDir() + "/pg_basebackup", "-h", "127.0.0.1", "-p",
                                    std::to_string(n.spec.pg_port), "-U", "postgres", "-D", dir, "-X", "stream"},
                           .env = {{"PGPASSFILE", n.spec.dir + "/pgpass"}},
                           .timeout = absl::Seconds(120)});
  if (!taken.ok() || !taken->ok()) {
    UNSCOPED_INFO("pg_basebackup: " << (taken.ok() ? taken->Describe() : std::string(taken.status().message())));
    return false;
  }
  return true;
}

// A bootstrap or replica-creation method's script that copies `backup` into its --datadir.
std::string WriteRestoreScript(const testing::TempDir& root, const std::string& backup) {
  std::string script = root.WriteFile(
      "restore.sh", absl::StrCat("#!/bin/sh\nfor arg in \"$@\"; do case $arg in --datadir=*) dir=${arg#--datadir=};; "
                                 "esac; done\ncp -a ", backup, "/. \"$dir\"/\n"));
  fs::permissions(script, fs::perms::owner_all);
  return script;
}

TEST_CASE("nostream: a replica recovers from the WAL archive only, with no connection and no slot") {
  RequirePostgres();
  testing::TempDir root("pgha-pg");
  std::string archive = root.Sub("archive");
  fs::create_directories(archive);
  Node a = MakeNode(root, "a", "", "",
                    absl::StrCat("    archive_mode: 'on'\n    archive_command: 'cp %p ", archive, "/%f'\n"));
  Node b = MakeNode(root, "b", absl::StrCat("  recovery_conf:\n    restore_command: 'cp ", archive, "/%f %p'\n"),
                    "", "", "", "", "  nostream: true\n");
  REQUIRE_OK(a.pg->Bootstrap());
  REQUIRE_OK(a.Sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('before-clone')"));
  REQUIRE_OK(b.pg->CreateReplica({a.AsUpstream()}));
  REQUIRE_OK(b.pg->Start(a.AsUpstream(), true, absl::Seconds(60)));
  std::string conf = testing::ReadFile(b.spec.dir + "/data/postgresql.conf");
  INFO(conf);
  CHECK(conf.find("primary_conninfo") == std::string::npos);
  CHECK(conf.find("primary_slot_name") == std::string::npos);
  CHECK(conf.find("restore_command") != std::string::npos);
  // Two statements: one string would be one transaction, committed after the switch.
  REQUIRE_OK(a.Sql("INSERT INTO t VALUES ('archived')"));
  REQUIRE_OK(a.Sql("SELECT pg_switch_wal()"));
  CHECK(testing::WaitFor([&] { return HasRow(b, "t", "archived"); }, absl::Seconds(60)));
  auto senders = a.Sql("SELECT count(*) FROM pg_stat_replication");
  REQUIRE_OK(senders);
  CHECK(senders->front() == "0");
  pg::Observation ob = b.pg->Observe();
  CHECK(ob.in_recovery);
  CHECK(ob.replication_state == "in archive recovery");
  CHECK_OK(b.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
  CHECK_OK(a.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
}

TEST_CASE("a custom bootstrap restores a backup to its recovery target and stops there (point-in-time restore)") {
  RequirePostgres();
  testing::TempDir root("pgha-pg");
  std::string archive = root.Sub("archive");
  std::string backup = root.Sub("backup");
  fs::create_directories(archive);
  Node a = MakeNode(root, "a", "", "",
                    absl::StrCat("    archive_mode: 'on'\n    archive_command: 'cp %p ", archive, "/%f'\n"));
  REQUIRE_OK(a.pg->Bootstrap());
  REQUIRE_OK(a.Sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('before-backup')"));
  REQUIRE(TakeBaseBackup(a, backup));
  REQUIRE_OK(a.Sql("INSERT INTO t VALUES ('kept')"));
  REQUIRE_OK(a.Sql("SELECT pg_create_restore_point('target')"));
  REQUIRE_OK(a.Sql("INSERT INTO t VALUES ('after-target')"));
  auto segment = a.Sql("SELECT pg_walfile_name(pg_switch_wal())");
  REQUIRE_OK(segment);
  REQUIRE(testing::WaitFor(
      [&] {
        auto r = a.Sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
        return r.ok() && r->front() >= segment->front();
      },
      absl::Seconds(60)));
  CHECK_OK(a.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));

  std::string script = WriteRestoreScript(root, backup);
  Node b = MakeNode(root, "b", "", "", "",
                    absl::StrCat("  method: restore\n  restore:\n    command: ", script,
                                 "\n    recovery_conf:\n      restore_command: cp ", archive,
                                 "/%f %p\n      recovery_target_name: target\n      recovery_target_action: promote\n"));
  REQUIRE_OK(b.pg->Bootstrap());
  CHECK(HasRow(b, "t", "kept"));
  CHECK_FALSE(HasRow(b, "t", "after-target"));
  pg::Observation ob = b.pg->Observe();
  CHECK_FALSE(ob.in_recovery);
  CHECK(ob.timeline == 2);  // promoted at the target
  CHECK(testing::ReadFile(b.spec.dir + "/data/postgresql.conf").find("recovery_target_name") == std::string::npos);
  CHECK_FALSE(fs::exists(b.spec.dir + "/data/recovery.signal"));
  CHECK_OK(b.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
}

TEST_CASE("a no_leader replica method creates a replica with no leader to clone from") {
  RequirePostgres();
  testing::TempDir root("pgha-pg");
  std::string backup = root.Sub("backup");
  Node a = MakeNode(root, "a");
  REQUIRE_OK(a.pg->Bootstrap());
  REQUIRE_OK(a.Sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('in-backup')"));
  REQUIRE(TakeBaseBackup(a, backup));
  CHECK_OK(a.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));  // no leader any more
  std::string script = WriteRestoreScript(root, backup);
  Node b = MakeNode(root, "b",
                    absl::StrCat("  create_replica_methods:\n    - restore\n    - basebackup\n  restore:\n    command: ",
                                 script, "\n    no_leader: true\n"));
  REQUIRE_OK(b.pg->CreateReplica({std::nullopt}));
  REQUIRE_OK(b.pg->Start(std::nullopt, true, absl::Seconds(60)));
  CHECK(testing::WaitFor([&] { return HasRow(b, "t", "in-backup"); }, absl::Seconds(30)));
  CHECK(b.pg->Observe().in_recovery);
  CHECK_OK(b.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
}

TEST_CASE("primary_stop_timeout: in synchronous mode a primary whose shutdown waits on a hung standby is aborted") {
  RequirePostgres();
  testing::TempDir root("pgha-pg");
  // The walsender waits for the standby to confirm the shutdown checkpoint until
  // wal_sender_timeout: far longer than the stop's own timeout below.
  Node a = MakeNode(root, "a", "", "", "    wal_sender_timeout: 10min\n");
  Node b = MakeNode(root, "b");
  REQUIRE_OK(a.pg->Bootstrap());
  REQUIRE_OK(a.pg->SyncReplicationSlots({{pg::SlotNameForMember("b")}}, {}));
  REQUIRE_OK(b.pg->CreateReplica({a.AsUpstream()}));
  REQUIRE_OK(b.pg->Start(a.AsUpstream(), true, absl::Seconds(60)));
  REQUIRE(testing::WaitFor([&] { return a.pg->Observe().replication.size() == 1; }, absl::Seconds(60)));
  REQUIRE_OK(a.pg->SetSynchronousStandbyNames("b"));
  REQUIRE_OK(a.Sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('acknowledged')"));

  // The standby hangs: its postmaster and every process of it stopped.
  pid_t standby = pg::RunningPostmaster(b.spec.dir + "/data");
  REQUIRE(standby > 0);
  std::vector<pid_t> stopped = testing::ChildrenOf(standby);
  stopped.push_back(standby);
  for (pid_t pid : stopped) ::kill(pid, SIGSTOP);

  ha::HaConfig config;
  config.synchronous_mode = config::SyncMode::kOn;
  config.primary_stop_timeout = absl::Seconds(3);
  // Without the abort, pg_ctl's own 120 s would run out first and the stop would fail.
  absl::Status s = ha::internal::StopPrimary(*a.pg, pg::StopMode::kFast, absl::Seconds(120), config);
  for (pid_t pid : stopped) ::kill(pid, SIGCONT);
  REQUIRE_OK(s);
  CHECK_FALSE(a.pg->Observe().postmaster_alive);
  // The aborted primary starts again with its acknowledged row (crash recovery).
  REQUIRE_OK(a.pg->Start(std::nullopt, false, absl::Seconds(60)));
  CHECK(HasRow(a, "t", "acknowledged"));

  // The last step of the abort, SIGKILL, on its own: the primary and all its processes are gone
  // and it recovers; a standby is never killed.
  CHECK(b.pg->Stop(pg::StopMode::kKill, absl::Seconds(30)).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(b.pg->Observe().postmaster_alive);
  pid_t primary = pg::RunningPostmaster(a.spec.dir + "/data");
  std::vector<pid_t> processes = testing::ChildrenOf(primary);
  REQUIRE_OK(a.pg->Stop(pg::StopMode::kKill, absl::Seconds(30)));
  CHECK_FALSE(a.pg->Observe().postmaster_alive);
  for (pid_t pid : processes) {
    CHECK(testing::WaitFor([&] { return ::kill(pid, 0) != 0; }, absl::Seconds(30)));
  }
  REQUIRE_OK(a.pg->Start(std::nullopt, false, absl::Seconds(60)));
  CHECK(HasRow(a, "t", "acknowledged"));
}

TEST_CASE("an occupied port gives a clear error and touches no data") {
  RequirePostgres();
  testing::TempDir root("pgha-pg");
  Node n = MakeNode(root, "n");
  REQUIRE_OK(n.pg->Bootstrap());
  REQUIRE_OK(n.Sql("CREATE TABLE keep (v text); INSERT INTO keep VALUES ('precious')"));
  REQUIRE_OK(n.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));

  // Someone else takes the port.
  int squatter = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(squatter, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(n.spec.pg_port));
  REQUIRE(::bind(squatter, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(squatter, 1) == 0);
  absl::Status start = n.pg->Start(std::nullopt, false, absl::Seconds(30));
  ::close(squatter);
  CHECK_FALSE(start.ok());
  INFO(start.message());
  CHECK(std::string(start.message()).find("already in use") != std::string::npos);
  CHECK(n.pg->Observe().data_dir == pg::DataDirState::kValid);
  REQUIRE_OK(n.pg->Start(std::nullopt, false, absl::Seconds(60)));
  CHECK(HasRow(n, "keep", "precious"));
  CHECK_OK(n.pg->Stop(pg::StopMode::kFast, absl::Seconds(60)));
}

}  // namespace
}  // namespace pgha
