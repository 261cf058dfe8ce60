// What pgha writes into PostgreSQL's files from configuration another person (or process)
// wrote: nothing in a value or a name may add a line of its own to postgresql.conf.
#include <catch2/catch.hpp>
#include <libpq-fe.h>
#include <sys/stat.h>

#include "absl/strings/str_split.h"
#include "config_files.h"
#include "pg_connection.h"
#include "temp_dir.h"

namespace pgha::pg {
namespace {

ConfFileInputs Inputs() {
  ConfFileInputs in;
  in.data_dir = in.config_dir = "/var/lib/postgresql/15/main";
  in.scope = "demo";
  in.listen_addresses = "127.0.0.1";
  return in;
}

std::vector<std::string> Lines(const std::string& text) { return absl::StrSplit(text, '\n'); }

TEST_CASE("a GUC value with a line break stays on its line, escaped") {
  ConfFileInputs in = Inputs();
  in.parameters["application_name"] = "x'\nshared_preload_libraries = 'evil";
  in.parameters["search_path"] = std::string("a\r\nb\0c", 7);
  std::string conf = RenderPostgresqlConf(in);
  INFO(conf);
  for (const auto& line : Lines(conf)) {
    CHECK(line.rfind("shared_preload_libraries", 0) != 0);
  }
  CHECK(conf.find("application_name = 'x''\\nshared_preload_libraries = ''evil'\n") != std::string::npos);
  CHECK(conf.find("search_path = 'a\\r\\nbc'\n") != std::string::npos);
}

TEST_CASE("a GUC name that is not a PostgreSQL name is not written") {
  ConfFileInputs in = Inputs();
  in.parameters["work_mem\nshared_preload_libraries"] = "evil";
  in.parameters["a = b"] = "1";
  in.parameters["pg_stat_statements.max"] = 1000;
  std::string conf = RenderPostgresqlConf(in);
  INFO(conf);
  CHECK(conf.find("evil") == std::string::npos);
  CHECK(conf.find("a = b") == std::string::npos);
  CHECK(conf.find("pg_stat_statements.max = '1000'") != std::string::npos);
}

TEST_CASE("a recovery_conf name that is not a PostgreSQL name is not written either") {
  for (bool standby : {true, false}) {
    ConfFileInputs in = Inputs();
    Json recovery = {{"restore_command\nshared_preload_libraries", "evil"}, {"restore_command", "cp %f %p"}};
    if (standby) {
      in.standby = StandbySettings{};
      in.recovery_conf = recovery;
    } else {
      in.archive_recovery = recovery;
    }
    std::string conf = RenderPostgresqlConf(in);
    INFO(conf);
    CHECK(conf.find("evil") == std::string::npos);
    CHECK(conf.find("restore_command = 'cp %f %p'") != std::string::npos);
  }
}

TEST_CASE("files are replaced through a fresh temporary file, with the mode asked for") {
  testing::TempDir dir("pgha-conf");
  std::string path = dir.Sub("postgresql.conf");
  // What a fixed temporary name would have written through: a file planted where it would be.
  std::string planted = dir.WriteFile("postgresql.conf.pgha-tmp", "planted");
  REQUIRE(WriteFileAtomically(path, "port = 5432\n", 0600).ok());
  CHECK(testing::ReadFile(path) == "port = 5432\n");
  CHECK(testing::ReadFile(planted) == "planted");
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(WriteFileAtomically(path, "port = 5433\n", 0640).ok());
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
}

}  // namespace
}  // namespace pgha::pg

namespace pgha::pg {
namespace {

TEST_CASE("an sslpassword never reaches a program's command line: a private service file holds it") {
  testing::TempDir dir;
  std::string service = dir.path() + "/pgpass.service";
  std::vector<std::pair<std::string, std::string>> env;
  auto info = ProgramConnInfo({{"host", "127.0.0.1"}, {"port", "1"}, {"user", "rep"},
                               {"sslmode", "disable"}, {"sslpassword", "s3cret 'x"}},
                              service, &env);
  REQUIRE(info.ok());
  INFO(*info);
  CHECK(info->find("s3cret") == std::string::npos);
  CHECK(info->find("service='pgha'") != std::string::npos);
  REQUIRE(env.size() == 1);
  CHECK(env[0].first == "PGSERVICEFILE");
  CHECK(env[0].second == service);
  struct stat st;
  REQUIRE(stat(service.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(testing::ReadFile(service) == "[pgha]\nsslpassword=s3cret 'x\n");
  // libpq finds the service (a missing one would be the error instead of the refused connection).
  setenv("PGSERVICEFILE", service.c_str(), 1);
  PGconn* conn = PQconnectdb(info->c_str());
  std::string error = PQerrorMessage(conn);
  PQfinish(conn);
  unsetenv("PGSERVICEFILE");
  INFO(error);
  CHECK(error.find("service") == std::string::npos);
  CHECK(error.find("127.0.0.1") != std::string::npos);

  std::vector<std::pair<std::string, std::string>> untouched;
  auto plain = ProgramConnInfo({{"host", "h"}, {"user", "rep"}}, dir.path() + "/other", &untouched);
  REQUIRE(plain.ok());
  CHECK(*plain == "host='h' user='rep'");
  CHECK(untouched.empty());
  CHECK_FALSE(ProgramConnInfo({{"sslpassword", "a\nb"}}, dir.path() + "/x", &untouched).ok());
}

TEST_CASE("wal_keep_segments and wal_keep_size are converted for the server's version, as Patroni does") {
  std::vector<std::string> notes;
  Json p15 = ParametersForServer(Json{{"wal_keep_segments", 8}, {"max_connections", 100}}, 15, &notes);
  CHECK(p15 == Json{{"max_connections", 100}, {"wal_keep_size", "128MB"}});
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("wal_keep_segments=8 written as wal_keep_size=128MB") != std::string::npos);
  notes.clear();
  CHECK(ParametersForServer(Json{{"wal_keep_segments", "8"}, {"wal_keep_size", "1GB"}}, 15, &notes) ==
        Json{{"wal_keep_size", "1GB"}});  // both given: the server's own wins
  CHECK(notes.size() == 1);
  notes.clear();
  CHECK(ParametersForServer(Json{{"wal_keep_size", "1GB"}}, 12, &notes) == Json{{"wal_keep_segments", 64}});
  CHECK(ParametersForServer(Json{{"wal_keep_size", "1GB"}}, 15, &notes) == Json{{"wal_keep_size", "1GB"}});
  CHECK(ParametersForServer(Json{{"wal_keep_segments", 8}}, 0, &notes) == Json{{"wal_keep_segments", 8}});
  CHECK(ParametersForServer(Json{{"wal_keep_segments", "lots"}}, 15, &notes) == Json::object());
}

TEST_CASE("PatroniDsn writes Patroni's format_dsn: its keyword order, no password, escapes") {
  CHECK(PatroniDsn({{"host", "/var/run/postgresql"}, {"port", "5432"}, {"user", "postgres"},
                    {"dbname", "postgres"}, {"passfile", "/x/pgpass"}, {"password", "p"},
                    {"connect_timeout", "3"}, {"sslmode", "require"}}) ==
        "dbname=postgres user=postgres host=/var/run/postgresql port=5432 sslmode=require");
  CHECK(PatroniDsn({{"user", "o'brien x\\y"}}) == "user=o\\'brien\\ x\\\\y");
}

}  // namespace
}  // namespace pgha::pg
