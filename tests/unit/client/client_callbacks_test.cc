// The client's callback machinery over the in-memory store (tests/support/fake_dcs.h, a real
// clock and blocking waits): removing callbacks, callbacks that throw, a slow callback beside a
// fast one, and a client destroyed from inside its own callback. What the views say is checked
// against real stores in tests/conformance/client_test.cc.
#include <atomic>
#include <catch2/catch.hpp>
#include <stdexcept>

#include "fake_dcs.h"
#include "pgha/client/client.h"
#include "pgha/dcs/dcs.h"
#include "wait.h"

namespace pgha::client {
namespace {

using testing::FakeDcsBackend;
using testing::FakeDcsStore;
using testing::WaitFor;

constexpr absl::Duration kDeadline = absl::Seconds(30);

struct World {
  FakeDcsStore store{RealClock::Get(), /*blocking_waits=*/true};
  dcs::Dcs writer{std::make_unique<FakeDcsBackend>(&store, "writer"),
                  dcs::KeyLayout("/service", "demo")};

  std::unique_ptr<Client> NewClient() {
    auto made =
        Client::FromBackend(std::make_unique<FakeDcsBackend>(&store, "client"), "/service", "demo");
    REQUIRE(made.ok());
    return std::move(*made);
  }
  // Any change the client will see: a member key with a new state.
  void Touch(int n) {
    dcs::Member m;
    m.name = "a";
    m.conn_url = "postgres://127.0.0.1:5432/postgres";
    m.state = "running";
    m.role = "replica";
    m.xlog_location = n;
    REQUIRE(writer.WriteMember(m).ok());
  }
};

TEST_CASE("RemoveCallback: no call after it returns, refused from inside a callback") {
  World w;
  std::unique_ptr<Client> c = w.NewClient();
  std::atomic<int> calls{0};
  std::atomic<bool> inner_refused{false};
  Client::CallbackId id = 0;
  id = c->OnChange([&](const ClusterViewPtr&) {
    ++calls;
    inner_refused = c->RemoveCallback(id).code() == absl::StatusCode::kFailedPrecondition;
  });
  REQUIRE(WaitFor([&] { return calls.load() >= 1; }, kDeadline));
  CHECK(inner_refused);
  REQUIRE(c->RemoveCallback(id).ok());
  const int after_removal = calls.load();
  // A second subscriber proves views still flow; the removed one is not called again.
  std::atomic<uint64_t> seen{0};
  c->OnChange([&](const ClusterViewPtr& v) { seen = v->sequence; });
  w.Touch(1);
  const uint64_t target = c->WaitForNewerThan(0, kDeadline)->sequence;
  REQUIRE(WaitFor([&] { return seen.load() >= target && seen.load() > 1; }, kDeadline));
  CHECK(calls.load() == after_removal);
  CHECK(c->RemoveCallback(12345).ok());  // unknown ids are ignored
}

TEST_CASE("a callback that throws is logged, later views still reach every callback") {
  World w;
  std::unique_ptr<Client> c = w.NewClient();
  std::atomic<int> thrown{0};
  std::atomic<uint64_t> seen{0};
  c->OnChange([&](const ClusterViewPtr&) {
    ++thrown;
    throw std::runtime_error("callback failure");
  });
  c->OnChange([&](const ClusterViewPtr& v) { seen = v->sequence; });
  REQUIRE(WaitFor([&] { return thrown.load() >= 1 && seen.load() >= 1; }, kDeadline));
  w.Touch(1);
  REQUIRE(WaitFor([&] { return seen.load() >= 2 && thrown.load() >= 2; }, kDeadline));
}

TEST_CASE("a slow callback does not starve the others") {
  World w;
  std::unique_ptr<Client> c = w.NewClient();
  std::atomic<bool> release{false};
  std::atomic<int> slow_calls{0};
  std::atomic<uint64_t> fast_seen{0};
  // The first subscriber (lowest id) blocks until released; views keep arriving meanwhile.
  c->OnChange([&](const ClusterViewPtr&) {
    ++slow_calls;
    WaitFor([&] { return release.load(); }, kDeadline);
  });
  c->OnChange([&](const ClusterViewPtr& v) { fast_seen = v->sequence; });
  REQUIRE(WaitFor([&] { return slow_calls.load() == 1; }, kDeadline));
  w.Touch(1);
  REQUIRE(WaitFor([&] { return c->Current()->sequence >= 2; }, kDeadline));
  release = true;
  // Once the slow one returns, the fast one is served before the slow one runs again, so it
  // reaches the latest view even while the slow one keeps being called.
  REQUIRE(WaitFor([&] { return fast_seen.load() >= 2; }, kDeadline));
}

TEST_CASE("a client destroyed from inside its own callback") {
  World w;
  std::unique_ptr<Client> c = w.NewClient();
  std::atomic<bool> destroyed{false};
  c->OnChange([&](const ClusterViewPtr&) {
    c.reset();  // e.g. a service rebuilding its client after a configuration change
    destroyed = true;
  });
  REQUIRE(WaitFor([&] { return destroyed.load(); }, kDeadline));
  // The process is still here: the notifier thread ended on its own.
  w.Touch(2);
}

TEST_CASE("an infinite timeout waits instead of overflowing the clock") {
  World w;
  dcs::Member m;
  m.name = "a";
  m.conn_url = "postgres://127.0.0.1:5432/postgres";
  m.state = "running";
  m.role = "primary";
  REQUIRE(w.writer.AcquireLeaderLock("a").ok());
  REQUIRE(w.writer.WriteMember(m).ok());
  std::unique_ptr<Client> c = w.NewClient();
  auto view = c->WaitForPrimary(absl::InfiniteDuration());
  REQUIRE(view.ok());
  CHECK((*view)->primary->name == "a");
  CHECK(c->WaitForNewerThan(0, absl::InfiniteDuration())->sequence >= 1);
}

}  // namespace
}  // namespace pgha::client
