// The leader lock: atomic acquisition, expiry with the session, and refusal of every write by a
// non-holder or from a stale view.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "harness.h"
#include "pgha/dcs/codec.h"
#include "wait.h"

namespace pgha::conformance {
namespace {

dcs::Member MemberNamed(const std::string& name) {
  dcs::Member m;
  m.name = name;
  m.conn_url = "postgres://127.0.0.1:5432/postgres";
  m.api_url = "http://127.0.0.1:8008/patroni";
  m.state = "running";
  m.role = "replica";
  m.version_text = "3.0.2";
  return m;
}

dcs::ClusterStatePtr MustLoad(dcs::Dcs& d) {
  auto s = d.Load(dcs::ReadMode::kLinearizable);
  REQUIRE(s.ok());
  return *s;
}

TEST_CASE("N members race for the leader lock: exactly one wins and the others see who") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  constexpr int kRacers = 5;
  std::vector<std::unique_ptr<dcs::Dcs>> nodes;
  for (int i = 0; i < kRacers; ++i) nodes.push_back(NewDcs(*server, scope));
  // Sessions first, so that the race itself is only the create.
  for (auto& n : nodes) REQUIRE(n->KeepAlive().ok());
  std::atomic<bool> go{false};
  std::vector<absl::Status> results(kRacers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] = nodes[i]->AcquireLeaderLock(absl::StrCat("node", i));
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  int winners = 0;
  std::string winner;
  for (int i = 0; i < kRacers; ++i) {
    INFO("node" << i << ": " << results[i].ToString());
    if (results[i].ok()) {
      ++winners;
      winner = absl::StrCat("node", i);
    } else {
      CHECK(absl::IsAlreadyExists(results[i]));
    }
  }
  REQUIRE(winners == 1);
  for (auto& n : nodes) {
    auto state = MustLoad(*n);
    REQUIRE(state->leader);
    CHECK(state->leader->name == winner);
  }
}

TEST_CASE("the lock and the member key vanish within TTL after the holder stops refreshing") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  const absl::Duration ttl = absl::Seconds(6);
  auto holder = NewDcs(*server, scope, ttl, absl::Seconds(2));
  auto observer = NewDcs(*server, scope);
  REQUIRE(holder->AcquireLeaderLock("a").ok());
  REQUIRE(holder->WriteMember(MemberNamed("a")).ok());
  absl::Time before = absl::Now();
  REQUIRE(holder->KeepAlive().ok());
  absl::Time after = absl::Now();
  auto gone = [&] {
    auto s = observer->Load(dcs::ReadMode::kLinearizable);
    return s.ok() && !(*s)->leader && (*s)->FindMember("a") == nullptr;
  };
  // Not much earlier: for the first half of the TTL both keys stay.
  absl::Duration half = before + ttl / 2 - absl::Now();
  CHECK_FALSE(testing::WaitFor(gone, half));
  // Within the TTL (plus the store's expiry granularity and this machine's slowness).
  REQUIRE(testing::WaitFor(gone, ttl * 3));
  absl::Duration vanished_after = absl::Now() - after;
  WARN("lock vanished " << absl::FormatDuration(vanished_after) << " after the last refresh (ttl "
                        << absl::FormatDuration(ttl) << ")");
  CHECK(vanished_after >= ttl / 2);
  CHECK(vanished_after <= ttl + absl::Seconds(5));
}

TEST_CASE("refresh or release by a non-holder fails and changes nothing") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  auto a = NewDcs(*server, scope);
  auto b = NewDcs(*server, scope);
  REQUIRE(a->AcquireLeaderLock("a").ok());
  auto state = MustLoad(*b);
  REQUIRE(state->leader);
  const dcs::Leader held = *state->leader;

  CHECK(absl::IsAborted(b->RefreshLeaderLock("b", held)));
  CHECK(absl::IsAborted(b->ReleaseLeaderLock("b", held)));
  // Even with a forged view naming itself, b cannot refresh or delete a's lock.
  dcs::Leader forged = held;
  forged.name = "b";
  CHECK(absl::IsAborted(b->RefreshLeaderLock("b", forged)));
  CHECK(absl::IsAborted(b->ReleaseLeaderLock("b", forged)));
  CHECK(absl::IsAlreadyExists(b->AcquireLeaderLock("b")));

  auto after = MustLoad(*a);
  REQUIRE(after->leader);
  CHECK(after->leader->name == "a");
  CHECK(after->leader->version == held.version);
  // The holder itself still can.
  CHECK(a->RefreshLeaderLock("a", *after->leader).ok());
  CHECK(a->ReleaseLeaderLock("a", *after->leader).ok());
  CHECK_FALSE(MustLoad(*b)->leader);
}

