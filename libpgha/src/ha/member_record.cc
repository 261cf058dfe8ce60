#include "member_record.h"

#include "absl/strings/str_cat.h"
#include "pgha/base/version.h"

namespace pgha::ha::internal {

std::string ConnUrl(const config::Config& local) {
  return absl::StrCat("postgres://", local.postgresql.connect_address, "/postgres");
}

std::string ApiUrl(const config::Config& local) {
  return absl::StrCat(local.restapi.tls() ? "https" : "http", "://", local.restapi.connect_address,
                      "/patroni");
}

std::string MemberState(const LocalState& local) {
  if (local.task.running) {
    switch (local.task.kind) {
      case TaskKind::kBootstrap:
        return "initializing new cluster";
      case TaskKind::kCreateReplica:
      case TaskKind::kReinitialize:
        return "creating replica";
      case TaskKind::kRestart:
      case TaskKind::kCopySlots:
        return "restarting";
      case TaskKind::kGracefulDemote:
        return "stopping";
      default:
        return "starting";
    }
  }
  if (local.pg.accepting) return "running";
  if (local.pg.postmaster_alive) return "starting";
  if (local.pg.control && !local.pg.control->CleanlyShutDown()) return "crashed";
  return "stopped";
}

std::string MemberRole(const LocalState& local, bool holds_lock, bool standby_cluster) {
  if (local.pg.accepting && local.pg.in_recovery && holds_lock && standby_cluster) return "standby_leader";
  if (local.pg.accepting) return local.pg.in_recovery ? "replica" : "primary";
  if (local.pg.data_dir != pg::DataDirState::kValid) return "uninitialized";
  if (holds_lock) return standby_cluster ? "standby_leader" : "primary";
  if (local.pg.control && local.pg.control->WasPrimary()) return "demoted";
  return "replica";
}

dcs::Member MemberRecord(const config::Config& local_config, const LocalState& local,
                         const MemberFacts& facts) {
  dcs::Member m;
  m.name = local_config.name;
  m.conn_url = ConnUrl(local_config);
  m.api_url = ApiUrl(local_config);
  m.state = facts.state;
  m.role = facts.role;
  m.version_text = kPatroniCompatVersion;
  if (!local_config.postgresql.proxy_address.empty()) {
    m.proxy_url = absl::StrCat("postgres://", local_config.postgresql.proxy_address, "/postgres");
  }
  if (local.pg.accepting) {
    m.xlog_location = local.pg.WalPosition();
    m.timeline = local.pg.timeline;
    if (local.pg.in_recovery) {
      m.replication_state = local.pg.replication_state;
      m.receive_lsn = local.pg.receive_lsn;
      m.replay_lsn = local.pg.replay_lsn;
    }
  }
  m.tags = local_config.tags.all;
  m.pause = facts.paused;
  m.pending_restart = local.pg.pending_restart;
  if (facts.scheduled_restart) m.scheduled_restart = *facts.scheduled_restart;
  return m;
}

}  // namespace pgha::ha::internal
