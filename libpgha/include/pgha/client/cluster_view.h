// What an application needs to know about a cluster to connect to it: who the primary is, which
// replicas can serve reads, and whether that knowledge is current. Built from a DCS snapshot
// (the keys Patroni and pgha write); immutable once built, shared between threads.
//
// Thread-safety: plain values, shared as std::shared_ptr<const ClusterView>.
#ifndef PGHA_CLIENT_CLUSTER_VIEW_H_
#define PGHA_CLIENT_CLUSTER_VIEW_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace pgha::dcs {
struct ClusterState;
}

namespace pgha::client {

struct MemberView {
  std::string name;
  // What the member publishes: primary, replica, standby_leader, demoted, uninitialized, ...
  // (Patroni 3's "master" reads as primary).
  std::string role;
  std::string state;              // running, starting, stopped, crashed, ...
  std::string replication_state;  // streaming, in archive recovery; "" when not published
  std::string host;               // from conn_url; "" when it cannot be parsed
  int port = 0;
  std::string conn_url;  // postgres://host:port/postgres as published
  std::string api_url;   // the member's REST API
  std::optional<int> timeline;
  // Replicas: bytes behind the primary's last published position (the same figure as
  // `pghactl list`); nullopt when the member or the leader (the `status` key) publishes none.
  std::optional<int64_t> lag_bytes;
  bool sync_standby = false;  // listed as synchronous (or a quorum voter) in the `sync` key
  bool nofailover = false;
  bool noloadbalance = false;
  // Every tag as text, the way the REST API's ?tag_<name>=<value> compares them: strings as
  // they are, other values as lower-case JSON ("true", "1").
  std::map<std::string, std::string> tags;

  bool operator==(const MemberView& other) const;
  bool operator!=(const MemberView& other) const { return !(*this == other); }
};

struct ClusterView {
  std::string scope;
  // The member holding the leader lock ("" when nobody holds it: a failover is under way or the
  // cluster is not bootstrapped).
  std::string leader;
  // The lock holder once it publishes itself as a running primary: the node that accepts
  // writes. Unset while nobody holds the lock, while the new holder is still promoting, and in a
  // standby cluster (whose leader is a standby: see `standby_leader`).
  std::optional<MemberView> primary;
  std::optional<MemberView> standby_leader;  // standby clusters only
  // Every member except `primary` (and `standby_leader`), sorted by name.
  std::vector<MemberView> replicas;
  int timeline = 0;  // the cluster's timeline from the `history` key; 0 when unknown
  bool paused = false;
  bool initialized = false;  // the `initialize` key holds a system identifier
  // False while the DCS cannot be read: everything else is then the last view read
  // successfully (at `read_at`), and may be out of date.
  bool dcs_reachable = false;
  absl::Time read_at = absl::InfinitePast();  // the last successful read
  // Counts the views this client published, starting at 1: a later view has a larger number.
  uint64_t sequence = 0;

  // The member called `name` (primary, standby leader or replica), or null.
  const MemberView* Find(const std::string& name) const;
  // Whether `other` says the same about the cluster (ignores read_at and sequence).
  bool SameAs(const ClusterView& other) const;
};

using ClusterViewPtr = std::shared_ptr<const ClusterView>;

// The view of one DCS snapshot (dcs_reachable = true, read_at = now, sequence 0).
ClusterView BuildClusterView(const dcs::ClusterState& state, absl::Time now);

}  // namespace pgha::client

#endif  // PGHA_CLIENT_CLUSTER_VIEW_H_
