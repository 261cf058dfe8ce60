#include "control_data.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pgha::pg {

ControlData ParseControlData(const std::string& output) {
  ControlData c;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    auto colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    std::string key(absl::StripAsciiWhitespace(line.substr(0, colon)));
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    c.raw[key] = value;
  }
  auto get = [&](const char* k) -> std::string {
    auto it = c.raw.find(k);
    return it == c.raw.end() ? "" : it->second;
  };
  c.cluster_state = get("Database cluster state");
  (void)absl::SimpleAtoi(get("Database system identifier"), &c.system_identifier);
  (void)absl::SimpleAtoi(get("Latest checkpoint's TimeLineID"), &c.timeline);
  if (auto l = ParseLsn(get("Latest checkpoint location")); l.ok()) c.checkpoint_lsn = *l;
  if (auto l = ParseLsn(get("Latest checkpoint's REDO location")); l.ok()) c.redo_lsn = *l;
  if (auto l = ParseLsn(get("Minimum recovery ending location")); l.ok()) c.min_recovery_end_lsn = *l;
  (void)absl::SimpleAtoi(get("Min recovery ending loc's timeline"), &c.min_recovery_end_timeline);
  std::string checksums = get("Data page checksum version");
  c.data_checksums = !checksums.empty() && checksums != "0";
  c.wal_log_hints = get("wal_log_hints setting") == "on";
  return c;
}

absl::StatusOr<ControlData> ReadControlData(ProcessRunner& runner, const std::string& binary,
                                            const std::string& data_dir) {
  auto r = runner.Run({.argv = {binary, "-D", data_dir},
                       .env = {{"LANG", "C"}, {"LC_ALL", "C"}},
                       .timeout = absl::Seconds(30)});
  if (!r.ok()) return r.status();
  if (!r->ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("pg_controldata -D ", data_dir, " failed: ", r->Describe()));
  }
  return ParseControlData(r->output);
}

}  // namespace pgha::pg
