// Turns a DCS snapshot into the view an application connects by.
#include "pgha/client/cluster_view.h"

#include <algorithm>
#include <tuple>

#include "pgha/dcs/cluster_state.h"

namespace pgha::client {
namespace {

MemberView ToMemberView(const dcs::ClusterState& state, const dcs::Member& m) {
  MemberView v;
  v.name = m.name;
  v.role = m.role;
  v.state = m.state;
  v.replication_state = m.replication_state;
  v.host = m.Host();
  v.port = m.Port();
  v.conn_url = m.conn_url;
  v.api_url = m.api_url;
  v.timeline = m.timeline;
  // Without the leader's published position every replica would look 0 bytes behind, and a
  // max_lag_bytes filter would let a far-behind one serve reads.
  if (!state.IsLeader(m.name) && state.status.optime) v.lag_bytes = state.MemberLag(m);
  v.sync_standby = state.sync && state.sync->Contains(m.name);
  v.nofailover = m.NoFailover();
  v.noloadbalance = m.NoLoadBalance();
  if (m.tags.is_object()) {
    for (auto it = m.tags.begin(); it != m.tags.end(); ++it) v.tags[it.key()] = dcs::TagText(it.value());
  }
  return v;
}

auto Fields(const MemberView& m) {
  return std::tie(m.name, m.role, m.state, m.replication_state, m.host, m.port, m.conn_url,
                  m.api_url, m.timeline, m.lag_bytes, m.sync_standby, m.nofailover, m.noloadbalance,
                  m.tags);
}

}  // namespace

bool MemberView::operator==(const MemberView& other) const {
  return Fields(*this) == Fields(other);
}

const MemberView* ClusterView::Find(const std::string& name) const {
  if (primary && primary->name == name) return &*primary;
  if (standby_leader && standby_leader->name == name) return &*standby_leader;
  for (const MemberView& r : replicas) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

bool ClusterView::SameAs(const ClusterView& other) const {
  return std::tie(scope, leader, primary, standby_leader, replicas, timeline, paused, initialized,
                  dcs_reachable) == std::tie(other.scope, other.leader, other.primary,
                                             other.standby_leader, other.replicas, other.timeline,
                                             other.paused, other.initialized, other.dcs_reachable);
}

ClusterView BuildClusterView(const dcs::ClusterState& state, absl::Time now) {
  ClusterView view;
  view.scope = state.scope;
  view.leader = state.leader ? state.leader->name : "";
  view.timeline = state.Timeline();
  view.paused = state.IsPaused();
  view.initialized = state.initialize.has_value() && !state.initialize->empty();
  view.dcs_reachable = true;
  view.read_at = now;
  const bool standby_cluster = state.IsStandbyCluster();
  for (const dcs::Member& m : state.members) {
    MemberView member = ToMemberView(state, m);
    // Only the lock holder leads: a member key that still says "primary" after its lock
    // expired belongs to a node that is being (or was) replaced.
    if (state.IsLeader(m.name) && m.IsRunning()) {
      if (!standby_cluster && m.role == "primary") {
        view.primary = std::move(member);
        continue;
      }
      if (standby_cluster && m.role == "standby_leader") {
        view.standby_leader = std::move(member);
        continue;
      }
    }
    view.replicas.push_back(std::move(member));
  }
  std::sort(view.replicas.begin(), view.replicas.end(),
            [](const MemberView& a, const MemberView& b) { return a.name < b.name; });
  return view;
}

}  // namespace pgha::client
