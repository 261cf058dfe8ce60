#include "ctl/members_view.h"

#include <functional>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "ctl/py_format.h"
#include "pgha/base/pycompat.h"
#include "ctl/time_format.h"
#include "pgha/api/status_views.h"
#include "pgha/dcs/codec.h"

namespace pgha::ctl {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::optional<std::string> NameOf(const Json& member) {
  if (member.contains("name") && member["name"].is_string())
    return member["name"].get<std::string>();
  return std::nullopt;
}

// patronictl's topology_sort: the leader, then each replica under the member it replicates from
// (tags.replicatefrom naming another replica) or under the leader, names indented by depth.
std::vector<Json> TopologySort(const std::vector<Json>& members) {
  std::optional<std::string> leader;
  std::set<std::string> replicas;
  const Json* leader_member = nullptr;
  for (const auto& m : members) {
    if (EndsWith(JsonString(m, "role"), "leader")) {
      if (!leader_member) leader_member = &m;
    } else if (auto name = NameOf(m)) {
      replicas.insert(*name);
    }
  }
  if (leader_member) leader = NameOf(*leader_member);
  std::map<std::optional<std::string>, std::vector<Json>> topology;
  for (const auto& m : members) {
    if (EndsWith(JsonString(m, "role"), "leader")) continue;
    std::optional<std::string> parent;
    if (m.contains("tags") && m["tags"].is_object() && m["tags"].contains("replicatefrom") &&
        m["tags"]["replicatefrom"].is_string()) {
      parent = m["tags"]["replicatefrom"].get<std::string>();
    }
    if (!parent || parent->empty() || parent == NameOf(m) || replicas.count(*parent) == 0)
      parent = leader;
    topology[parent].push_back(m);
  }
  std::vector<Json> out;
  std::function<void(int, Json)> generate = [&](int level, Json member) {
    std::optional<std::string> name = NameOf(member);
    std::vector<Json> children = topology.count(name) ? topology[name] : std::vector<Json>{};
    if (level > 0) {
      member["name"] = absl::StrCat(std::string((level - 1) * 2, ' '), "+ ", name.value_or("None"));
      name = member["name"].get<std::string>();
    }
    if (name && !name->empty()) out.push_back(member);
    for (const auto& child : children) generate(level + 1, child);
  };
  generate(0, leader_member ? *leader_member : Json{{"name", nullptr}});
  return out;
}

}  // namespace

Table MembersTable(const dcs::ClusterState& cluster, const std::string& name, bool extended,
                   const std::string& fmt) {
  Json view = api::ClusterView(cluster);
  std::vector<Json> members(view["members"].begin(), view["members"].end());

  Table table;
  table.columns = {"Cluster", "Member", "Host", "Role", "State", "TL", "Lag in MB"};
  std::vector<const Json*> with_host;
  for (const auto& m : members) {
    if (m.contains("host")) with_host.push_back(&m);
  }
  for (const char* column : {"Pending restart", "Scheduled restart", "Tags"}) {
    std::string key = absl::StrReplaceAll(absl::AsciiStrToLower(column), {{" ", "_"}});
    bool any = false;
    for (const Json* m : with_host) any = any || (m->contains(key) && PyTruthy((*m)[key]));
    if (extended || any) table.columns.push_back(column);
  }
  // host:port when someone runs on a non-default port or two members share a host.
  bool append_port = false;
  std::set<std::string> hosts;
  for (const Json* m : with_host) {
    append_port = append_port || (m->contains("port") && (*m)["port"] != 5432);
    hosts.insert((*m)["host"].get<std::string>());
  }
  append_port = append_port || hosts.size() < with_host.size();

  if (fmt == "topology") members = TopologySort(members);
  for (auto& m : members) {
    Json cells = Json::object();
    cells["cluster"] = name;
    cells["member"] = m.value("name", Json(""));
    std::string host = JsonString(m, "host");
    if (append_port && !host.empty() && m.contains("port")) host += ":" + py::Str(m["port"]);
    cells["host"] = host;
    cells["role"] = PyTitle(absl::StrReplaceAll(JsonString(m, "role"), {{"_", " "}}));
    cells["state"] = m.value("state", Json(""));
    cells["tl"] = m.value("timeline", Json(""));
    Json lag = m.value("lag", Json(""));
    cells["lag_in_mb"] =
        lag.is_number_integer() ? Json(PyRound(lag.get<double>() / 1024 / 1024)) : lag;
    cells["pending_restart"] =
        m.contains("pending_restart") && PyTruthy(m["pending_restart"]) ? "*" : "";
    if (m.contains("scheduled_restart")) {
      const Json& restart = m["scheduled_restart"];
      std::string value =
          restart.is_object() ? py::Str(restart.value("schedule", Json(""))) : py::Str(restart);
      if (restart.is_object() && restart.contains("postgres_version")) {
        absl::StrAppend(&value, " if version < ", py::Str(restart["postgres_version"]));
      }
      cells["scheduled_restart"] = value;
    }
    if (m.contains("tags")) cells["tags"] = m["tags"];
    Row row;
    for (const auto& column : table.columns) {
      std::string key = absl::StrReplaceAll(absl::AsciiStrToLower(column), {{" ", "_"}});
      row.push_back(cells.value(key, Json("")));
    }
    table.rows.push_back(std::move(row));
  }
  table.alignment = {{"Group", 'r'}, {"Lag in MB", 'r'}, {"TL", 'r'}};
  table.title = absl::StrCat(" Cluster: ", name, " ");
  return table;
}

std::string ServiceInfo(const dcs::ClusterState& cluster) {
  std::vector<std::string> info;
  if (cluster.IsPaused()) info.push_back("Maintenance mode: on");
  if (const dcs::FailoverRequest* f = cluster.PendingFailover(); f != nullptr && f->scheduled_at) {
    std::string at = f->scheduled_at_text.empty() ? dcs::FormatTimestamp(*f->scheduled_at)
                                                  : NormalizeIsoTimestamp(f->scheduled_at_text);
    std::string line = "Switchover scheduled at: " + at;
    if (!f->leader.empty()) line += absl::StrFormat("\n%24s: %s", "from", f->leader);
    if (!f->candidate.empty()) line += absl::StrFormat("\n%24s: %s", "to", f->candidate);
    info.push_back(line);
  }
  if (info.empty()) return "";
  return " " + absl::StrJoin(info, "\n ") + "\n";
}

std::string RenderMembers(const dcs::ClusterState& cluster, const std::string& name, bool extended,
                          const std::string& fmt) {
  std::string out = PrintOutput(MembersTable(cluster, name, extended, fmt), fmt);
  if (fmt == "pretty" || fmt == "topology") out += ServiceInfo(cluster);
  return out;
}

Table HistoryTable(const dcs::ClusterState& cluster) {
  Table table;
  table.columns = {"TL", "LSN", "Reason", "Timestamp", "New Leader"};
  table.alignment = {{"TL", 'r'}, {"LSN", 'r'}};
  if (cluster.history) {
    for (const auto& e : cluster.history->entries) {
      table.rows.push_back(
          {Json(e.timeline), Json(e.lsn), Json(e.reason), Json(e.timestamp), Json(e.new_leader)});
    }
  }
  return table;
}

}  // namespace pgha::ctl
