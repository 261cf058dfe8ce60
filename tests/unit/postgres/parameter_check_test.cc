// Server parameters checked per PostgreSQL major version (the generated table, PostgreSQL's own
// parsing of booleans, numbers with units and enums), as Patroni drops what a server refuses.
#include <catch2/catch.hpp>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "config_files.h"
#include "pgha/base/process_runner.h"
#include "pgha/postgres/parameter_check.h"
#include "temp_dir.h"

namespace pgha::pg {
namespace {

struct Row {
  const char* name;
  Json value;
  int major;
  bool accepted;
};

TEST_CASE("parameters are accepted or refused as the server version would") {
  const std::vector<Row> rows = {
      {"wal_keep_segments", 8, 12, true},
      {"wal_keep_segments", 8, 15, false},
      {"wal_keep_segments", 8, 18, false},  // gone before the newest described version
      {"wal_keep_size", "128MB", 15, true},
      {"wal_keep_size", "128 MB", 15, true},
      {"wal_keep_size", "128XB", 15, false},
      {"wal_keep_size", "1TB", 15, true},
      {"wal_keep_size", "128MB", 12, false},
      {"shared_buffers", "16MB", 15, true},
      {"shared_buffers", "1kB", 15, false},  // 0 blocks, below the minimum of 16
      {"shared_buffers", "16ms", 15, false},  // a time unit for a memory parameter
      {"max_connections", 0, 15, false},
      {"max_connections", 100, 15, true},
      {"max_connections", "100", 15, true},
      {"max_connections", "0x64", 15, true},
      {"max_connections", "100s", 15, false},  // takes no unit
      {"max_connections", "many", 15, false},
      {"wal_level", "hot_standby", 15, true},  // hidden, but accepted
      {"wal_level", "LOGICAL", 15, true},
      {"wal_level", "archiv", 15, false},
      {"hot_standby", true, 15, true},
      {"hot_standby", "on", 15, true},
      {"hot_standby", "of", 15, true},
      {"hot_standby", "o", 15, false},  // ambiguous: on or off
      {"hot_standby", "maybe", 15, false},
      {"checkpoint_timeout", "5min", 15, true},
      {"checkpoint_timeout", 300, 15, true},
      {"checkpoint_timeout", "1d", 15, true},
      {"checkpoint_timeout", "2d", 15, false},
      {"checkpoint_timeout", "100ms", 15, false},  // 0 s
      {"random_page_cost", 1.1, 15, true},
      {"random_page_cost", "-1", 15, false},
      {"vacuum_defer_cleanup_age", 0, 15, true},
      {"vacuum_defer_cleanup_age", 0, 16, false},
      {"synchronous_commit", true, 15, true},
      {"synchronous_commit", "remote_apply", 15, true},
      {"synchronous_commit", "remote", 15, false},
      {"pg_stat_statements.track", "all", 15, true},  // extensions are not checked
      {"wrok_mem", "4MB", 15, false},
      {"brand_new_in_19", "x", 19, true},  // newer than the table: not called unknown
      {"work_mem", "4MB", 11, true},       // older than the table: nothing is known
  };
  for (const auto& row : rows) {
    auto why = ParameterRejection(row.name, row.value, row.major);
    INFO(row.name << "=" << row.value.dump() << " on " << row.major << ": " << why.value_or("accepted"));
    CHECK(!why.has_value() == row.accepted);
  }
}

TEST_CASE("a name the server binary lists is never called unknown (distributions add their own)") {
  CHECK(ParameterRejection("extension_destdir", "/x", 15).has_value());
  CHECK_FALSE(ParameterRejection("extension_destdir", "/x", 15, {"extension_destdir", "work_mem"}).has_value());
  // ... but a value is still checked against the table.
  CHECK(ParameterRejection("work_mem", "lots", 15, {"extension_destdir", "work_mem"}).has_value());
}

TEST_CASE("what PostgreSQL 15 would refuse is left out of postgresql.conf, with a note naming it") {
  std::vector<std::string> notes;
  Json out = ParametersForServer(
      Json{{"wal_level", "replica"}, {"max_connections", 0}, {"wrok_mem", "4MB"}, {"wal_keep_segments", 8}}, 15,
      &notes);
  CHECK(out == Json{{"wal_level", "replica"}, {"wal_keep_size", "128MB"}});
  REQUIRE(notes.size() == 3);
  CHECK(notes[1].find("max_connections=0 dropped") != std::string::npos);
  CHECK(notes[2].find("wrok_mem=\"4MB\" dropped: PostgreSQL 15 has no parameter wrok_mem") != std::string::npos);
}

TEST_CASE("the installed server's major version is read from its binary") {
  const std::string postgres = "/usr/lib/postgresql/15/bin/postgres";
  if (::access(postgres.c_str(), X_OK) != 0) return;  // the value checks above need no server
  CHECK(BinaryMajorVersion(postgres) == 15);
  CHECK(BinaryMajorVersion("/nonexistent/postgres") == 0);
}

TEST_CASE("pgha --validate-config names each parameter the server would refuse, with file, line and column") {
  const std::string bin_dir = "/usr/lib/postgresql/15/bin";
  if (::access((bin_dir + "/postgres").c_str(), X_OK) != 0) return;  // needs the binaries only
  testing::TempDir dir("pgha-validate");
  std::string path = dir.WriteFile("node.yml", absl::StrCat(R"(scope: demo
name: pg1
restapi:
  listen: 127.0.0.1:8008
  connect_address: 127.0.0.1:8008
etcd3:
  hosts: 127.0.0.1:2379
bootstrap:
  dcs:
    postgresql:
      parameters:
        wal_keep_segments: 8
postgresql:
  listen: 127.0.0.1:5432
  connect_address: 127.0.0.1:5432
  data_dir: /var/lib/postgresql/15/main
  bin_dir: )", bin_dir, R"(
  authentication:
    superuser: {username: postgres, password: x}
    replication: {username: replicator, password: x}
  parameters:
    shared_bufers: 128MB
    huge_pages: sometimes
    effective_io_concurrency: 5000
)"));
  PosixProcessRunner runner;
  auto r = runner.Run({.argv = {absl::StrCat(PGHA_BINARY_DIR, "/pgha"), "--validate-config", path},
                       .timeout = absl::Seconds(60)});
  REQUIRE(r.ok());
  INFO(r->output);
  CHECK(r->exit_code == 0);  // warnings: pgha leaves these out and starts
  CHECK(r->output.find(path + ":12:9: ") != std::string::npos);   // wal_keep_segments
  CHECK(r->output.find("wal_keep_size") != std::string::npos);
  CHECK(r->output.find(path + ":22:5: ") != std::string::npos);   // shared_bufers, unknown
  CHECK(r->output.find(path + ":23:5: ") != std::string::npos);   // huge_pages: no such value
  CHECK(r->output.find(path + ":24:5: ") != std::string::npos);   // effective_io_concurrency above 1000
}

}  // namespace
}  // namespace pgha::pg
