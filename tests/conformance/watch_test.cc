// Waking the HA loop: a waiter returns as soon as something in the cluster changes.
#include <catch2/catch.hpp>

#include <future>

#include "absl/strings/str_cat.h"
#include "harness.h"
#include "wait.h"

namespace pgha::conformance {
namespace {

// Starts WaitForChange on a fresh view in the background; returns the future of
// (changed, how long it waited).
std::future<std::pair<bool, absl::Duration>> WaitInBackground(dcs::Dcs& watcher,
                                                               absl::Duration timeout) {
  auto state = watcher.Load(dcs::ReadMode::kLinearizable);
  REQUIRE(state.ok());
  auto snapshot = *state;
  return std::async(std::launch::async, [&watcher, snapshot, timeout] {
    absl::Time start = absl::Now();
    auto changed = watcher.WaitForChange(*snapshot, timeout);
    return std::make_pair(changed.ok() && *changed, absl::Now() - start);
  });
}

TEST_CASE("a watcher wakes promptly on a leader change, a member change, and after its timeout") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  auto watcher = NewDcs(*server, scope);
  auto actor = NewDcs(*server, scope);
  const absl::Duration kLong = absl::Seconds(60);

  SECTION("leader change") {
    auto waiting = WaitInBackground(*watcher, kLong);
    REQUIRE(actor->AcquireLeaderLock("actor").ok());
    auto [changed, waited] = waiting.get();
    CHECK(changed);
    CHECK(waited < kLong);
    WARN("woke " << absl::FormatDuration(waited) << " after the wait began (leader change)");
  }
  SECTION("member change") {
    auto waiting = WaitInBackground(*watcher, kLong);
    dcs::Member m;
    m.name = "actor";
    m.conn_url = "postgres://127.0.0.1:5432/postgres";
    m.api_url = "http://127.0.0.1:8008/patroni";
    m.state = "running";
    m.role = "replica";
    REQUIRE(actor->WriteMember(m).ok());
    auto [changed, waited] = waiting.get();
    CHECK(changed);
    CHECK(waited < kLong);
  }
  SECTION("nothing changes: the wait ends at its timeout, reporting no change") {
    auto waiting = WaitInBackground(*watcher, absl::Milliseconds(500));
    auto [changed, waited] = waiting.get();
    CHECK_FALSE(changed);
    CHECK(waited >= absl::Milliseconds(450));
  }
  SECTION("a change made before the wait began (after the read) is not missed") {
    auto state = watcher->Load(dcs::ReadMode::kLinearizable);
    REQUIRE(state.ok());
    REQUIRE(actor->AcquireLeaderLock("actor").ok());
    auto changed = watcher->WaitForChange(**state, kLong);
    REQUIRE(changed.ok());
    CHECK(*changed);
  }
}

dcs::Member MemberIn(const std::string& name, const std::string& state) {
  dcs::Member m;
  m.name = name;
  m.conn_url = "postgres://127.0.0.1:5432/postgres";
  m.api_url = "http://127.0.0.1:8008/patroni";
  m.state = state;
  m.role = "replica";
  return m;
}

// A backend may serve default reads of a cluster it follows from a watch-maintained copy (etcd
// does): such a read must never miss a write this client made, and must show another client's
// write once the change was signalled.
TEST_CASE("default reads of a followed cluster show our own writes at once and others' after the wake-up") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  auto follower = NewDcs(*server, scope);
  auto actor = NewDcs(*server, scope);
  REQUIRE(follower->KeepAlive().ok());
  auto first = follower->Load();
  REQUIRE(first.ok());
  (void)follower->WaitForChange(**first, absl::Milliseconds(10));  // now it follows the cluster

  for (int i = 0; i < 20; ++i) {
    const std::string state = absl::StrCat("state-", i);
    REQUIRE(follower->WriteMember(MemberIn("follower", state)).ok());
    auto read = follower->Load();
    REQUIRE(read.ok());
    const dcs::Member* me = (*read)->FindMember("follower");
    REQUIRE(me != nullptr);
    CHECK(me->state == state);
  }

  auto before = follower->Load();
  REQUIRE(before.ok());
  REQUIRE(actor->AcquireLeaderLock("actor").ok());
  auto changed = follower->WaitForChange(**before, absl::Seconds(60));
  REQUIRE(changed.ok());
  CHECK(*changed);
  REQUIRE(follower->KeepAlive().ok());
  auto after = follower->Load();
  REQUIRE(after.ok());
  REQUIRE((*after)->leader);
  CHECK((*after)->leader->name == "actor");
  CHECK((*after)->revision > (*before)->revision);
}

}  // namespace
}  // namespace pgha::conformance
