// LibpqController::Observe: one look at the local instance per HA cycle.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "control_data.h"
#include "controller_impl.h"
#include "pg_connection.h"

namespace pgha::pg {
namespace {

std::optional<Lsn> LsnOf(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto lsn = ParseLsn(*text);
  if (!lsn.ok()) return std::nullopt;
  return *lsn;
}

bool IsTrue(const std::optional<std::string>& text) { return text && (*text == "t" || *text == "true"); }

// One round trip for everything that changes every cycle.
constexpr char kStateQuery[] = R"SQL(
SELECT pg_catalog.pg_is_in_recovery() AS in_recovery,
       CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL
            ELSE pg_catalog.pg_current_wal_flush_lsn()::text END AS current_lsn,
       CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL
            ELSE ('x' || pg_catalog.substr(pg_catalog.pg_walfile_name(
                      pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS primary_tli,
       pg_catalog.pg_last_wal_receive_lsn()::text AS receive_lsn,
       pg_catalog.pg_last_wal_replay_lsn()::text AS replay_lsn,
       extract(epoch FROM pg_catalog.pg_last_xact_replay_timestamp())::text AS replay_ts,
       CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_is_wal_replay_paused()
            ELSE false END AS paused,
       (SELECT system_identifier FROM pg_catalog.pg_control_system())::text AS sysid,
       (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()) AS checkpoint_tli,
       w.status AS wr_status, w.received_tli AS wr_tli, w.sender_host AS wr_host,
       w.sender_port AS wr_port,
       extract(epoch FROM pg_catalog.pg_postmaster_start_time())::text AS started,
       pg_catalog.current_setting('server_version_num') AS version,
       pg_catalog.current_setting('synchronous_standby_names') AS sync_names
  FROM (SELECT 1) AS one
  LEFT JOIN pg_catalog.pg_stat_get_wal_receiver() AS w ON true
)SQL";

// The fields of kStateQuery's one row that every caller needs.
void ParseStateRow(const QueryResult& r, Observation* o) {
  o->accepting = true;
  o->in_recovery = IsTrue(r.Get(0, "in_recovery"));
  o->current_lsn = LsnOf(r.Get(0, "current_lsn"));
  o->receive_lsn = LsnOf(r.Get(0, "receive_lsn"));
  o->replay_lsn = LsnOf(r.Get(0, "replay_lsn"));
  double ts = 0;
  if (auto t = r.Get(0, "replay_ts"); t && absl::SimpleAtod(*t, &ts)) {
    o->replay_timestamp = absl::FromUnixMicros(static_cast<int64_t>(ts * 1e6));
  }
  o->replay_paused = IsTrue(r.Get(0, "paused"));
  uint64_t sysid = 0;
  if (auto s = r.Get(0, "sysid"); s && absl::SimpleAtoi(*s, &sysid)) o->system_identifier = sysid;
  int tli = 0;
  if (auto t = r.Get(0, o->in_recovery ? "wr_tli" : "primary_tli"); t && absl::SimpleAtoi(*t, &tli)) {
    o->timeline = tli;
  } else if (auto c = r.Get(0, "checkpoint_tli"); c && absl::SimpleAtoi(*c, &tli)) {
    o->timeline = tli;
  }
  if (o->in_recovery) {
    auto status = r.Get(0, "wr_status");
    o->replication_state = status && *status == "streaming" ? "streaming" : "in archive recovery";
    o->upstream_host = r.Get(0, "wr_host").value_or("");
    (void)absl::SimpleAtoi(r.Get(0, "wr_port").value_or("0"), &o->upstream_port);
  }
  if (auto s = r.Get(0, "started"); s && absl::SimpleAtod(*s, &ts)) {
    o->postmaster_start_time = absl::FromUnixMicros(static_cast<int64_t>(ts * 1e6));
  }
  (void)absl::SimpleAtoi(r.Get(0, "version").value_or("0"), &o->server_version);
  o->synchronous_standby_names = r.Get(0, "sync_names").value_or("");
}

}  // namespace

void LibpqController::ReadTimelineHistory(Observation* o) const {
  char name[32];
  std::snprintf(name, sizeof name, "%08X.history", static_cast<unsigned>(*o->timeline));
  std::string path = DataDir() + "/pg_wal/" + name;
  std::ifstream in(path);
  if (!in) return;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits('\t', 2));
    if (parts.size() < 2) continue;
    Observation::HistoryLine h;
    auto lsn = ParseLsn(std::string(absl::StripAsciiWhitespace(parts[1])));
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(parts[0]), &h.timeline) || !lsn.ok()) continue;
    h.lsn = *lsn;
    if (parts.size() > 2) h.reason = std::string(absl::StripAsciiWhitespace(parts[2]));
    o->timeline_history.push_back(std::move(h));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) o->timeline_history_time = absl::TimeFromTimespec(st.st_mtim);
}

