// LibpqController: replication slots.
#include <fcntl.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller_impl.h"
#include "pgha/base/log.h"
#include "pgha/base/status_macros.h"

namespace pgha::pg {

absl::Status LibpqController::SyncReplicationSlots(const std::vector<DesiredSlot>& wanted,
                                                   const std::vector<std::string>& drop) {
  PGHA_ASSIGN_OR_RETURN(QueryResult existing,
                        Query("SELECT slot_name FROM pg_catalog.pg_replication_slots"));
  std::set<std::string> have;
  for (size_t i = 0; i < existing.rows.size(); ++i) have.insert(existing.Get(i, "slot_name").value_or(""));
  for (const auto& name : drop) {
    if (have.count(name) == 0) continue;
    PGHA_LOG(INFO) << "dropping replication slot " << name;
    auto dropped = Query("SELECT pg_catalog.pg_drop_replication_slot($1)", {name});
    if (!dropped.ok()) PGHA_LOG(WARNING) << "could not drop slot " << name << ": " << dropped.status().message();
  }
  for (const auto& w : wanted) {
    if (have.count(w.name) != 0) continue;
    PGHA_LOG(INFO) << "creating " << w.type << " replication slot " << w.name;
    absl::Status s;
    if (w.type == "logical") {
      // Logical slots live in a database: connect there.
      auto conn = PgConnection::Connect(LocalParams(w.database));
      s = conn.ok() ? (*conn)->Query("SELECT pg_catalog.pg_create_logical_replication_slot($1, $2)",
                                     {w.name, w.plugin}).status()
                    : conn.status();
    } else {
      s = Query("SELECT pg_catalog.pg_create_physical_replication_slot($1, true)", {w.name}).status();
    }
    if (!s.ok()) PGHA_LOG(WARNING) << "could not create slot " << w.name << ": " << s.message();
  }
  for (const auto& w : wanted) {
    if (!w.advance_to || have.count(w.name) == 0) continue;
    // A logical slot is advanced from a session in its own database.
    auto conn = PgConnection::Connect(LocalParams(w.type == "logical" ? w.database : "postgres"));
    absl::Status s = conn.ok() ? (*conn)->Query("SELECT pg_catalog.pg_replication_slot_advance($1, $2::pg_lsn)",
                                                {w.name, FormatLsn(*w.advance_to)}).status()
                               : conn.status();
    if (s.ok()) continue;
    PGHA_LOG(WARNING) << "could not advance slot " << w.name << ": " << s.message();
    if (absl::StrContains(s.message(), "SQLSTATE 58P01")) {
      // The copy needs WAL this replica no longer has: drop it, so that it is copied again
      // from the leader's newer state.
      PGHA_LOG(WARNING) << "dropping the copy of slot " << w.name << " to copy it again";
      (void)Query("SELECT pg_catalog.pg_drop_replication_slot($1)", {w.name});
    }
  }
  return absl::OkStatus();
}

namespace {

// A bytea column as libpq returns it in text form, decoded.
std::optional<std::string> DecodeBytea(const std::string& text) {
  size_t length = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text.c_str()), &length);
  if (raw == nullptr) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(raw), length);
  PQfreemem(raw);
  return out;
}

absl::Status FsyncDirectory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", path));
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : absl::InternalError(absl::StrCat("cannot fsync ", path));
}

// Writes pg_replslot/<name>/state as PostgreSQL does: a temporary directory, fsynced, renamed.
absl::Status WriteSlotState(const std::string& replslot_dir, const std::string& name, const std::string& state) {
  namespace fs = std::filesystem;
  std::string dir = replslot_dir + "/" + name;
  std::string tmp = dir + ".tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (!fs::create_directory(tmp, ec) || ec) return absl::InternalError(absl::StrCat("cannot create ", tmp));
  fs::permissions(tmp, fs::perms::owner_all, ec);
  PGHA_RETURN_IF_ERROR(WriteFileAtomically(tmp + "/state", state, 0600));
  PGHA_RETURN_IF_ERROR(FsyncDirectory(tmp));
  fs::remove_all(dir, ec);
  fs::rename(tmp, dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot rename ", tmp, ": ", ec.message()));
  return FsyncDirectory(replslot_dir);
}

// The oldest WAL segment number in pg_wal (file names TTTTTTTTXXXXXXXXYYYYYYYY), if any.
std::optional<uint64_t> OldestSegment(const std::string& wal_dir, uint64_t segment_size) {
  std::error_code ec;
  std::optional<uint64_t> oldest;
  uint64_t per_id = 0x100000000ULL / segment_size;
  for (const auto& entry : std::filesystem::directory_iterator(wal_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() != 24 || name.find_first_not_of("0123456789ABCDEF") != std::string::npos) continue;
    uint64_t hi = std::stoull(name.substr(8, 8), nullptr, 16);
    uint64_t lo = std::stoull(name.substr(16, 8), nullptr, 16);
    uint64_t segno = hi * per_id + lo;
    if (!oldest || segno < *oldest) oldest = segno;
  }
  return oldest;
}

}  // namespace

