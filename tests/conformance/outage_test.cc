// The store goes away and comes back; one of two endpoints is down.
#include <catch2/catch.hpp>

#include "harness.h"
#include "wait.h"

namespace pgha::conformance {
namespace {

bool Unreachable(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s);
}

TEST_CASE("the DCS stopped and restarted: unavailable, then recovery in the same process") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  auto d = NewDcs(*server, scope, absl::Seconds(20), absl::Seconds(2));
  REQUIRE(d->WriteConfig({{"ttl", 20}}, dcs::kNoVersion).ok());
  REQUIRE(d->Load().ok());

  server->Stop();
  auto during = d->Load();
  CHECK(Unreachable(during.status()));
  CHECK(Unreachable(d->KeepAlive()));
  CHECK(Unreachable(d->WriteConfig({{"ttl", 30}}, dcs::kNoVersion)));

  server->Start();
  REQUIRE(testing::WaitFor([&] { return d->Load().ok(); }, absl::Seconds(60)));
  auto state = d->Load(dcs::ReadMode::kLinearizable);
  REQUIRE(state.ok());
  REQUIRE((*state)->config);
  CHECK((*state)->config->data["ttl"] == Json(20));
  // Writes, sessions and the watch work again without a new client.
  REQUIRE(testing::WaitFor([&] { return d->KeepAlive().ok(); }, absl::Seconds(30)));
  CHECK(d->WriteConfig({{"ttl", 25}}, (*state)->config->version).ok());
  CHECK(d->AcquireLeaderLock("me").ok());
  auto again = d->Load(dcs::ReadMode::kLinearizable);
  REQUIRE(again.ok());
  // A change after the read wakes the waiter, whether it lands before or during the wait.
  auto other = NewDcs(*server, scope);
  REQUIRE(other->ClearFailover(dcs::kNoVersion).ok());
  auto changed = d->WaitForChange(**again, absl::Seconds(60));
  REQUIRE(changed.ok());
  CHECK(*changed);
}

TEST_CASE("with two endpoints and one down, everything works") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  dcs::Dcs d(server->NewBackendWithDeadEndpoint(absl::Seconds(10), absl::Seconds(5)),
             dcs::KeyLayout("/service", scope));
  auto observer = NewDcs(*server, scope);
  REQUIRE(d.Load().ok());
  REQUIRE(d.AcquireLeaderLock("me").ok());
  dcs::Member m;
  m.name = "me";
  m.conn_url = "postgres://127.0.0.1:5432/postgres";
  m.api_url = "http://127.0.0.1:8008/patroni";
  m.state = "running";
  m.role = "primary";
  REQUIRE(d.WriteMember(m).ok());
  auto state = d.Load(dcs::ReadMode::kLinearizable);
  REQUIRE(state.ok());
  REQUIRE((*state)->leader);
  CHECK((*state)->FindMember("me") != nullptr);
  CHECK(d.RefreshLeaderLock("me", *(*state)->leader).ok());
  REQUIRE(observer->WriteConfig({{"ttl", 30}}, dcs::kNoVersion).ok());
  auto changed = d.WaitForChange(**state, absl::Seconds(60));
  REQUIRE(changed.ok());
  CHECK(*changed);
  auto latest = d.Load(dcs::ReadMode::kLinearizable);
  REQUIRE(latest.ok());
  CHECK(d.ReleaseLeaderLock("me", *(*latest)->leader).ok());
}

}  // namespace
}  // namespace pgha::conformance
