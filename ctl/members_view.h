// What `list`, `topology` and every command that shows the cluster first print: patronictl's
// output_members (the member table under " Cluster: <name> ", the maintenance-mode and scheduled
// switchover footer) and the history table. Built from a DCS snapshot only.
//
// Thread-safety: pure functions.
#ifndef PGHA_CTL_MEMBERS_VIEW_H_
#define PGHA_CTL_MEMBERS_VIEW_H_

#include <string>

#include "ctl/table.h"
#include "pgha/dcs/cluster_state.h"

namespace pgha::ctl {

// The member rows with every column patronictl computes (Cluster first). `fmt` "topology"
// orders members as the replication tree and indents names ("+ pg2").
Table MembersTable(const dcs::ClusterState& cluster, const std::string& name, bool extended,
                   const std::string& fmt);

// output_members: the table in `fmt` and, for pretty and topology, the footer
// (" Maintenance mode: on", " Switchover scheduled at: ...").
std::string RenderMembers(const dcs::ClusterState& cluster, const std::string& name, bool extended,
                          const std::string& fmt);

// The footer lines alone, already indented by one space; "" when there is nothing to say.
std::string ServiceInfo(const dcs::ClusterState& cluster);

// `history`: TL, LSN, Reason, Timestamp, New Leader.
Table HistoryTable(const dcs::ClusterState& cluster);

}  // namespace pgha::ctl

#endif  // PGHA_CTL_MEMBERS_VIEW_H_
