// log.format / log.dateformat: the expected lines are Python 3.11's logging.Formatter output for
// the same record (created 1733472913.125 UTC, WARNING, "a message").
#include "pgha/base/log_format.h"

#include <catch2/catch.hpp>

#include "absl/time/time.h"

namespace pgha::log {
namespace {

Record WarningRecord() {
  Record r;
  r.time = absl::FromUnixMillis(1733472913125);
  r.level = Level::kWarning;
  r.message = "a message";
  r.process = 100;
  r.thread = 100;
  r.process_start = r.time - absl::Milliseconds(1500);
  return r;
}

std::string Line(const std::string& format, const std::string& dateformat = "") {
  auto f = LineFormat::Parse(format, dateformat);
  REQUIRE(f.ok());
  return f->Format(WarningRecord());
}

TEST_CASE("log.format: Python's %-style fields, flags, widths and precisions") {
  // Only asctime depends on the local time zone: the rest is checked here, asctime below.
  CHECK(Line("%(levelname)-8s|%(levelno)3d|%(message).5s|%(msecs)03d|%(created)f") ==
        "WARNING | 30|a mes|125|1733472913.125000");
  CHECK(Line("%(levelname)8s %(levelno)05.1f %(levelno)x %%|%(levelno)+d|%(created)s %(msecs)s %(levelno)r") ==
        " WARNING 030.0 1e %|+30|1733472913.125 125.0 30");
  CHECK(Line("[%(process)d %(threadName)s %(name)s] %(relativeCreated)d") == "[100 MainThread pgha] 1500");
  CHECK(Line("%(levelname)r") == "'WARNING'");
}

TEST_CASE("log.format: the default, and log.dateformat") {
  absl::Time t = WarningRecord().time;
  std::string local = absl::FormatTime("%Y-%m-%d %H:%M:%S", t, absl::LocalTimeZone());
  CHECK(LineFormat().Format(WarningRecord()) == local + ",125 WARNING: a message");
  CHECK(Line("%(asctime)s|%(message)s", "%Y-%m-%dT%H:%M:%S") ==
        absl::FormatTime("%Y-%m-%dT%H:%M:%S", t, absl::LocalTimeZone()) + "|a message");
}

TEST_CASE("log.format: what Python would fail on is refused when the configuration is read") {
  for (const char* bad : {"%(nosuchfield)s", "%(message)d", "%(message)", "%(message", "50% done",
                          "%(levelno)q", "%s"}) {
    INFO(bad);
    auto f = LineFormat::Parse(bad, "");
    REQUIRE_FALSE(f.ok());
    CHECK(std::string(f.status().message()).rfind("log.format: ", 0) == 0);
  }
  CHECK(LineFormat::Parse("100%% %(message)s", "").ok());
}

}  // namespace
}  // namespace pgha::log
