// A per-thread bound on DCS calls, so that the HA loop's DCS work of one cycle cannot outlive
// the node's write deadline: while a CallBudgetScope lives on a thread, every backend call made
// on that thread ends by the scope's deadline, even when `retry_timeout` would allow longer
// (a call that has no time left fails with kDeadlineExceeded before sending anything).
// Deadlines are monotonic (Clock::Monotonic / MonotonicNow), never wall-clock time.
//
// Thread-safety: the scope is thread-local; scopes nest (the innermost, earliest wins).
#ifndef PGHA_DCS_CALL_BUDGET_H_
#define PGHA_DCS_CALL_BUDGET_H_

#include "absl/time/time.h"

namespace pgha::dcs {

class CallBudgetScope {
 public:
  explicit CallBudgetScope(absl::Time monotonic_deadline);
  ~CallBudgetScope();
  CallBudgetScope(const CallBudgetScope&) = delete;
  CallBudgetScope& operator=(const CallBudgetScope&) = delete;

 private:
  absl::Time previous_;
};

// The monotonic deadline of a call that starts now and may take `retry_timeout`: the earlier
// of now + retry_timeout and the current scope's deadline.
absl::Time CallDeadline(absl::Duration retry_timeout);

}  // namespace pgha::dcs

#endif  // PGHA_DCS_CALL_BUDGET_H_
