// What this node tells the cluster about itself: its member key in Patroni's format and the
// state/role words Patroni uses. Pure functions of the node's configuration and observation.
// Internal to the HA loop.
#ifndef PGHA_HA_MEMBER_RECORD_H_
#define PGHA_HA_MEMBER_RECORD_H_

#include <optional>
#include <string>

#include "pgha/base/json.h"
#include "pgha/config/config.h"
#include "pgha/dcs/cluster_state.h"
#include "pgha/ha/types.h"

namespace pgha::ha::internal {

// postgres://connect_address/postgres, the member key's conn_url.
std::string ConnUrl(const config::Config& local);
// http(s)://restapi.connect_address/patroni, the member key's api_url.
std::string ApiUrl(const config::Config& local);

// Patroni's `state`: running, starting, stopped, crashed, or what a running task is doing.
std::string MemberState(const LocalState& local);
// Patroni's `role`: primary, replica, demoted (a former primary, stopped) or uninitialized.
// standby_leader: the lock holder of a standby cluster.
std::string MemberRole(const LocalState& local, bool holds_lock, bool standby_cluster = false);

struct MemberFacts {
  std::string state;
  std::string role;
  bool paused = false;
  std::optional<Json> scheduled_restart;
};
dcs::Member MemberRecord(const config::Config& local_config, const LocalState& local,
                         const MemberFacts& facts);

}  // namespace pgha::ha::internal

#endif  // PGHA_HA_MEMBER_RECORD_H_
