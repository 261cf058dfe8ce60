#include <catch2/catch.hpp>

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "config_test_util.h"
#include "pgha/base/pycompat_yaml.h"
#include "pgha/config/document.h"
#include "temp_dir.h"

namespace pgha::config {
namespace {

ConfigDocument Parse(const std::string& text, Diagnostics* diagnostics) {
  ConfigDocument doc;
  ParseYaml(text, "t.yml", &doc, diagnostics);
  return doc;
}

TEST_CASE("a 1 KB YAML alias bomb is refused at once with a clear error") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    absl::StrAppend(&bomb, std::string(1, c), ": &", std::string(1, c), " [*", prev, ", *", prev, ", *", prev,
                    ", *", prev, ", *", prev, ", *", prev, ", *", prev, ", *", prev, ", *", prev, ", *", prev, "]\n");
  }
  REQUIRE(bomb.size() < 1024);
  Diagnostics d;
  absl::Time started = absl::Now();
  Parse(bomb, &d);
  INFO(absl::FormatDuration(absl::Now() - started));
  REQUIRE(d.HasErrors());
  bool said = false;
  for (const auto& item : d.all()) said |= item.message.find("expands to more than") != std::string::npos;
  CHECK(said);
}

TEST_CASE("nesting deeper than 64 levels and a 30,000-digit scalar get errors or strings, not crashes") {
  std::string deep = "a:\n";
  for (int i = 1; i < 80; ++i) absl::StrAppend(&deep, std::string(2 * i, ' '), "k", i, ":\n");
  Diagnostics d;
  Parse(deep, &d);
  CHECK(d.HasErrors());
  Diagnostics d2;
  auto doc = Parse("a: " + std::string(30000, '9') + "\n", &d2);
  CHECK_FALSE(d2.HasErrors());
  CHECK(doc.root["a"].is_string());
}

TEST_CASE("plain scalars resolve to YAML 1.1 types as PyYAML does") {
  Diagnostics d;
  auto doc = Parse(
      "a: on\nb: 'on'\nc: 0755\nd: 1e3\ne: 1_000\nf: 1:30\ng: ~\nh: 3.5\ni: \"100\"\nj: No\n"
      "k: 08\nl: 0x1F\n",
      &d);
  REQUIRE_FALSE(d.HasErrors());
  const Json& r = doc.root;
  CHECK(r["a"] == Json(true));
  CHECK(r["b"] == Json("on"));
  CHECK(r["c"] == Json(493));
  CHECK(r["d"] == Json("1e3"));
  CHECK(r["e"] == Json(1000));
  CHECK(r["f"] == Json(90));
  CHECK(r["g"].is_null());
  CHECK(r["h"] == Json(3.5));
  CHECK(r["i"] == Json("100"));
  CHECK(r["j"] == Json(false));
  CHECK(r["k"] == Json("08"));
  CHECK(r["l"] == Json(31));
}

TEST_CASE("PyYAML's corners: ._5 is text, 1:30.5 a float, dates and huge integers stay text") {
  Diagnostics d;
  auto doc = Parse(
      "a: ._5\nb: -.5\nc: 1:30.5\nd: 2026-01-01\ne: 99999999999999999999\nf: .5\n"
      "g: 2026-01-01 10:00:00+02:00\n",
      &d);
  REQUIRE_FALSE(d.HasErrors());
  const Json& r = doc.root;
  CHECK(r["a"] == Json("._5"));
  CHECK(r["b"] == Json("-.5"));
  CHECK(r["c"] == Json(90.5));
  CHECK(r["d"] == Json("2026-01-01"));
  CHECK(r["e"] == Json("99999999999999999999"));
  CHECK(r["f"] == Json(0.5));
  CHECK(r["g"] == Json("2026-01-01 10:00:00+02:00"));
}

TEST_CASE("NaN, infinities and floats too large for a double are refused, naming the key") {
  Diagnostics d;
  Parse("a: .nan\nb: -.inf\nc: " + std::string(30000, '9') + ".5\nd: 1.5\n", &d);
  REQUIRE(d.ErrorCount() == 3);
  auto sorted = d.Sorted();
  CHECK(sorted[0].key_path == "a");
  CHECK(sorted[1].key_path == "b");
  CHECK(sorted[2].key_path == "c");
  CHECK(sorted[2].message.find("not a finite number") != std::string::npos);
}