absl::Status LibpqController::CopyLogicalSlots(const Upstream& leader, const std::vector<DesiredSlot>& slots,
                                               const std::optional<Upstream>& upstream,
                                               absl::Duration timeout) {
  // Reading files of the data directory needs a superuser (or pg_read_server_files): the
  // rewind user, as pg_rewind needs the same right.
  PGHA_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(RemoteParams(leader, RewindUser())));
  PGHA_ASSIGN_OR_RETURN(
      QueryResult rows,
      conn->Query("SELECT slot_name, datname, plugin, restart_lsn::text AS restart_lsn, "
                  "pg_catalog.pg_read_binary_file('pg_replslot/' || slot_name || '/state') AS state "
                  "FROM pg_catalog.pg_get_replication_slots() JOIN pg_catalog.pg_database ON datoid = oid "
                  "WHERE slot_type = 'logical' AND NOT pg_catalog.pg_is_in_recovery()"));
  // A copy is usable only if this replica still has the WAL from the slot's restart_lsn on
  // (pg_replication_slot_advance decodes from there): a slot created before this replica was
  // cloned must wait until its consumer moved it forward.
  PGHA_ASSIGN_OR_RETURN(QueryResult size_row,
                        Query("SELECT setting FROM pg_catalog.pg_settings WHERE name = 'wal_segment_size'"));
  uint64_t segment_size = 0;
  if (!absl::SimpleAtoi(size_row.Get(0, "setting").value_or(""), &segment_size) || segment_size == 0) {
    return absl::InternalError("cannot read wal_segment_size");
  }
  std::optional<uint64_t> oldest = OldestSegment(DataDir() + "/pg_wal", segment_size);
  std::vector<std::pair<std::string, std::string>> states;
  std::vector<std::string> not_ready;
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    std::string name = rows.Get(i, "slot_name").value_or("");
    for (const auto& want : slots) {
      if (want.name != name) continue;
      if (rows.Get(i, "datname").value_or("") != want.database || rows.Get(i, "plugin").value_or("") != want.plugin) {
        PGHA_LOG(WARNING) << "not copying logical slot " << name << ": database or plugin differ on the leader";
        continue;
      }
      auto restart = ParseLsn(rows.Get(i, "restart_lsn").value_or(""));
      if (!restart.ok() || !oldest || *restart / segment_size < *oldest) {
        not_ready.push_back(absl::StrCat(name, " (restart_lsn ", rows.Get(i, "restart_lsn").value_or("none"), ")"));
        continue;
      }
      std::optional<std::string> state = DecodeBytea(rows.Get(i, "state").value_or(""));
      if (state) states.emplace_back(name, *state);
    }
  }
  if (!states.empty()) {
    PGHA_RETURN_IF_ERROR(Stop(StopMode::kFast, absl::Seconds(pgconf().pg_ctl_timeout)));
    for (const auto& [name, state] : states) {
      PGHA_LOG(INFO) << "copying logical slot " << name << " from " << leader.name;
      PGHA_RETURN_IF_ERROR(WriteSlotState(DataDir() + "/pg_replslot", name, state));
    }
    PGHA_RETURN_IF_ERROR(Start(upstream, true, timeout));
  }
  if (!not_ready.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "logical slots not copied yet, their WAL is older than this replica's (a consumer must move them): ",
        absl::StrJoin(not_ready, ", ")));
  }
  return absl::OkStatus();
}

}  // namespace pgha::pg
