#include "pgha/dcs/call_budget.h"

#include <algorithm>

#include "pgha/base/clock.h"

namespace pgha::dcs {
namespace {

thread_local absl::Time g_budget_end = absl::InfiniteFuture();

}  // namespace

CallBudgetScope::CallBudgetScope(absl::Time monotonic_deadline) : previous_(g_budget_end) {
  g_budget_end = std::min(g_budget_end, monotonic_deadline);
}

CallBudgetScope::~CallBudgetScope() { g_budget_end = previous_; }

absl::Time CallDeadline(absl::Duration retry_timeout) {
  return std::min(MonotonicNow() + retry_timeout, g_budget_end);
}

}  // namespace pgha::dcs
