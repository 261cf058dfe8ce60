#include "pgha/postgres/types.h"

#include <algorithm>
#include <cstdio>

#include "pgha/postgres/controller.h"

namespace pgha::pg {

const char* StopModeName(StopMode mode) {
  switch (mode) {
    case StopMode::kSmart:
      return "smart";
    case StopMode::kFast:
      return "fast";
    case StopMode::kImmediate:
      return "immediate";
    case StopMode::kKill:
      return "kill";
  }
  return "fast";
}

const char* CallbackActionName(CallbackAction action) {
  switch (action) {
    case CallbackAction::kOnStart:
      return "on_start";
    case CallbackAction::kOnStop:
      return "on_stop";
    case CallbackAction::kOnRestart:
      return "on_restart";
    case CallbackAction::kOnReload:
      return "on_reload";
    case CallbackAction::kOnRoleChange:
      return "on_role_change";
  }
  return "on_start";
}

bool ControlData::WasPrimary() const {
  return cluster_state == "in production" || cluster_state == "shutting down" ||
         cluster_state == "shut down" || cluster_state == "in crash recovery";
}

std::optional<Lsn> Observation::WalPosition() const {
  if (!in_recovery) return current_lsn;
  if (receive_lsn && replay_lsn) return std::max(*receive_lsn, *replay_lsn);
  return receive_lsn ? receive_lsn : replay_lsn;
}

namespace {

// What PostgreSQL allows in a replication slot name.
bool IsSlotNameChar(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

}  // namespace

std::string SlotNameForMember(const std::string& member_name) {
  std::string out;
  for (char raw : member_name) {
    unsigned char c = static_cast<unsigned char>(raw);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    if (IsSlotNameChar(c)) {
      out.push_back(static_cast<char>(c));
    } else if (c == '-' || c == '.') {
      out.push_back('_');
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "u%04x", c);
      out += buf;
    }
  }
  if (out.size() > 63) out.resize(63);
  return out;
}

bool IsValidSlotName(const std::string& name) {
  return !name.empty() && name.size() <= 63 &&
         std::all_of(name.begin(), name.end(), [](char c) { return IsSlotNameChar(static_cast<unsigned char>(c)); });
}

}  // namespace pgha::pg
