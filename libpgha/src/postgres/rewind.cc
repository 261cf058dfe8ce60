// LibpqController: divergence check (IDENTIFY_SYSTEM / TIMELINE_HISTORY over a replication
// connection), clean shutdown after a crash, and pg_rewind.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "control_data.h"
#include "controller_impl.h"
#include "pgha/base/log.h"
#include "pgha/base/status_macros.h"

namespace pgha::pg {
namespace {

namespace fs = std::filesystem;

struct HistoryLine {
  int parent_timeline = 0;
  Lsn switchpoint = 0;
};

std::vector<HistoryLine> ParseTimelineHistory(const std::string& text) {
  std::vector<HistoryLine> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> parts = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (parts.size() < 2) continue;
    HistoryLine h;
    auto lsn = ParseLsn(parts[1]);
    if (!absl::SimpleAtoi(parts[0], &h.parent_timeline) || !lsn.ok()) continue;
    h.switchpoint = *lsn;
    out.push_back(h);
  }
  return out;
}

bool SameSwitchPoints(const std::vector<HistoryLine>& a, const std::vector<HistoryLine>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].parent_timeline != b[i].parent_timeline || a[i].switchpoint != b[i].switchpoint) return false;
  }
  return true;
}

}  // namespace

bool LibpqController::CanRewind() {
  if (!options_.effective.use_pg_rewind) return false;
  if (CheckBinaries({"pg_rewind"}).ok() == false) return false;
  auto control = ReadControlData(*runner_, Bin("pg_controldata"), DataDir());
  return control.ok() && (control->data_checksums || control->wal_log_hints);
}

absl::StatusOr<Lsn> LibpqController::CheckpointEnd(int timeline, Lsn lsn) {
  // The checkpoint record's size depends on version and platform: read it with pg_waldump,
  // asking for two records; the error about the second names where the first ends.
  auto r = runner_->Run({.argv = {Bin("pg_waldump"), "-t", std::to_string(timeline), "-s", FormatLsn(lsn),
                                  "-n", "2", "-p", DataDir() + "/pg_wal"},
                         .env = {{"LANG", "C"}, {"LC_ALL", "C"}},
                         .timeout = absl::Seconds(60)});
  if (!r.ok()) return r.status();
  const std::string pattern = absl::StrCat("error in WAL record at ", FormatLsn(lsn), ": invalid record length at ");
  auto at = r->output.find(pattern);
  if (at == std::string::npos) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read the checkpoint record at ", FormatLsn(lsn)));
  }
  auto start = at + pattern.size();
  auto end = r->output.find(':', start);
  return ParseLsn(r->output.substr(start, end - start));
}