TEST_CASE("a plain value PyYAML's SafeLoader refuses is an error naming the key and line") {
  Diagnostics d;
  Parse("scope: x\nname: =\nrestapi:\n  listen: <<\nx: 0b_\nday: 2026-02-30\nok: '='\n", &d);
  REQUIRE(d.ErrorCount() == 4);
  auto sorted = d.Sorted();
  CHECK(sorted[0].key_path == "name");
  CHECK(sorted[0].pos.line == 2);
  CHECK(sorted[0].message.find("tag:yaml.org,2002:value") != std::string::npos);
  CHECK(sorted[1].key_path == "restapi.listen");
  CHECK(sorted[2].key_path == "x");
  CHECK(sorted[3].key_path == "day");
  CHECK(sorted[3].message.find("quote it") != std::string::npos);
}

TEST_CASE("a syntax error is reported with its 1-based line and column") {
  Diagnostics d;
  Parse("scope: x\nrestapi:\n  listen: [a, b\n", &d);
  REQUIRE(d.ErrorCount() == 1);
  const auto& diag = d.all().front();
  CHECK(diag.pos.file == "t.yml");
  CHECK(diag.pos.line == 4);
  CHECK(diag.message.find("YAML syntax error") == 0);
}

TEST_CASE("duplicate keys are errors pointing at the second occurrence") {
  Diagnostics d;
  auto doc = Parse("scope: a\nname: n\nrestapi:\n  listen: x\n  listen: y\n", &d);
  auto diag = testing::FindDiagnostic(d, "restapi.listen", "duplicate key");
  REQUIRE(diag);
  CHECK(diag->pos.line == 5);
  CHECK(diag->pos.column == 3);
  CHECK(diag->message.find("line 4") != std::string::npos);
  CHECK(doc.root["restapi"]["listen"] == Json("x"));
}

TEST_CASE("an unterminated quoted string is an error, not a silently accepted value") {
  Diagnostics d;
  Parse("scope: \"abc\nname: n\n", &d);
  auto diag = testing::FindDiagnostic(d, "scope", "unterminated");
  REQUIRE(diag);
  CHECK(diag->pos.line == 1);
  CHECK(diag->pos.column == 8);
}

TEST_CASE("a document that is not a mapping is rejected") {
  Diagnostics d;
  ConfigDocument doc;
  CHECK_FALSE(ParseYaml("- a\n- b\n", "t.yml", &doc, &d));
  CHECK(d.HasErrors());
  Diagnostics empty;
  CHECK_FALSE(ParseYaml("", "e.yml", &doc, &empty));
  CHECK(empty.all().front().message.find("empty") != std::string::npos);
}

TEST_CASE("a config directory merges *.yml files in name order, later files winning") {
  testing::TempDir dir;
  dir.WriteFile("conf/10-base.yml", "scope: a\nrestapi:\n  listen: 0.0.0.0:8008\n  connect_address: 1.2.3.4:8008\n");
  dir.WriteFile("conf/20-node.yaml", "restapi:\n  connect_address: 5.6.7.8:8008\nname: n2\n");
  dir.WriteFile("conf/notes.txt", "scope: ignored\n");
  ConfigDocument doc;
  Diagnostics d;
  REQUIRE(LoadYamlPath(dir.Sub("conf"), &doc, &d));
  CHECK(doc.root["scope"] == Json("a"));
  CHECK(doc.root["name"] == Json("n2"));
  CHECK(doc.root["restapi"]["listen"] == Json("0.0.0.0:8008"));
  CHECK(doc.root["restapi"]["connect_address"] == Json("5.6.7.8:8008"));
  // Positions follow the file that set the value.
  CHECK(doc.ValuePosOf({"restapi", "connect_address"}).file.find("20-node.yaml") !=
        std::string::npos);
  CHECK(doc.ValuePosOf({"restapi", "listen"}).file.find("10-base.yml") != std::string::npos);
}

TEST_CASE("a missing path is reported") {
  ConfigDocument doc;
  Diagnostics d;
  CHECK_FALSE(LoadYamlPath("/nonexistent/pgha.yml", &doc, &d));
  CHECK(d.all().front().message == "no such file or directory");
}

TEST_CASE("YAML written as safe_dump writes it reads back the same") {
  Json v = {{"a", "on"}, {"b", true}, {"c", 100}, {"d", "100"}, {"e", Json::array({"x", "1e3"})},
            {"f", "plain text"}, {"g", nullptr}, {"h", "a: b"}};
  std::string text = py::YamlDump(v);
  Diagnostics d;
  auto doc = Parse(text, &d);
  REQUIRE_FALSE(d.HasErrors());
  CHECK(doc.root == v);
}

}  // namespace
}  // namespace pgha::config
