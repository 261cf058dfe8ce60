#include "ctl/commands.h"

#include <ostream>

#include "ctl/member_select.h"
#include "ctl/members_view.h"
#include "ctl/time_format.h"

namespace pgha::ctl {

void OutputMembers(Session& session, const dcs::ClusterState& cluster, const std::string& name,
                   bool extended, const std::string& fmt) {
  session.out() << RenderMembers(cluster, name, extended, fmt);
}

absl::StatusOr<OpenCluster> LoadCluster(Session& session, const std::string& cluster_argument) {
  OpenCluster c;
  auto name = session.ClusterName(cluster_argument);
  if (!name.ok()) return name.status();
  c.name = *name;
  auto dcs = session.OpenDcs(c.name);
  if (!dcs.ok()) return dcs.status();
  c.dcs = std::move(*dcs);
  auto state = Session::Load(*c.dcs);
  if (!state.ok()) return state.status();
  c.state = *state;
  return c;
}

CLI::Option* AddRoleOption(CLI::App* command, std::string* role, const std::string& help) {
  return command->add_option("-r,--role", *role, help)->check(CLI::IsMember(RoleChoices()));
}

absl::Status Watching(Session& session, double interval, bool clear,
                      const std::function<absl::Status()>& body) {
  auto clear_screen = [&] {
    // click.clear(): only a terminal is cleared.
    if (clear && session.out_is_terminal()) session.out() << "\033[2J\033[1;1H";
  };
  if (interval > 0) clear_screen();
  while (true) {
    absl::Status s = body();
    if (!s.ok() || interval <= 0) return s;
    session.out() << std::flush;
    session.Sleep(absl::Seconds(interval));
    clear_screen();
  }
}

std::string Timestamp(const Session& session, int precision) {
  return CtlTimestamp(session.Now(), session.LocalZone(), precision);
}

}  // namespace pgha::ctl
