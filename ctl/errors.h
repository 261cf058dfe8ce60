// How pghactl commands fail, mapped to what patronictl (click) prints and returns:
//   CtlError("msg")    "Error: msg" on stderr, exit 1 (PatroniCtlException);
//   UsageError("msg")  "Error: msg" on stderr, exit 2 (click's bad option or argument);
//   Aborted()          "Aborted!" on stderr, exit 1 (end of input at a prompt).
// Any other failing absl::Status is reported like CtlError.
#ifndef PGHA_CTL_ERRORS_H_
#define PGHA_CTL_ERRORS_H_

#include <string>

#include "absl/status/status.h"

namespace pgha::ctl {

inline constexpr char kUsagePayload[] = "pghactl/usage";
inline constexpr char kAbortPayload[] = "pghactl/abort";

inline absl::Status CtlError(const std::string& message) {
  return absl::FailedPreconditionError(message);
}

inline absl::Status UsageError(const std::string& message) {
  absl::Status s = absl::InvalidArgumentError(message);
  s.SetPayload(kUsagePayload, absl::Cord("1"));
  return s;
}

inline absl::Status Aborted() {
  absl::Status s = absl::CancelledError("Aborted!");
  s.SetPayload(kAbortPayload, absl::Cord("1"));
  return s;
}

inline bool IsUsageError(const absl::Status& s) { return s.GetPayload(kUsagePayload).has_value(); }
inline bool IsAborted(const absl::Status& s) { return s.GetPayload(kAbortPayload).has_value(); }

}  // namespace pgha::ctl

#endif  // PGHA_CTL_ERRORS_H_
