// libpq connection strings from a ClusterView: the primary, or a replica chosen for reads.
//
// Thread-safety: pure functions.
#ifndef PGHA_CLIENT_CONNINFO_H_
#define PGHA_CLIENT_CONNINFO_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pgha/client/cluster_view.h"

namespace pgha::client {

// What the application adds to the host and port the view gives. Empty fields are left out (libpq
// then uses its defaults: PGUSER, ~/.pgpass, ...).
struct ConnectionSettings {
  std::string dbname;
  std::string user;
  std::string password;
  std::string application_name;
  int connect_timeout_seconds = 3;  // 0: libpq's default (wait forever)
  // Any other libpq keyword (sslmode, sslrootcert, options, ...).
  std::map<std::string, std::string> extra;
};

// How to pick a replica for reads.
struct ReplicaPreference {
  // Only replicas at most this many bytes behind the primary (unknown lag never qualifies).
  std::optional<int64_t> max_lag_bytes;
  // Only replicas with every one of these tags at this value (compared as the REST API's
  // ?tag_<name>=<value> does).
  std::map<std::string, std::string> tags;
  // When no replica qualifies, return the primary instead of kUnavailable.
  bool fall_back_to_primary = false;
};

// The primary's connection string, with target_session_attrs=read-write so that libpq refuses
// the node if it is no longer writable (a view is always a little behind the cluster).
// kUnavailable when the view has no primary (a failover is under way).
absl::StatusOr<std::string> PrimaryConnInfo(const ClusterView& view,
                                            const ConnectionSettings& settings);

// The replicas that may serve reads under `preference`, best first (least lag, then name):
// running as replicas, not tagged noloadbalance, with a parsable address. Empty when none
// qualifies.
std::vector<const MemberView*> ReadReplicas(const ClusterView& view,
                                            const ReplicaPreference& preference);

// The connection string of the best replica for reads (the first of ReadReplicas), or the
// primary's when none qualifies and `preference.fall_back_to_primary`; kUnavailable otherwise.
absl::StatusOr<std::string> ReplicaConnInfo(const ClusterView& view,
                                            const ReplicaPreference& preference,
                                            const ConnectionSettings& settings);

// A connection string for one member (no target_session_attrs).
std::string MemberConnInfo(const MemberView& member, const ConnectionSettings& settings);

}  // namespace pgha::client

#endif  // PGHA_CLIENT_CONNINFO_H_