TEST_CASE("a holder that wakes after its lock expired cannot take back the new leader's lock") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  auto a = NewDcs(*server, scope, absl::Seconds(4), absl::Seconds(2));
  auto b = NewDcs(*server, scope);
  REQUIRE(a->AcquireLeaderLock("a").ok());
  auto as_read = MustLoad(*a);
  REQUIRE(as_read->leader);
  // a stalls (no refresh) until its lease expires; b takes over.
  REQUIRE(testing::WaitFor([&] { return b->AcquireLeaderLock("b").ok(); }, absl::Seconds(30)));
  // a wakes up and refreshes with what it last read: refused, b keeps the lock.
  CHECK(absl::IsAborted(a->RefreshLeaderLock("a", *as_read->leader)));
  CHECK_FALSE(a->ReleaseLeaderLock("a", *as_read->leader).ok());
  auto now = MustLoad(*b);
  REQUIRE(now->leader);
  CHECK(now->leader->name == "b");
}

TEST_CASE("a stale compare-and-set on config, failover and sync is rejected") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  auto a = NewDcs(*server, scope);
  auto b = NewDcs(*server, scope);
  REQUIRE(a->WriteConfig({{"ttl", 30}}, dcs::kNoVersion).ok());
  CHECK(absl::IsAborted(b->WriteConfig({{"ttl", 40}}, dcs::kNoVersion)));  // create-only
  auto s1 = MustLoad(*a);
  REQUIRE(s1->config);
  REQUIRE(a->WriteConfig({{"ttl", 20}}, s1->config->version).ok());
  // b still holds the view from before a's write.
  CHECK(absl::IsAborted(b->WriteConfig({{"ttl", 50}}, s1->config->version)));

  dcs::FailoverRequest f;
  f.leader = "a";
  f.candidate = "b";
  REQUIRE(a->WriteFailover(f, dcs::kNoVersion).ok());
  auto s2 = MustLoad(*a);
  REQUIRE(s2->failover);
  REQUIRE(a->ClearFailover(s2->failover->version).ok());
  CHECK(absl::IsAborted(b->WriteFailover(f, s2->failover->version)));

  dcs::SyncState sync;
  sync.leader = "a";
  sync.sync_standby = {"b"};
  REQUIRE(a->WriteSync(sync, dcs::kNoVersion).ok());
  auto s3 = MustLoad(*a);
  REQUIRE(s3->sync);
  sync.sync_standby = {"c"};
  REQUIRE(a->WriteSync(sync, s3->sync->version).ok());
  CHECK(absl::IsAborted(b->WriteSync(sync, s3->sync->version)));
  CHECK(absl::IsAborted(b->DeleteSync(s3->sync->version)));

  auto final_state = MustLoad(*b);
  CHECK(final_state->config->data["ttl"] == Json(20));
  CHECK(final_state->PendingFailover() == nullptr);
  REQUIRE(final_state->sync);
  CHECK(final_state->sync->sync_standby == std::vector<std::string>{"c"});
}

TEST_CASE("the bootstrap race on initialize: one creator, then the system identifier by CAS") {
  auto server = StartDcsServer();
  const std::string scope = UniqueScope();
  auto a = NewDcs(*server, scope);
  auto b = NewDcs(*server, scope);
  REQUIRE(a->CreateInitialize("").ok());
  CHECK(absl::IsAlreadyExists(b->CreateInitialize("")));
  auto s = MustLoad(*a);
  REQUIRE(s->initialize);
  CHECK(s->initialize->empty());
  REQUIRE(a->SetInitialize("7710826820256107124", s->initialize_version).ok());
  auto done = MustLoad(*b);
  CHECK(*done->initialize == "7710826820256107124");
  CHECK(absl::IsAborted(b->CancelInitialize(s->initialize_version)));
  CHECK(a->CancelInitialize(done->initialize_version).ok());
  CHECK_FALSE(MustLoad(*a)->initialize);
}

}  // namespace
}  // namespace pgha::conformance
