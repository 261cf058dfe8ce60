#include <atomic>

#include "absl/strings/str_cat.h"
#include "harness.h"

namespace pgha::conformance {

std::string UniqueScope() {
  static std::atomic<int> counter{0};
  return absl::StrCat("conf", ::getpid(), "-", counter.fetch_add(1));
}

std::unique_ptr<dcs::Dcs> NewDcs(DcsServer& server, const std::string& scope, absl::Duration ttl,
                                 absl::Duration retry_timeout) {
  return std::make_unique<dcs::Dcs>(server.NewBackend(ttl, retry_timeout),
                                    dcs::KeyLayout("/service", scope));
}

}  // namespace pgha::conformance
