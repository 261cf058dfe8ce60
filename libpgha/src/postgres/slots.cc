// LibpqController: replication slots.
#include <set>

#include "absl/strings/str_cat.h"
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
  return absl::OkStatus();
}

}  // namespace pgha::pg
