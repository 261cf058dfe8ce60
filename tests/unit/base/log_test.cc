#include "pgha/base/log.h"

#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>

#include "absl/strings/str_cat.h"
#include "temp_dir.h"

namespace pgha::testing {
namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

TEST_CASE("log.dir: Patroni's file name and line format, rotation by size, file_num kept") {
  TempDir dir("pgha-log");
  REQUIRE(log::ConfigureLogFile({.dir = dir.path(), .file_size = 1000, .file_num = 2, .mode = 0600})
              .ok());
  for (int i = 0; i < 100; ++i) PGHA_LOG(INFO) << "line " << i << " of the rotation test";

  const std::string base = dir.Sub("patroni.log");
  REQUIRE(Exists(base));
  CHECK(Exists(base + ".1"));
  CHECK(Exists(base + ".2"));
  CHECK_FALSE(Exists(base + ".3"));  // file_num rotated files, no more
  for (const std::string& f : {base, base + ".1", base + ".2"}) {
    struct stat st {};
    REQUIRE(::stat(f.c_str(), &st) == 0);
    CHECK(st.st_size <= 1000);
    CHECK((st.st_mode & 0777) == 0600);
  }
  std::string current = ReadFile(base);
  CHECK(current.find("line 99 of the rotation test\n") != std::string::npos);
  CHECK(ReadFile(base + ".2").find("line 99 ") == std::string::npos);
  // "2026-11-22 04:05:19,123 INFO: text", as Patroni's default format writes it.
  std::regex line(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO: line \d+ of the rotation test)");
  CHECK(std::regex_match(current.substr(0, current.find('\n')), line));
}

TEST_CASE("a message with line breaks stays one line: nobody can forge log lines") {
  TempDir dir("pgha-log");
  REQUIRE(log::ConfigureLogFile({.dir = dir.path(), .file_size = 100000, .file_num = 1, .mode = 0600}).ok());
  PGHA_LOG(WARNING) << "bad request GET /x\n2026-01-01 00:00:00,000 INFO: forged\r\x01";
  std::string text = ReadFile(dir.Sub("patroni.log"));
  INFO(text);
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  CHECK(text.find("GET /x\\n2026-01-01 00:00:00,000 INFO: forged\\r\\x01\n") != std::string::npos);
}

TEST_CASE("a log.dir that cannot be written is an error naming the file") {
  auto s = log::ConfigureLogFile({.dir = "/nonexistent/pgha-logs"});
  CHECK(absl::IsUnavailable(s));
  CHECK(std::string(s.message()).find("/nonexistent/pgha-logs/patroni.log") != std::string::npos);
}

}  // namespace
}  // namespace pgha::testing
