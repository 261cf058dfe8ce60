// CtlYaml against yaml.safe_dump(..., allow_unicode=True, width=200) output captured from
// PyYAML 6.0 for the same data.
#include "ctl/py_format.h"
#include "pgha/base/pycompat.h"

#include <catch2/catch.hpp>


namespace pgha::ctl {
namespace {

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST_CASE("nested mappings, sequences, empty collections and numbers") {
  Json v = Json::parse(
      R"({"loop_wait": 10, "postgresql": {"parameters": {"hot_standby": "on", "max_connections": 100,
    "wal_keep_size": "128MB", "x": "", "y": null, "z": 1.5, "w": 1e-05, "v": 1e+16},
    "pg_hba": ["host all all 0.0.0.0/0 md5", "local all all trust"], "use_slots": true}, "empty": {},
    "emptylist": [], "ttl": 30, "slots": {"s1": {"type": "physical"}}, "tags": [{"a": 1, "b": [1, 2]}, [1, [2, 3]]]})");
  CHECK(
      CtlYaml(v) ==
      "empty: {}\nemptylist: []\nloop_wait: 10\npostgresql:\n  parameters:\n    hot_standby: 'on'\n"
      "    max_connections: 100\n    v: 1.0e+16\n    w: 1.0e-05\n    wal_keep_size: 128MB\n    x: "
      "''\n"
      "    y: null\n    z: 1.5\n  pg_hba:\n  - host all all 0.0.0.0/0 md5\n  - local all all "
      "trust\n"
      "  use_slots: true\nslots:\n  s1:\n    type: physical\ntags:\n- a: 1\n  b:\n  - 1\n  - 2\n- "
      "- 1\n"
      "  - - 2\n    - 3\nttl: 30\n");
}

TEST_CASE("strings are quoted exactly when PyYAML quotes them, long ones fold at 200 columns") {
  std::string words;
  for (int i = 0; i < 60; ++i) words += "word ";
  Json v = {{"quote", "it's"},
            {"colon", "a: b"},
            {"hash", "a #b"},
            {"lead", " x"},
            {"multi", "line1\nline2"},
            {"tab", "a\tb"},
            {"uni", "h\xc3\xa9llo"},
            {"star", "*"},
            {"dash", "- x"},
            {"num", "0755"},
            {"date", "2026-11-22"},
            {"bool", "yes"},
            {"ts", "2026-11-22T03:06:40.011036+00:00"},
            {"long", words},
            {"on", 1},
            {"1", "x"}};
  CHECK(CtlYaml(v) ==
        "'1': x\nbool: 'yes'\ncolon: 'a: b'\ndash: '- x'\ndate: '2026-11-22'\nhash: 'a #b'\nlead: "
        "' x'\n"
        "long: '" +
            Repeat("word ", 38) + "word\n  " + Repeat("word ", 21) +
            "'\n"
            "multi: 'line1\n\n  line2'\nnum: '0755'\n'on': 1\nquote: it's\nstar: '*'\ntab: "
            "\"a\\tb\"\n"
            "ts: '2026-11-22T03:06:40.011036+00:00'\nuni: h\xc3\xa9llo\n");
}

TEST_CASE("flow style, as the Tags column uses in tsv and topology") {
  CHECK(CtlYaml({{"nofailover", true}, {"clonefrom", true}, {"replicatefrom", "pg1"}}, true) ==
        "{clonefrom: true, nofailover: true, replicatefrom: pg1}\n");
}

TEST_CASE("Python's repr of floats and str of values") {
  CHECK(py::FloatRepr(1.5) == "1.5");
  CHECK(py::FloatRepr(3.0) == "3.0");
  CHECK(py::FloatRepr(100.0) == "100.0");
  CHECK(py::FloatRepr(0.0001) == "0.0001");
  CHECK(py::FloatRepr(1e-05) == "1e-05");
  CHECK(py::FloatRepr(1e16) == "1e+16");
  CHECK(py::FloatRepr(123456789012345678.0) == "1.2345678901234568e+17");
  CHECK(py::FloatRepr(0.1) == "0.1");
  CHECK(py::FloatRepr(-2.5) == "-2.5");
  CHECK(py::Str(Json(nullptr)) == "None");
  CHECK(py::Str(Json(true)) == "True");
  CHECK(py::Str(Json::parse(R"({"a": [1, "it's"]})")) == "{'a': [1, \"it's\"]}");
  CHECK(PyRound(0.5) == 0);
  CHECK(PyRound(1.5) == 2);
  CHECK(PyRound(2.5) == 2);
  CHECK(PyTitle("sync standby") == "Sync Standby");
  CHECK(PyEquals(Json::parse(R"({"a": 1, "b": {"c": true}})"),
                 Json::parse(R"({"b": {"c": 1}, "a": 1.0})")));
  CHECK_FALSE(PyEquals(Json::parse(R"({"a": 1})"), Json::parse(R"({"a": "1"})")));
}

}  // namespace
}  // namespace pgha::ctl
