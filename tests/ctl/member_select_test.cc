// Which members -r/--role and -m/--member pick, and the order pause/flush ask them in.
#include "ctl/member_select.h"

#include <catch2/catch.hpp>

namespace pgha::ctl {
namespace {

dcs::Member M(const std::string& name, const std::string& role,
              const std::string& api_url = "http://h/patroni") {
  dcs::Member m;
  m.name = name;
  m.role = role;
  m.api_url = api_url;
  return m;
}

dcs::ClusterState Cluster(const std::string& leader_role) {
  dcs::ClusterState c;
  c.members = {M("a", "replica"), M("b", leader_role), M("c", "replica", "")};
  c.leader = dcs::Leader{"b", 1, ""};
  return c;
}

std::vector<std::string> Names(const std::vector<dcs::Member>& members) {
  std::vector<std::string> out;
  for (const auto& m : members) out.push_back(m.name);
  return out;
}

TEST_CASE("leader roles pick the leader only when its member key agrees") {
  auto primary = Cluster("primary");
  CHECK(Names(GetAllMembers(primary, "leader")) == std::vector<std::string>{"b"});
  CHECK(Names(GetAllMembers(primary, "primary")) == std::vector<std::string>{"b"});
  CHECK(Names(GetAllMembers(primary, "master")) == std::vector<std::string>{"b"});
  CHECK(GetAllMembers(primary, "standby-leader").empty());
  auto standby = Cluster("standby_leader");
  CHECK(GetAllMembers(standby, "primary").empty());
  CHECK(Names(GetAllMembers(standby, "standby-leader")) == std::vector<std::string>{"b"});
}

TEST_CASE("replica, any and a named member") {
  auto c = Cluster("primary");
  CHECK(Names(GetAllMembers(c, "replica")) == std::vector<std::string>{"a", "c"});
  CHECK(Names(GetAllMembers(c, "any")) == std::vector<std::string>{"a", "b", "c"});
  CHECK(GetAnyMember(c, "any", "c")->name == "c");
  CHECK_FALSE(GetAnyMember(c, "replica", "b"));
}

TEST_CASE("a leader without a member key is still the leader, by name") {
  dcs::ClusterState c;
  c.leader = dcs::Leader{"gone", 1, ""};
  auto leader = GetAnyMember(c, "primary");
  REQUIRE(leader);
  CHECK(leader->name == "gone");
  CHECK(leader->api_url.empty());
}

TEST_CASE("REST calls go to the leader first, then members with an API") {
  auto c = Cluster("primary");
  CHECK(Names(MembersLeaderFirst(c)) == std::vector<std::string>{"b", "a"});
}

}  // namespace
}  // namespace pgha::ctl
