// The conformance suite against the in-memory FakeDcsStore on the real clock: the simulation's
// DCS must behave like the real backends (same suite, same expectations).
#include <atomic>

#include "absl/strings/str_cat.h"
#include "fake_dcs.h"
#include "harness.h"

namespace pgha::conformance {
namespace {

class FakeDcsServer final : public DcsServer {
 public:
  std::unique_ptr<dcs::DcsBackend> NewBackend(absl::Duration ttl, absl::Duration retry) override {
    return std::make_unique<testing::FakeDcsBackend>(&store_, absl::StrCat("client", next_++), ttl, retry);
  }
  std::unique_ptr<dcs::DcsBackend> NewBackendWithDeadEndpoint(absl::Duration ttl, absl::Duration retry) override {
    return NewBackend(ttl, retry);  // one in-process store: there is no second endpoint to lose
  }
  void Stop() override { store_.SetDown(true); }
  void Start() override { store_.SetDown(false); }
  std::string Name() const override { return "fake"; }

 private:
  testing::FakeDcsStore store_{RealClock::Get(), /*blocking_waits=*/true};
  std::atomic<int> next_{0};
};

}  // namespace

std::unique_ptr<DcsServer> StartDcsServer() { return std::make_unique<FakeDcsServer>(); }

}  // namespace pgha::conformance
