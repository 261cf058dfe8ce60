#include "ctl/member_select.h"

namespace pgha::ctl {

const std::vector<std::string>& RoleChoices() {
  static const std::vector<std::string> kRoles = {"leader",  "primary", "standby-leader", "replica",
                                                  "standby", "any",     "master"};
  return kRoles;
}

std::optional<dcs::Member> LeaderMember(const dcs::ClusterState& cluster) {
  if (!cluster.leader || cluster.leader->name.empty()) return std::nullopt;
  if (const dcs::Member* m = cluster.LeaderMember()) return *m;
  dcs::Member bare;
  bare.name = cluster.leader->name;
  return bare;
}

std::vector<dcs::Member> GetAllMembers(const dcs::ClusterState& cluster, const std::string& role) {
  std::vector<dcs::Member> out;
  if (role == "leader" || role == "primary" || role == "master" || role == "standby-leader") {
    auto leader = LeaderMember(cluster);
    if (!leader) return out;
    // The member key's role decides: a leader whose key says primary is no standby leader, one
    // whose key says standby_leader is no primary; a leader without a key is both.
    bool fits = role == "leader" || (role == "standby-leader" && leader->role != "primary") ||
                ((role == "primary" || role == "master") && leader->role != "standby_leader");
    if (fits) out.push_back(*leader);
    return out;
  }
  std::string leader_name = cluster.leader ? cluster.leader->name : "";
  for (const auto& m : cluster.members) {
    if (role == "any" || ((role == "replica" || role == "standby") && m.name != leader_name))
      out.push_back(m);
  }
  return out;
}

std::optional<dcs::Member> GetAnyMember(const dcs::ClusterState& cluster, const std::string& role,
                                        const std::string& member) {
  for (const auto& m : GetAllMembers(cluster, role)) {
    if (member.empty() || m.name == member) return m;
  }
  return std::nullopt;
}

std::vector<dcs::Member> MembersLeaderFirst(const dcs::ClusterState& cluster) {
  std::vector<dcs::Member> out;
  auto leader = LeaderMember(cluster);
  std::string leader_name = leader && !leader->api_url.empty() ? leader->name : "";
  if (!leader_name.empty()) out.push_back(*leader);
  for (const auto& m : cluster.members) {
    if (!m.api_url.empty() && m.name != leader_name) out.push_back(m);
  }
  return out;
}

}  // namespace pgha::ctl
