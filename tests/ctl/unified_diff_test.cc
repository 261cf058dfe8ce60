// UnifiedDiff against Python's difflib.unified_diff for the same inputs.
#include "ctl/unified_diff.h"

#include <catch2/catch.hpp>
#include <string>

namespace pgha::ctl {
namespace {

std::string Lines(int count, int modulo) {
  std::string out;
  for (int i = 0; i < count; ++i) out += "line " + std::to_string(i % modulo) + "\n";
  return out;
}

TEST_CASE("no change, no diff") { CHECK(ConfigDiff("a: 1\nb: 2\n", "a: 1\nb: 2\n").empty()); }

TEST_CASE("repeated lines: the hunks difflib picks") {
  std::string a = Lines(60, 37);
  // b: line 5 removed, "new line" after line 20, line 40 changed, an empty line and "tail"
  // appended.
  std::string b;
  for (int i = 0; i < 60; ++i) {
    if (i == 5) continue;
    if (i == 21) b += "new line\n";
    b += i == 40 ? "changed\n" : "line " + std::to_string(i % 37) + "\n";
  }
  b += "\ntail";
  std::string expected = "--- \n+++ \n@@ -2,6 +2,43 @@\n line 1\n line 2\n line 3\n";
  for (int i = 4; i <= 20; ++i) {
    if (i != 5) expected += "+line " + std::to_string(i) + "\n";
  }
  expected += "+new line\n";
  for (int i = 21; i <= 36; ++i) expected += "+line " + std::to_string(i) + "\n";
  expected +=
      "+line 0\n+line 1\n+line 2\n+changed\n line 4\n line 5\n line 6\n@@ -21,40 +58,5 @@\n";
  expected += " line 20\n line 21\n line 22\n";
  for (int i = 23; i <= 36; ++i) expected += "-line " + std::to_string(i) + "\n";
  for (int i = 0; i <= 22; ++i) expected += "-line " + std::to_string(i) + "\n";
  expected += "+\n+tail\n";
  CHECK(ConfigDiff(a, b) == expected);
}

TEST_CASE("200 lines and more: popular lines do not anchor matches (autojunk)") {
  std::vector<std::string> a, b;
  for (int i = 0; i < 250; ++i) a.push_back(i % 3 == 0 ? "x" : "y" + std::to_string(i));
  b = a;
  b[100] = "zz";
  b.insert(b.begin() + 200, "x");
  b.erase(b.begin() + 10);
  std::string text_a, text_b;
  for (const auto& l : a) text_a += l + "\n";
  for (const auto& l : b) text_b += l + "\n";
  CHECK(ConfigDiff(text_a, text_b) ==
        "--- \n+++ \n@@ -8,7 +8,6 @@\n y7\n y8\n x\n-y10\n y11\n x\n y13\n@@ -98,7 +97,7 @@\n "
        "y97\n y98\n x\n"
        "-y100\n+zz\n y101\n x\n y103\n@@ -198,6 +197,7 @@\n y197\n x\n y199\n+x\n y200\n x\n "
        "y202\n");
}

}  // namespace
}  // namespace pgha::ctl
