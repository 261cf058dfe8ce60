// etcd-specific behaviour beyond the conformance suite: authentication (with token expiry), TLS
// with client certificates, and member discovery, against a real etcd.
#include <catch2/catch.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "etcd_server.h"
#include "pgha/backends/etcd3.h"
#include "pgha/base/process_runner.h"
#include "pgha/dcs/dcs.h"
#include "status_testing.h"
#include "temp_dir.h"
#include "test_certs.h"
#include "wait.h"

namespace pgha {
namespace {

std::unique_ptr<dcs::DcsBackend> Backend(const backends::EtcdConfig& cfg) {
  auto b = backends::MakeEtcd3Backend(cfg, absl::Seconds(10), absl::Seconds(3));
  REQUIRE(b.ok());
  return std::move(*b);
}

void Etcdctl(const std::string& endpoint, std::vector<std::string> args) {
  std::vector<std::string> argv = {"etcdctl", "--endpoints", endpoint};
  argv.insert(argv.end(), args.begin(), args.end());
  PosixProcessRunner runner;
  auto r = runner.Run({.argv = argv, .env = {{"ETCDCTL_API", "3"}}, .timeout = absl::Seconds(30)});
  REQUIRE(r.ok());
  INFO(r->output);
  REQUIRE(r->exit_code == 0);
}

TEST_CASE("username and password: refused without, served with, token renewed after expiry") {
  // Tokens expire after one second, so that the renewal path runs.
  testing::EtcdServer server({"--auth-token-ttl=1"});
  server.Start();
  backends::EtcdConfig open_cfg;
  open_cfg.hosts = {server.endpoint()};
  open_cfg.use_proxies = true;
  REQUIRE(
      testing::WaitFor([&] { return Backend(open_cfg)->Load("/", dcs::ReadMode::kDefault).ok(); },
                       absl::Seconds(60)));
  Etcdctl(server.endpoint(), {"user", "add", "root", "--new-user-password=rootpw"});
  Etcdctl(server.endpoint(), {"user", "grant-role", "root", "root"});
  Etcdctl(server.endpoint(), {"auth", "enable"});

  auto anonymous = Backend(open_cfg);
  auto denied = anonymous->Put("/service/a/config", "{}", dcs::Binding::kPersistent);
  CHECK_FALSE(denied.ok());
  CHECK((absl::IsPermissionDenied(denied.status()) || absl::IsUnauthenticated(denied.status()) ||
         absl::IsInvalidArgument(denied.status())));

  backends::EtcdConfig auth_cfg = open_cfg;
  auth_cfg.username = "root";
  auth_cfg.password = "rootpw";
  dcs::Dcs d(Backend(auth_cfg), dcs::KeyLayout("/service", "auth"));
  REQUIRE(d.WriteConfig({{"ttl", 30}}, dcs::kNoVersion).ok());
  REQUIRE(d.AcquireLeaderLock("me").ok());
  // Wait until the token has certainly expired (polling the clock, not sleeping blindly), then
  // use the same client again: it must re-authenticate on its own.
  absl::Time expired = absl::Now() + absl::Seconds(3);
  REQUIRE(testing::WaitFor([&] { return absl::Now() > expired; }, absl::Seconds(10)));
  CHECK(d.KeepAlive().ok());  // the HA loop's first call of a cycle: it opens the keep-alive stream
  auto state = d.Load();
  REQUIRE(state.ok());
  REQUIRE((*state)->leader);
  CHECK((*state)->leader->name == "me");
  CHECK(d.RefreshLeaderLock("me", *(*state)->leader).ok());

  backends::EtcdConfig wrong = auth_cfg;
  wrong.password = "nope";
  auto bad = Backend(wrong)->Load("/service/auth/", dcs::ReadMode::kDefault);
  CHECK_FALSE(bad.ok());
}

TEST_CASE("TLS with a CA and a client certificate") {
  auto certs = testing::TestCerts::Make();
  REQUIRE_OK(certs);
  testing::EtcdServer server({}, (*certs)->dir());
  server.Start();
  backends::EtcdConfig cfg;
  cfg.hosts = {server.endpoint()};
  cfg.use_proxies = true;
  cfg.protocol = "https";
  cfg.cacert = (*certs)->ca();
  cfg.cert = (*certs)->cert("client");
  cfg.key = (*certs)->key("client");
  auto tls = Backend(cfg);
  REQUIRE(testing::WaitFor([&] { return tls->Load("/", dcs::ReadMode::kDefault).ok(); },
                           absl::Seconds(60)));
  dcs::Dcs d(std::move(tls), dcs::KeyLayout("/service", "tls"));
  CHECK(d.AcquireLeaderLock("me").ok());
  // Without a client certificate the server refuses the connection.
  backends::EtcdConfig no_cert = cfg;
  no_cert.cert.clear();
  no_cert.key.clear();
  CHECK_FALSE(Backend(no_cert)->Load("/", dcs::ReadMode::kDefault).ok());
  // A missing CA file is a configuration error, reported before connecting.
  backends::EtcdConfig missing = cfg;
  missing.cacert = (*certs)->dir() + "/nope.crt";
  CHECK(absl::IsInvalidArgument(
      backends::MakeEtcd3Backend(missing, absl::Seconds(10), absl::Seconds(3)).status()));
}

TEST_CASE(
    "one configured host is enough: the others come from MemberList, and carry on when it dies") {
  // A three-member etcd cluster (a majority survives one member).
  std::vector<std::unique_ptr<testing::EtcdServer>> members;
  for (int i = 0; i < 3; ++i) members.push_back(std::make_unique<testing::EtcdServer>());
  std::string initial;
  for (int i = 0; i < 3; ++i) {
    absl::StrAppend(&initial, i ? "," : "", "m", i, "=", members[i]->peer_url());
  }
  for (int i = 0; i < 3; ++i) {
    members[i]->AddArgs({"--name", absl::StrCat("m", i), "--initial-cluster", initial,
                         "--initial-cluster-token", "pgha-discovery"});
  }
  // Each member waits for the others before it serves: start them together.
  std::vector<std::thread> starting;
  for (auto& m : members) starting.emplace_back([&m] { m->Start(); });
  for (auto& t : starting) t.join();

  backends::EtcdConfig discovering;
  discovering.hosts = {members[0]->endpoint()};
  discovering.use_proxies = false;  // Patroni's default for `host`/`hosts`: discover the rest
  backends::EtcdConfig fixed = discovering;
  fixed.use_proxies = true;  // a proxy: only what is configured
  auto with_discovery = Backend(discovering);
  auto without = Backend(fixed);
  REQUIRE(testing::WaitFor(
      [&] { return with_discovery->Load("/service/disc/", dcs::ReadMode::kDefault).ok(); },
      absl::Seconds(60)));
  REQUIRE(without->Load("/service/disc/", dcs::ReadMode::kDefault).ok());

  members[0]->Kill();
  dcs::Dcs d(std::move(with_discovery), dcs::KeyLayout("/service", "disc"));
  CHECK(testing::WaitFor([&] { return d.AcquireLeaderLock("me").ok(); }, absl::Seconds(60)));
  auto state = d.Load();
  REQUIRE_OK(state);
  REQUIRE((*state)->leader);
  CHECK((*state)->leader->name == "me");
  // Without discovery the one configured host is all there is.
  CHECK_FALSE(without->Load("/service/disc/", dcs::ReadMode::kDefault).ok());
}

}  // namespace
}  // namespace pgha