absl::StatusOr<bool> LibpqController::NeedsRewind(const Upstream& leader) {
  // Where this data directory is: a running standby's replay position, else pg_control.
  Observation local = Observe();
  bool in_recovery = false;
  int local_timeline = 0;
  Lsn local_lsn = 0;
  if (local.accepting) {
    if (!local.in_recovery) {
      return absl::FailedPreconditionError("the local server runs as primary: demote it first");
    }
    in_recovery = true;
    local_timeline = local.timeline.value_or(0);
    local_lsn = local.replay_lsn.value_or(0);
  } else if (local.control) {
    const ControlData& c = *local.control;
    in_recovery = c.cluster_state == "in archive recovery" || c.cluster_state == "shut down in recovery";
    if (in_recovery && c.min_recovery_end_lsn != 0) {
      local_timeline = c.min_recovery_end_timeline;
      local_lsn = c.min_recovery_end_lsn;
    } else {
      local_timeline = c.timeline;
      local_lsn = c.checkpoint_lsn;
    }
  } else {
    return absl::FailedPreconditionError(absl::StrCat("cannot read the local timeline: ", local.error));
  }
  ConnParams p = RemoteParams(leader, pgconf().replication, "");
  p.erase("dbname");
  p["replication"] = "1";
  PGHA_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(p));
  PGHA_ASSIGN_OR_RETURN(QueryResult ident, conn->Query("IDENTIFY_SYSTEM"));
  int leader_timeline = 0;
  if (!absl::SimpleAtoi(ident.Get(0, "timeline").value_or(""), &leader_timeline)) {
    return absl::UnavailableError("IDENTIFY_SYSTEM returned no timeline");
  }
  PGHA_LOG(INFO) << "local timeline " << local_timeline << " lsn " << FormatLsn(local_lsn)
                 << ", leader " << leader.name << " timeline " << leader_timeline;
  if (local_timeline > leader_timeline) return true;
  if (local_timeline == leader_timeline) {
    // Two nodes promoted independently (a split brain) can reach the same timeline number from
    // different switch points: their history files for it then differ.
    if (local_timeline <= 1) return false;
    char name[32];
    std::snprintf(name, sizeof name, "%08X.history", static_cast<unsigned>(local_timeline));
    std::ifstream in(DataDir() + "/pg_wal/" + name);
    if (!in) return false;  // nothing to compare with (a replica cloned on this timeline)
    std::string mine((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    PGHA_ASSIGN_OR_RETURN(QueryResult theirs,
                          conn->Query(absl::StrCat("TIMELINE_HISTORY ", leader_timeline)));
    bool same = SameSwitchPoints(ParseTimelineHistory(mine),
                                 ParseTimelineHistory(theirs.Get(0, "content").value_or("")));
    if (!same) PGHA_LOG(WARNING) << "same timeline as " << leader.name << " but a different history: diverged";
    return !same;
  }
  PGHA_ASSIGN_OR_RETURN(QueryResult history,
                        conn->Query(absl::StrCat("TIMELINE_HISTORY ", leader_timeline)));
  auto lines = ParseTimelineHistory(history.Get(0, "content").value_or(""));
  for (const auto& line : lines) {
    if (line.parent_timeline == local_timeline) {
      // A replica that replayed nothing past the switch point, or a former primary whose last
      // record is the shutdown checkpoint ending exactly there, can simply follow.
      if (in_recovery) return local_lsn > line.switchpoint;
      if (local_lsn >= line.switchpoint) return true;
      auto end = CheckpointEnd(local_timeline, local_lsn);
      return !end.ok() || *end != line.switchpoint;
    }
    if (line.parent_timeline > local_timeline) return true;
  }
  return true;
}

absl::Status LibpqController::EnsureCleanShutdown() {
  auto control = ReadControlData(*runner_, Bin("pg_controldata"), DataDir());
  if (control.ok() && control->CleanlyShutDown()) return absl::OkStatus();
  PGHA_LOG(INFO) << "running crash recovery in single-user mode before pg_rewind";
  PGHA_RETURN_IF_ERROR(SetStandbySignal(DataDir(), false));
  auto r = runner_->Run({.argv = {Bin("postgres"), "--single", "-D", DataDir(), "-c", "archive_mode=on",
                                  "-c", "archive_command=false", "template1"},
                         .env = {{"LANG", "C"}, {"LC_ALL", "C"}},
                         .stdin_data = "",
                         .timeout = absl::Hours(1)});
  if (!r.ok()) return r.status();
  if (!r->ok()) return absl::FailedPreconditionError(absl::StrCat("crash recovery failed: ", r->Describe()));
  return absl::OkStatus();
}

absl::Status LibpqController::Rewind(const Upstream& leader) {
  if (!CanRewind()) {
    return absl::FailedPreconditionError(
        "pg_rewind is not possible: use_pg_rewind is off, or neither data checksums nor "
        "wal_log_hints are enabled");
  }
  if (postmaster_.Alive()) PGHA_RETURN_IF_ERROR(Stop(StopMode::kFast, absl::Seconds(pgconf().pg_ctl_timeout)));
  PGHA_RETURN_IF_ERROR(EnsureCleanShutdown());
  // pg_rewind needs the new timeline in the leader's pg_control: make sure it checkpointed.
  {
    auto su = PgConnection::Connect(RemoteParams(leader, pgconf().superuser));
    if (su.ok()) {
      auto cp = (*su)->Query("CHECKPOINT");
      if (!cp.ok()) PGHA_LOG(WARNING) << "CHECKPOINT on " << leader.name << " failed: " << cp.status().message();
    }
  }
  ConnParams source = RemoteParams(leader, RewindUser());
  std::vector<std::pair<std::string, std::string>> env = {
      {"PGPASSFILE", PgpassPath()}, {"PGOPTIONS", "-c statement_timeout=0"}, {"LANG", "C"}, {"LC_ALL", "C"}};
  auto conninfo = ProgramConnInfo(source, PgpassPath() + ".service", &env);
  if (!conninfo.ok()) return conninfo.status();
  std::vector<std::string> argv = {Bin("pg_rewind"), "-D", DataDir(), "--source-server", *conninfo};
  if (options_.effective.recovery_conf.contains("restore_command")) {
    argv.push_back("--restore-target-wal");
    if (ConfigDir() != DataDir()) argv.push_back("--config-file=" + ConfigDir() + "/postgresql.conf");
  }
  PGHA_LOG(INFO) << "running pg_rewind from " << leader.name;
  auto r = runner_->Run({.argv = argv, .env = env, .timeout = absl::Hours(24)});
  if (!r.ok()) return r.status();
  if (!r->ok()) return absl::FailedPreconditionError(absl::StrCat("pg_rewind failed: ", r->Describe()));
  // pg_rewind copied the leader's configuration files: ours are written again at start.
  last_upstream_.reset();
  PGHA_LOG(INFO) << "pg_rewind from " << leader.name << " succeeded";
  return absl::OkStatus();
}

}  // namespace pgha::pg
