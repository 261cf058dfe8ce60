#include "pgha/ha/write_deadline.h"

#include <algorithm>

namespace pgha::ha {

absl::Duration WriteMargin(absl::Duration ttl) { return std::max(absl::Seconds(1), ttl / 5); }

absl::Duration StopBudget(absl::Duration ttl) { return std::min(absl::Seconds(1), ttl / 10); }

WriteDeadline WriteDeadlineAfter(absl::Time refresh_sent, absl::Duration ttl) {
  WriteDeadline d;
  d.kill = refresh_sent + ttl - WriteMargin(ttl);
  d.stop_writes = d.kill - StopBudget(ttl);
  return d;
}

}  // namespace pgha::ha
