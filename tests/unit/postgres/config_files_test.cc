// What pgha writes into PostgreSQL's files from configuration another person (or process)
// wrote: nothing in a value or a name may add a line of its own to postgresql.conf.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "absl/strings/str_split.h"
#include "config_files.h"
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