void LibpqController::ReadReplicationRows(Observation* o) {
  auto rep = Query(
      "SELECT application_name, usename, client_addr::text AS client_addr, state, "
      "sync_state, sync_priority::text AS sync_priority, write_lsn::text AS write_lsn, "
      "flush_lsn::text AS flush_lsn, replay_lsn::text AS replay_lsn "
      "FROM pg_catalog.pg_stat_replication ORDER BY application_name");
  if (!rep.ok()) return;
  for (size_t i = 0; i < rep->rows.size(); ++i) {
    ReplicationRow row;
    row.application_name = rep->Get(i, "application_name").value_or("");
    row.usename = rep->Get(i, "usename").value_or("");
    row.client_addr = rep->Get(i, "client_addr").value_or("");
    row.state = rep->Get(i, "state").value_or("");
    row.sync_state = rep->Get(i, "sync_state").value_or("");
    (void)absl::SimpleAtoi(rep->Get(i, "sync_priority").value_or("0"), &row.sync_priority);
    row.write_lsn = LsnOf(rep->Get(i, "write_lsn"));
    row.flush_lsn = LsnOf(rep->Get(i, "flush_lsn"));
    row.replay_lsn = LsnOf(rep->Get(i, "replay_lsn"));
    o->replication.push_back(std::move(row));
  }
}

Observation LibpqController::ObservePositions() {
  Observation o;
  auto state = Query(kStateQuery);
  if (state.ok() && !state->rows.empty()) {
    ParseStateRow(*state, &o);
    if (!o.in_recovery) ReadReplicationRows(&o);
  } else {
    o.error = state.ok() ? "no row" : std::string(state.status().message());
  }
  return o;
}

Observation LibpqController::Observe() {
  callbacks_.Reap();
  Observation o;
  o.data_dir = InspectDataDir();
  o.postmaster_alive = postmaster_.Alive();
  if (o.postmaster_alive) {
    auto state = Query(kStateQuery);
    if (state.ok() && !state->rows.empty()) {
      ParseStateRow(*state, &o);
      if (!o.in_recovery) ReadReplicationRows(&o);
      if (!o.in_recovery && o.timeline.value_or(0) > 1) ReadTimelineHistory(&o);
      auto slots = Query(
          "SELECT slot_name, slot_type, plugin, database, active::text AS active, "
          "restart_lsn::text AS restart_lsn, confirmed_flush_lsn::text AS confirmed_flush_lsn "
          "FROM pg_catalog.pg_replication_slots");
      if (slots.ok()) {
        for (size_t i = 0; i < slots->rows.size(); ++i) {
          SlotInfo s;
          s.name = slots->Get(i, "slot_name").value_or("");
          s.type = slots->Get(i, "slot_type").value_or("");
          s.plugin = slots->Get(i, "plugin").value_or("");
          s.database = slots->Get(i, "database").value_or("");
          s.active = IsTrue(slots->Get(i, "active"));
          s.restart_lsn = LsnOf(slots->Get(i, "restart_lsn"));
          s.confirmed_flush_lsn = LsnOf(slots->Get(i, "confirmed_flush_lsn"));
          o.slots.push_back(std::move(s));
        }
      }
      auto pending = Query(
          "SELECT name, setting FROM pg_catalog.pg_settings WHERE pending_restart ORDER BY name");
      if (pending.ok() && !pending->rows.empty()) {
        o.pending_restart = true;
        for (size_t i = 0; i < pending->rows.size(); ++i) {
          std::string name = pending->Get(i, "name").value_or("");
          Json wanted = options_.effective.parameters.value(name, Json(nullptr));
          o.pending_restart_reason[name] = {{"old_value", pending->Get(i, "setting").value_or("")},
                                            {"new_value", wanted.is_string() ? wanted.get<std::string>()
                                                                             : wanted.dump()}};
        }
      }
    } else {
      o.error = std::string(state.status().message());
    }
  }
  if (!o.accepting && o.data_dir == DataDirState::kValid) {
    auto control = ReadControlData(*runner_, Bin("pg_controldata"), DataDir());
    if (control.ok()) {
      o.control = *control;
      o.system_identifier = control->system_identifier;
      o.timeline = control->timeline;
    } else if (o.error.empty()) {
      o.error = std::string(control.status().message());
    }
  }
  return o;
}

}  // namespace pgha::pg
