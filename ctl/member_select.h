// Which members a command acts on: patronictl's get_all_members / get_any_member /
// get_all_members_leader_first over a DCS snapshot.
//
// Roles as `-r/--role` spells them: leader, primary (or master), standby-leader, replica,
// standby, any. The leader is returned even when its member key is missing (then with only a
// name), as Patroni's Leader object carries a member either way.
//
// Thread-safety: pure functions.
#ifndef PGHA_CTL_MEMBER_SELECT_H_
#define PGHA_CTL_MEMBER_SELECT_H_

#include <optional>
#include <string>
#include <vector>

#include "pgha/dcs/cluster_state.h"

namespace pgha::ctl {

// The values -r/--role accepts.
const std::vector<std::string>& RoleChoices();

// The leader's member (a name-only member when its key is missing); nullopt without a leader.
std::optional<dcs::Member> LeaderMember(const dcs::ClusterState& cluster);

// leader/primary/master/standby-leader: the leader if its role fits (a primary is not a standby
// leader and vice versa); replica/standby: every member but the leader; any: all members.
std::vector<dcs::Member> GetAllMembers(const dcs::ClusterState& cluster, const std::string& role);

// The first member of GetAllMembers(role) named `member` (any name when empty).
std::optional<dcs::Member> GetAnyMember(const dcs::ClusterState& cluster, const std::string& role,
                                        const std::string& member = "");

// Members with a REST API, the leader first: whom pause/resume and flush ask.
std::vector<dcs::Member> MembersLeaderFirst(const dcs::ClusterState& cluster);

}  // namespace pgha::ctl

#endif  // PGHA_CTL_MEMBER_SELECT_H_
