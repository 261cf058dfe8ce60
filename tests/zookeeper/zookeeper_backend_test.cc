// ZooKeeper-specific behaviour of the backend against a real ZooKeeper 3.8: every call bounded
// while the server is gone or frozen, the leader lock moved into a restarted node's session,
// session ownership and closing, ACLs and credentials, and the C client's log lines.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "pgha/backends/zookeeper.h"
#include "temp_dir.h"
#include "wait.h"
#include "zookeeper_server.h"

namespace pgha {
namespace {

using dcs::Binding;
using dcs::ReadMode;

std::unique_ptr<dcs::DcsBackend> Connect(const testing::ZooKeeperServer& server,
                                         absl::Duration ttl = absl::Seconds(10),
                                         absl::Duration retry = absl::Seconds(2),
                                         backends::ZooKeeperConfig cfg = {}) {
  cfg.hosts = {server.endpoint()};
  auto backend = backends::MakeZooKeeperBackend(cfg, ttl, retry);
  REQUIRE(backend.ok());
  return std::move(*backend);
}

dcs::RawSnapshot MustLoad(dcs::DcsBackend& backend, const std::string& prefix) {
  auto snapshot = backend.Load(prefix, ReadMode::kLinearizable);
  REQUIRE(snapshot.ok());
  return *snapshot;
}

const dcs::RawEntry* Find(const dcs::RawSnapshot& snapshot, const std::string& key) {
  for (const auto& e : snapshot.entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

// Runs every call of the SPI against an unreachable store: each must fail as unavailable,
// within the retry timeout (a primary must be able to demote; nothing may queue forever).
void ExpectEveryCallUnavailableInTime(dcs::DcsBackend& backend, absl::Duration retry) {
  const std::string p = "/service/bounded/";
  std::vector<std::pair<std::string, std::function<absl::Status()>>> calls = {
      {"Load", [&] { return backend.Load(p, ReadMode::kDefault).status(); }},
      {"Load linearizable", [&] { return backend.Load(p, ReadMode::kLinearizable).status(); }},
      {"Create", [&] { return backend.Create(p + "leader", "me", Binding::kSession).status(); }},
      {"CompareAndSet absent",
       [&] {
         return backend.CompareAndSet(p + "config", "{}", dcs::kNoVersion, Binding::kPersistent)
             .status();
       }},
      {"CompareAndSet",
       [&] { return backend.CompareAndSet(p + "config", "{}", 3, Binding::kPersistent).status(); }},
      {"Put", [&] { return backend.Put(p + "members/me", "{}", Binding::kSession).status(); }},
      {"CompareAndDelete", [&] { return backend.CompareAndDelete(p + "sync", 1); }},
      {"DeletePrefix", [&] { return backend.DeletePrefix(p); }},
      {"KeepAlive", [&] { return backend.KeepAlive(); }},
      {"RefreshLock", [&] { return backend.RefreshLock(p + "leader", "me", 0).status(); }},
      {"ReleaseLock", [&] { return backend.ReleaseLock(p + "leader", "me", 0); }},
  };
  for (const auto& [name, call] : calls) {
    absl::Time start = absl::Now();
    absl::Status status = call();
    absl::Duration took = absl::Now() - start;
    INFO(name << ": " << status.ToString() << " after " << absl::FormatDuration(took));
    CHECK((absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)));
    CHECK(took <= retry + absl::Milliseconds(500));
  }
}

TEST_CASE("while ZooKeeper is stopped every call fails as unavailable within retry_timeout") {
  testing::ZooKeeperServer server;
  server.Start();
  const absl::Duration retry = absl::Seconds(1);
  auto backend = Connect(server, absl::Seconds(10), retry);
  REQUIRE(backend->Put("/service/bounded/members/me", "{}", Binding::kSession).ok());
  server.Stop();
  ExpectEveryCallUnavailableInTime(*backend, retry);
  // A backend that never reached the server behaves the same.
  auto fresh = Connect(server, absl::Seconds(10), retry);
  ExpectEveryCallUnavailableInTime(*fresh, retry);
}

TEST_CASE("while ZooKeeper is frozen (connected, silent) every call fails within retry_timeout") {
  testing::ZooKeeperServer server;
  server.Start();
  const absl::Duration retry = absl::Seconds(1);
  auto backend = Connect(server, absl::Seconds(20), retry);
  REQUIRE(backend->Put("/service/bounded/members/me", "{}", Binding::kSession).ok());
  server.Pause();
  ExpectEveryCallUnavailableInTime(*backend, retry);
  server.Resume();
  REQUIRE(testing::WaitFor([&] { return backend->KeepAlive().ok(); }, absl::Seconds(30)));
  CHECK(Find(MustLoad(*backend, "/service/bounded/"), "/service/bounded/members/me") != nullptr);
}

TEST_CASE("a restarted node moves its leader lock into its new session") {
  testing::ZooKeeperServer server;
  server.Start();
  const std::string key = "/service/restart/leader";
  auto before = Connect(server);  // the node before its restart; its session is still alive
  REQUIRE(before->Create(key, "pg1", Binding::kSession).ok());
  auto after = Connect(server);  // the same node after the restart
  REQUIRE(after->KeepAlive().ok());
  const dcs::RawEntry* lock = Find(MustLoad(*after, "/service/restart/"), key);
  REQUIRE(lock != nullptr);
  CHECK(lock->session == before->SessionId());
  CHECK(lock->session != after->SessionId());

  auto moved = after->RefreshLock(key, "pg1", lock->version);
  REQUIRE(moved.ok());
  auto now = MustLoad(*after, "/service/restart/");
  REQUIRE(Find(now, key) != nullptr);
  CHECK(Find(now, key)->session == after->SessionId());
  CHECK(Find(now, key)->version == *moved);
  // The old session ending no longer takes the lock with it.
  REQUIRE(before->CloseSession().ok());
  CHECK(Find(MustLoad(*after, "/service/restart/"), key) != nullptr);
  // Refreshing in its own session writes nothing.
  CHECK(*after->RefreshLock(key, "pg1", *moved) == *moved);
  // Another holder is refused.
  CHECK(absl::IsAborted(before->RefreshLock(key, "pg2", *moved).status()));
  // Released, the lock is gone for good: a refresh never re-creates it.
  REQUIRE(after->ReleaseLock(key, "pg1", *moved).ok());
  CHECK(absl::IsAborted(after->RefreshLock(key, "pg1", *moved).status()));
  CHECK(absl::IsNotFound(after->ReleaseLock(key, "pg1", *moved)));
  CHECK(Find(MustLoad(*after, "/service/restart/"), key) == nullptr);
}

TEST_CASE("a version never matches a re-created key or a later write (versions are mzxids)") {
  testing::ZooKeeperServer server;
  server.Start();
  const std::string prefix = "/service/incarnations/";
  const std::string key = prefix + "sync";
  auto node = Connect(server);
  auto other = Connect(server);

  // The first incarnation: created, so at data version 0.
  auto created = node->CompareAndSet(key, "{\"leader\":\"pg1\"}", dcs::kNoVersion,
                                     Binding::kPersistent);
  REQUIRE(created.ok());
  const dcs::RawEntry* read = Find(MustLoad(*other, prefix), key);
  REQUIRE(read != nullptr);
  const dcs::Version old_version = read->version;
  CHECK(old_version == *created);

  // Deleted (synchronous mode off) and re-created: data version 0 again.
  REQUIRE(node->CompareAndDelete(key, old_version).ok());
  auto recreated = node->Create(key, "{\"leader\":\"pg2\"}", Binding::kPersistent);
  REQUIRE(recreated.ok());
  CHECK(*recreated != old_version);
  CHECK(*recreated > old_version);
  CHECK(Find(MustLoad(*other, prefix), key)->version == *recreated);

  // A writer holding the view of the first incarnation loses.
  CHECK(absl::IsAborted(
      other->CompareAndSet(key, "{\"leader\":\"pg3\"}", old_version, Binding::kPersistent)
          .status()));
  CHECK(absl::IsAborted(other->CompareAndDelete(key, old_version)));
  auto now = MustLoad(*other, prefix);
  REQUIRE(Find(now, key) != nullptr);
  CHECK(Find(now, key)->value == "{\"leader\":\"pg2\"}");
  CHECK(Find(now, key)->version == *recreated);

  // A Put moves the version on: the version read before it no longer matches.
  const std::string config = prefix + "config";
  auto first = node->Put(config, "{\"ttl\":30}", Binding::kPersistent);
  REQUIRE(first.ok());
  auto second = node->Put(config, "{\"ttl\":40}", Binding::kPersistent);
  REQUIRE(second.ok());
  CHECK(*second > *first);
  CHECK(absl::IsAborted(
      other->CompareAndSet(config, "{\"ttl\":50}", *first, Binding::kPersistent).status()));
  CHECK(absl::IsAborted(other->CompareAndDelete(config, *first)));
  auto third = other->CompareAndSet(config, "{\"ttl\":50}", *second, Binding::kPersistent);
  REQUIRE(third.ok());
  CHECK(*third > *second);
  CHECK(Find(MustLoad(*other, prefix), config)->version == *third);
  CHECK(absl::IsAborted(node->CompareAndDelete(config, *second)));
  CHECK(node->CompareAndDelete(config, *third).ok());
  CHECK(absl::IsNotFound(node->CompareAndDelete(config, *third)));

  // The leader lock: a holder's view of an earlier lock does not match a new one, even with
  // the same holder.
  const std::string leader = prefix + "leader";
  auto held = node->Create(leader, "pg1", Binding::kSession);
  REQUIRE(held.ok());
  REQUIRE(node->ReleaseLock(leader, "pg1", *held).ok());
  auto again = node->Create(leader, "pg1", Binding::kSession);
  REQUIRE(again.ok());
  CHECK(*again != *held);
  CHECK(absl::IsAborted(node->RefreshLock(leader, "pg1", *held).status()));
  CHECK(absl::IsAborted(node->ReleaseLock(leader, "pg1", *held)));
  auto refreshed = node->RefreshLock(leader, "pg1", *again);
  REQUIRE(refreshed.ok());
  CHECK(*refreshed == *again);
  CHECK(node->ReleaseLock(leader, "pg1", *again).ok());
}

TEST_CASE("entries carry their owner session, CloseSession deletes them at once") {
  testing::ZooKeeperServer server;
  server.Start();
  const std::string prefix = "/service/owners/";
  auto node = Connect(server);
  auto observer = Connect(server);
  REQUIRE(node->Put(prefix + "members/pg1", "{}", Binding::kSession).ok());
  auto config_version = node->Put(prefix + "config", "{}", Binding::kPersistent);
  REQUIRE(config_version.ok());
  REQUIRE(node->Put(prefix + "optime/leader", "42", Binding::kPersistent).ok());
  const std::string first_session = node->SessionId();
  CHECK_FALSE(first_session.empty());

  auto state = MustLoad(*observer, prefix);
  // Parents that only hold children (members, optime) are not entries.
  REQUIRE(state.entries.size() == 3);
  CHECK(Find(state, prefix + "members/pg1")->session == first_session);
  CHECK(Find(state, prefix + "config")->session.empty());
  CHECK(Find(state, prefix + "optime/leader")->value == "42");
  CHECK(Find(state, prefix + "config")->version == *config_version);

  REQUIRE(node->CloseSession().ok());
  CHECK(Find(MustLoad(*observer, prefix), prefix + "members/pg1") == nullptr);
  REQUIRE(node->KeepAlive().ok());
  CHECK(node->SessionId() != first_session);

  REQUIRE(node->DeletePrefix(prefix).ok());
  CHECK(MustLoad(*observer, prefix).entries.empty());
  CHECK(MustLoad(*observer, "/service/").entries.empty());  // the cluster's znode went too
}

TEST_CASE("a waiter wakes when a member's value changes and when its session ends") {
  testing::ZooKeeperServer server;
  server.Start();
  const std::string prefix = "/service/watch/";
  auto node = Connect(server);
  auto watcher = Connect(server);
  REQUIRE(node->Put(prefix + "members/pg1", "{\"state\":\"starting\"}", Binding::kSession).ok());

  auto before = MustLoad(*watcher, prefix);
  CHECK_FALSE(*watcher->WaitForChange(prefix, before.revision, absl::Milliseconds(200)));
  auto running_version =
      node->Put(prefix + "members/pg1", "{\"state\":\"running\"}", Binding::kSession);
  REQUIRE(running_version.ok());
  CHECK(*watcher->WaitForChange(prefix, before.revision, absl::Seconds(30)));

  auto running = MustLoad(*watcher, prefix);
  CHECK(Find(running, prefix + "members/pg1")->value == "{\"state\":\"running\"}");
  CHECK(Find(running, prefix + "members/pg1")->version == *running_version);
  REQUIRE(node->CloseSession().ok());
  CHECK(*watcher->WaitForChange(prefix, running.revision, absl::Seconds(30)));
  // Only the empty parent znode is left: the backend cannot tell it from a key with an empty
  // value (the cluster decoder ignores the name).
  auto gone = MustLoad(*watcher, prefix);
  CHECK(Find(gone, prefix + "members/pg1") == nullptr);
  REQUIRE(gone.entries.size() == 1);
  CHECK(gone.entries[0].key == prefix + "members");
  CHECK(gone.entries[0].value.empty());
}

TEST_CASE("set_acls and auth_data: only the credentialed client reads or writes") {
  testing::ZooKeeperServer server;
  server.Start();
  const std::string prefix = "/service/secured/";
  backends::ZooKeeperConfig secured;
  secured.auth_data = Json::object({{"digest", "pgha:s3cret"}});
  // base64(sha1("pgha:s3cret")), the form ZooKeeper's digest scheme stores.
  secured.set_acls =
      Json::object({{"digest:pgha:bYhjWk11fKvR+fvwQPLXEkKh/YM=", Json::array({"ALL"})}});
  auto owner = Connect(server, absl::Seconds(10), absl::Seconds(2), secured);
  auto created =
      owner->CompareAndSet(prefix + "config", "{}", dcs::kNoVersion, Binding::kPersistent);
  REQUIRE(created.ok());

  auto stranger = Connect(server);
  CHECK(absl::IsPermissionDenied(stranger->Load(prefix, ReadMode::kDefault).status()));
  CHECK(absl::IsPermissionDenied(
      stranger->CompareAndSet(prefix + "config", "{\"x\":1}", *created, Binding::kPersistent)
          .status()));

  backends::ZooKeeperConfig colleague;
  colleague.auth_data = Json::array({Json::array({"digest", "pgha:s3cret"})});
  auto friendly = Connect(server, absl::Seconds(10), absl::Seconds(2), colleague);
  CHECK(friendly->CompareAndSet(prefix + "config", "{\"x\":1}", *created, Binding::kPersistent)
            .ok());

  // Read and create only: the creator cannot change what it wrote. (Outside /service, whose
  // znode only the digest user may add children to.)
  backends::ZooKeeperConfig read_only;
  read_only.set_acls = Json::object({{"world:anyone", Json::array({"READ", "CREATE"})}});
  auto limited = Connect(server, absl::Seconds(10), absl::Seconds(2), read_only);
  auto limited_version = limited->Put("/limited/config", "{}", Binding::kPersistent);
  REQUIRE(limited_version.ok());
  CHECK(absl::IsPermissionDenied(
      limited->CompareAndSet("/limited/config", "{}", *limited_version, Binding::kPersistent)
          .status()));
}

TEST_CASE("unusable zookeeper sections are rejected with kInvalidArgument") {
  auto make = [](backends::ZooKeeperConfig cfg) {
    return backends::MakeZooKeeperBackend(cfg, absl::Seconds(30), absl::Seconds(10)).status();
  };
  backends::ZooKeeperConfig base;
  base.hosts = {"127.0.0.1:2181"};
  CHECK(absl::IsInvalidArgument(make(backends::ZooKeeperConfig{})));
  backends::ZooKeeperConfig tls = base;
  tls.use_ssl = true;
  CHECK(absl::IsInvalidArgument(make(tls)));
  backends::ZooKeeperConfig auth = base;
  auth.auth_data = Json::array({"digest"});
  CHECK(absl::IsInvalidArgument(make(auth)));
  backends::ZooKeeperConfig acls = base;
  acls.set_acls = Json::object({{"CN=pg1", Json::array({"EVERYTHING"})}});
  CHECK(absl::IsInvalidArgument(make(acls)));
  CHECK(make(base).ok());
}

// Captures this process's stderr into a file while alive.
class StderrCapture {
 public:
  StderrCapture() : path_(dir_.Sub("stderr")) {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~StderrCapture() { Restore(); }
  std::string Restore() {
    if (saved_ >= 0) {
      std::fflush(stderr);
      ::dup2(saved_, STDERR_FILENO);
      ::close(saved_);
      saved_ = -1;
    }
    return testing::ReadFile(path_);
  }

 private:
  testing::TempDir dir_{"pgha-stderr"};
  std::string path_;
  int saved_ = -1;
};

TEST_CASE("the C client's log lines go through pgha's logger and are held back in an outage") {
  testing::ZooKeeperServer server;
  server.Start();
  // A 2 s session timeout makes the C client retry every 33 ms while the server is down.
  auto backend = Connect(server, absl::Seconds(2), absl::Seconds(1));
  REQUIRE(backend->KeepAlive().ok());
  StderrCapture capture;
  server.Stop();
  absl::Time until = absl::Now() + absl::Seconds(3);
  while (absl::Now() < until) (void)backend->Load("/service/", ReadMode::kDefault);
  server.Start();
  REQUIRE(testing::WaitFor([&] { return backend->Load("/service/", ReadMode::kDefault).ok(); },
                           absl::Seconds(30)));
  std::string output = capture.Restore();
  int client_lines = 0;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    INFO(line);
    CHECK_FALSE(absl::StrContains(line, ":ZOO_"));  // nothing in the C client's raw format
    if (absl::StrContains(line, "zookeeper client: ")) ++client_lines;
  }
  INFO(output);
  CHECK(client_lines <= 2);
}

}  // namespace
}  // namespace pgha
