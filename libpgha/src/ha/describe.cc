#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pgha/ha/types.h"

namespace pgha::ha {
namespace {

std::string Up(const std::optional<pg::Upstream>& u) { return u ? u->name : std::string("-"); }

struct Describer {
  std::string operator()(const AcquireLock&) const { return "AcquireLock"; }
  std::string operator()(const RefreshLock& a) const { return absl::StrCat("RefreshLock(v", a.as_read.version, ")"); }
  std::string operator()(const ReleaseLock& a) const { return absl::StrCat("ReleaseLock(v", a.as_read.version, ")"); }
  std::string operator()(const CreateInitialize&) const { return "CreateInitialize"; }
  std::string operator()(const SetInitialize& a) const { return absl::StrCat("SetInitialize(", a.sysid, ")"); }
  std::string operator()(const CancelInitialize&) const { return "CancelInitialize"; }
  std::string operator()(const WriteConfig&) const { return "WriteConfig"; }
  std::string operator()(const ClearFailover&) const { return "ClearFailover"; }
  std::string operator()(const WriteSync& a) const {
    return absl::StrCat("WriteSync(", a.sync.leader, ":", absl::StrJoin(a.sync.sync_standby, ","), ")");
  }
  std::string operator()(const DeleteSync&) const { return "DeleteSync"; }
  std::string operator()(const WriteHistory& a) const { return absl::StrCat("WriteHistory(", a.history.size(), ")"); }
  std::string operator()(const WriteStatus& a) const {
    return absl::StrCat("WriteStatus(", a.status.optime.value_or(0), ")");
  }
  std::string operator()(const WriteFailsafe& a) const {
    return absl::StrCat("WriteFailsafe(", a.members.size(), ")");
  }
  std::string operator()(const StartTask& a) const {
    return absl::StrCat("StartTask(", TaskKindName(a.kind), ", ", Up(a.upstream), ")");
  }
  std::string operator()(const Promote&) const { return "Promote"; }
  std::string operator()(const Demote& a) const { return absl::StrCat("Demote(", pg::StopModeName(a.mode), ")"); }
  std::string operator()(const Follow& a) const { return absl::StrCat("Follow(", Up(a.upstream), ")"); }
  std::string operator()(const SetSyncStandbyNames& a) const {
    return absl::StrCat("SetSyncStandbyNames(", a.value, ")");
  }
  std::string operator()(const SyncSlots& a) const { return absl::StrCat("SyncSlots(", a.slots.size(), ", drop ", a.drop.size(), ")"); }
  std::string operator()(const ArmWriteGuard& a) const {
    return a.failsafe_since ? "ArmWriteGuard(failsafe)" : "ArmWriteGuard";
  }
  std::string operator()(const DisarmWriteGuard&) const { return "DisarmWriteGuard"; }
  std::string operator()(const Exit& a) const { return absl::StrCat("Exit(", a.reason, ")"); }
};

}  // namespace

std::string Describe(const Action& action) { return std::visit(Describer{}, action); }

}  // namespace pgha::ha
