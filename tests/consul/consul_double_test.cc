// The Consul double's own semantics, over raw HTTP (no backend code involved), so that the
// conformance run against it means something; then the backend pieces that need a Consul
// feature the conformance suite does not reach (TTL minimum, ACL token, service registration).
#include "consul_double.h"

#include <httplib.h>

#include <catch2/catch.hpp>
#include <future>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "pgha/backends/consul.h"
#include "pgha/base/json.h"
#include "wait.h"

namespace pgha::testing {
namespace {

struct Reply {
  int status = 0;  // 0: no answer
  std::string body;
  uint64_t index = 0;
  Json json() const { return Json::parse(body, nullptr, false); }
};

Reply Call(int port, const std::string& method, const std::string& target,
           const std::string& body = "", const std::string& token = "") {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(std::chrono::seconds(30));
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("X-Consul-Token", token);
  httplib::Result r = method == "GET"   ? cli.Get(target, headers)
                      : method == "PUT" ? cli.Put(target, headers, body, "application/json")
                                        : cli.Delete(target, headers);
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  std::string index = r->get_header_value("X-Consul-Index");
  if (!index.empty()) out.index = std::stoull(index);
  return out;
}

ConsulDoubleOptions ShortTtls() {
  ConsulDoubleOptions o;
  o.session_ttl_min = absl::Seconds(1);
  return o;
}

std::string NewSession(int port, const std::string& ttl, const std::string& behavior,
                       const std::string& lock_delay = "0s") {
  Reply r = Call(port, "PUT", "/v1/session/create",
                 Json{{"Name", "t"},
                      {"TTL", ttl},
                      {"Behavior", behavior},
                      {"LockDelay", lock_delay},
                      {"Checks", Json::array()}}
                     .dump());
  REQUIRE(r.status == 200);
  return r.json()["ID"].get<std::string>();
}

TEST_CASE("KV entries: base64 values, indexes, X-Consul-Index, 404 for a missing key") {
  ConsulDouble consul;
  consul.Start();
  const int port = consul.port();
  Reply missing = Call(port, "GET", "/v1/kv/a/b");
  CHECK(missing.status == 404);
  CHECK(missing.index >= 1);  // never 0
  REQUIRE(Call(port, "PUT", "/v1/kv/a/b", "hello").body == "true");
  Reply got = Call(port, "GET", "/v1/kv/a/b");
  REQUIRE(got.status == 200);
  Json e = got.json()[0];
  CHECK(e["Key"] == "a/b");
  CHECK(e["Value"] == absl::Base64Escape("hello"));
  CHECK(e["Flags"] == 0);
  CHECK(e["LockIndex"] == 0);
  CHECK_FALSE(e.contains("Session"));
  CHECK(e["CreateIndex"] == e["ModifyIndex"]);
  CHECK(got.index == e["ModifyIndex"].get<uint64_t>());
  // An unchanged value is not a write: the ModifyIndex stays.
  REQUIRE(Call(port, "PUT", "/v1/kv/a/b", "hello").body == "true");
  CHECK(Call(port, "GET", "/v1/kv/a/b").json()[0]["ModifyIndex"] == e["ModifyIndex"]);
  // An empty value reads back as null; a prefix lists in key order.
  REQUIRE(Call(port, "PUT", "/v1/kv/a/a", "").body == "true");
  Reply list = Call(port, "GET", "/v1/kv/a/?recurse");
  REQUIRE(list.json().size() == 2);
  CHECK(list.json()[0]["Key"] == "a/a");
  CHECK(list.json()[0]["Value"].is_null());
  CHECK(list.index == list.json()[0]["ModifyIndex"].get<uint64_t>());
}

TEST_CASE("cas=0 creates only, cas=<index> writes only at that ModifyIndex, cas deletes alike") {
  ConsulDouble consul;
  consul.Start();
  const int port = consul.port();
  CHECK(Call(port, "PUT", "/v1/kv/k?cas=0", "one").body == "true");
  CHECK(Call(port, "PUT", "/v1/kv/k?cas=0", "two").body == "false");
  uint64_t index = Call(port, "GET", "/v1/kv/k").json()[0]["ModifyIndex"];
  CHECK(Call(port, "PUT", absl::StrCat("/v1/kv/k?cas=", index + 1), "three").body == "false");
  CHECK(Call(port, "PUT", absl::StrCat("/v1/kv/k?cas=", index), "four").body == "true");
  CHECK(Call(port, "PUT", absl::StrCat("/v1/kv/k?cas=", index), "five").body == "false");
  Json now = Call(port, "GET", "/v1/kv/k").json()[0];
  CHECK(now["Value"] == absl::Base64Escape("four"));
  CHECK(now["CreateIndex"] == index);
  CHECK(Call(port, "DELETE", absl::StrCat("/v1/kv/k?cas=", index)).body == "false");
  CHECK(Call(port, "DELETE", "/v1/kv/k?cas=0").body == "false");  // 0 never deletes
  CHECK(Call(port, "DELETE", absl::StrCat("/v1/kv/k?cas=", now["ModifyIndex"].get<uint64_t>()))
            .body == "true");
  CHECK(Call(port, "GET", "/v1/kv/k").status == 404);
  // cas, acquire and release do not combine.
  CHECK(Call(port, "PUT", "/v1/kv/k?cas=0&acquire=x", "v").status == 400);
  CHECK(Call(port, "DELETE", "/v1/kv/k?cas=1&recurse").status == 400);
}

TEST_CASE("acquire: a key held by one session refuses the others until released") {
  ConsulDouble consul(ShortTtls());
  consul.Start();
  const int port = consul.port();
  std::string a = NewSession(port, "10s", "delete");
  std::string b = NewSession(port, "10s", "delete");
  CHECK(Call(port, "PUT", "/v1/kv/lock?acquire=" + a, "a").body == "true");
  CHECK(Call(port, "PUT", "/v1/kv/lock?acquire=" + b, "b").body == "false");
  Json held = Call(port, "GET", "/v1/kv/lock").json()[0];
  CHECK(held["Session"] == a);
  CHECK(held["LockIndex"] == 1);
  CHECK(held["Value"] == absl::Base64Escape("a"));
  // The holder may update it without giving it up; release by another session fails.
  CHECK(Call(port, "PUT", "/v1/kv/lock?acquire=" + a, "a2").body == "true");
  CHECK(Call(port, "GET", "/v1/kv/lock").json()[0]["LockIndex"] == 1);
  CHECK(Call(port, "PUT", "/v1/kv/lock?release=" + b, "").body == "false");
  CHECK(Call(port, "PUT", "/v1/kv/lock?release=" + a, "a3").body == "true");
  CHECK_FALSE(Call(port, "GET", "/v1/kv/lock").json()[0].contains("Session"));
  CHECK(Call(port, "PUT", "/v1/kv/lock?acquire=" + b, "b").body == "true");
  CHECK(Call(port, "GET", "/v1/kv/lock").json()[0]["LockIndex"] == 2);
  // An unknown session is an error, not a refusal.
  Reply bad = Call(port, "PUT", "/v1/kv/other?acquire=no-such-session", "x");
  CHECK(bad.status == 500);
  CHECK(bad.body.rfind("invalid session", 0) == 0);
}

TEST_CASE("sessions expire 2x their TTL after the last renewal and delete or release their keys") {
  ConsulDouble consul(ShortTtls());
  consul.Start();
  const int port = consul.port();
  std::string deleting = NewSession(port, "1s", "delete");
  std::string releasing = NewSession(port, "1s", "release");
  REQUIRE(Call(port, "PUT", "/v1/kv/d?acquire=" + deleting, "x").body == "true");
  REQUIRE(Call(port, "PUT", "/v1/kv/r?acquire=" + releasing, "y").body == "true");
  absl::Time renewed = absl::Now();
  REQUIRE(Call(port, "PUT", "/v1/session/renew/" + deleting).status == 200);
  REQUIRE(Call(port, "PUT", "/v1/session/renew/" + releasing).status == 200);
  // Still there at the TTL itself...
  CHECK_FALSE(WaitFor([&] { return Call(port, "GET", "/v1/kv/d").status == 404; },
                      renewed + absl::Milliseconds(1200) - absl::Now()));
  // ...gone within 2x TTL.
  REQUIRE(WaitFor([&] { return Call(port, "GET", "/v1/kv/d").status == 404; }, absl::Seconds(5)));
  absl::Duration after = absl::Now() - renewed;
  CHECK(after >= absl::Seconds(2));
  CHECK(after < absl::Seconds(3));
  Json released = Call(port, "GET", "/v1/kv/r").json()[0];
  CHECK_FALSE(released.contains("Session"));
  CHECK(released["Value"] == absl::Base64Escape("y"));
  CHECK(released["LockIndex"] == 1);
  CHECK(Call(port, "PUT", "/v1/session/renew/" + deleting).status == 404);
  CHECK(Call(port, "GET", "/v1/session/info/" + deleting).json().empty());
  CHECK(consul.SessionCount() == 0);
}

TEST_CASE("session create validates the TTL, the behavior and the checks, destroy drops keys") {
  ConsulDouble consul;  // Consul's default minimum TTL: 10s
  consul.Start();
  const int port = consul.port();
  Reply short_ttl = Call(port, "PUT", "/v1/session/create", R"({"TTL":"5s"})");
  CHECK(short_ttl.status == 500);
  CHECK(short_ttl.body == "Invalid Session TTL '5000000000', must be between [10s=24h0m0s]");
  CHECK(Call(port, "PUT", "/v1/session/create", R"({"Behavior":"explode"})").status == 500);
  CHECK(Call(port, "PUT", "/v1/session/create", R"({"Checks":["nope"]})").status == 500);
  std::string id = NewSession(port, "10s", "delete");
  Json info = Call(port, "GET", "/v1/session/info/" + id).json();
  REQUIRE(info.size() == 1);
  CHECK(info[0]["TTL"] == "10s");
  CHECK(info[0]["Behavior"] == "delete");
  REQUIRE(Call(port, "PUT", "/v1/kv/x?acquire=" + id, "v").body == "true");
  CHECK(Call(port, "PUT", "/v1/session/destroy/" + id).body == "true");
  CHECK(Call(port, "GET", "/v1/kv/x").status == 404);
}

TEST_CASE("lock delay: a key held by an invalidated session cannot be acquired for a while") {
  ConsulDouble consul(ShortTtls());
  consul.Start();
  const int port = consul.port();
  std::string a = NewSession(port, "10s", "release", "1s");
  std::string b = NewSession(port, "10s", "release");
  REQUIRE(Call(port, "PUT", "/v1/kv/l?acquire=" + a, "a").body == "true");
  REQUIRE(Call(port, "PUT", "/v1/session/destroy/" + a).body == "true");
  absl::Time destroyed = absl::Now();
  CHECK(Call(port, "PUT", "/v1/kv/l?acquire=" + b, "b").body == "false");
  Json txn = Json::array({{{"KV", {{"Verb", "lock"}, {"Key", "l"}, {"Session", b}}}}});
  Reply refused = Call(port, "PUT", "/v1/txn", txn.dump());
  CHECK(refused.status == 409);
  CHECK(refused.json()["Errors"][0]["What"].get<std::string>().find("lock delay") !=
        std::string::npos);
  REQUIRE(WaitFor([&] { return Call(port, "PUT", "/v1/kv/l?acquire=" + b, "b").body == "true"; },
                  absl::Seconds(5)));
  CHECK(absl::Now() - destroyed >= absl::Seconds(1));
}

TEST_CASE("a blocking query waits until the index passes the given one, or its wait time") {
  ConsulDouble consul;
  consul.Start();
  const int port = consul.port();
  REQUIRE(Call(port, "PUT", "/v1/kv/p/a", "1").body == "true");
  const uint64_t index = Call(port, "GET", "/v1/kv/p/?recurse").index;
  // An older index answers at once.
  absl::Time start = absl::Now();
  CHECK(Call(port, "GET", absl::StrCat("/v1/kv/p/?recurse&index=", index - 1, "&wait=10s")).index ==
        index);
  CHECK(absl::Now() - start < absl::Seconds(2));
  // Nothing under the prefix changes (a write elsewhere does not count): the wait runs out.
  start = absl::Now();
  auto idle = std::async(std::launch::async, [&] {
    return Call(port, "GET", absl::StrCat("/v1/kv/p/?recurse&index=", index, "&wait=1s"));
  });
  REQUIRE(WaitFor([&] { return consul.BlockedQueries() == 1; }, absl::Seconds(10)));
  REQUIRE(Call(port, "PUT", "/v1/kv/q/other", "x").body == "true");
  Reply timed_out = idle.get();
  absl::Duration waited = absl::Now() - start;
  CHECK(timed_out.status == 200);
  CHECK(timed_out.index == index);
  CHECK(waited >= absl::Seconds(1));
  CHECK(waited < absl::Seconds(1) + absl::Seconds(1) / 16 + absl::Milliseconds(500));
  // A change under the prefix ends the wait with the new index.
  start = absl::Now();
  auto woken = std::async(std::launch::async, [&] {
    return Call(port, "GET", absl::StrCat("/v1/kv/p/?recurse&index=", index, "&wait=30s"));
  });
  REQUIRE(WaitFor([&] { return consul.BlockedQueries() == 1; }, absl::Seconds(10)));
  REQUIRE(Call(port, "PUT", "/v1/kv/p/b", "2").body == "true");
  Reply changed = woken.get();
  CHECK(changed.index > index);
  CHECK(absl::Now() - start < absl::Seconds(10));
  // A delete moves the prefix index too (its tombstone).
  const uint64_t before_delete = changed.index;
  REQUIRE(Call(port, "DELETE", "/v1/kv/p/b").body == "true");
  CHECK(Call(port, "GET", "/v1/kv/p/?recurse").index > before_delete);
}

TEST_CASE("txn: all or nothing at one index, results carry the new ModifyIndex") {
  ConsulDouble consul(ShortTtls());
  consul.Start();
  const int port = consul.port();
  std::string s = NewSession(port, "10s", "delete");
  auto op = [](const std::string& verb, const std::string& key, const std::string& value = "",
               uint64_t index = 0, const std::string& session = "") {
    Json kv = {{"Verb", verb}, {"Key", key}};
    if (!value.empty()) kv["Value"] = absl::Base64Escape(value);
    if (index != 0) kv["Index"] = index;
    if (!session.empty()) kv["Session"] = session;
    return Json{{"KV", kv}};
  };
  Reply created =
      Call(port, "PUT", "/v1/txn",
           Json::array({op("check-not-exists", "t/leader"), op("lock", "t/leader", "me", 0, s),
                        op("cas", "t/config", "{}")})
               .dump());
  REQUIRE(created.status == 200);
  Json results = created.json()["Results"];
  REQUIRE(results.size() == 2);
  CHECK(results[0]["KV"]["Session"] == s);
  CHECK(results[0]["KV"]["Value"].is_null());  // writes do not echo values
  CHECK(results[0]["KV"]["ModifyIndex"] == results[1]["KV"]["ModifyIndex"]);
  uint64_t index = results[0]["KV"]["ModifyIndex"];
  CHECK(Call(port, "GET", "/v1/kv/t/leader").json()[0]["ModifyIndex"] == index);
  // One failing op rolls back the others.
  Reply failed =
      Call(port, "PUT", "/v1/txn",
           Json::array({op("set", "t/other", "x"), op("check-index", "t/leader", "", index + 5)})
               .dump());
  CHECK(failed.status == 409);
  CHECK(failed.json()["Errors"][0]["OpIndex"] == 1);
  CHECK(Call(port, "GET", "/v1/kv/t/other").status == 404);
  // Delete and lock again in one step moves a key to another session atomically.
  std::string s2 = NewSession(port, "10s", "delete");
  Reply moved = Call(port, "PUT", "/v1/txn",
                     Json::array({op("check-index", "t/leader", "", index),
                                  op("delete", "t/leader"), op("lock", "t/leader", "me", 0, s2)})
                         .dump());
  REQUIRE(moved.status == 200);
  Json now = Call(port, "GET", "/v1/kv/t/leader").json()[0];
  CHECK(now["Session"] == s2);
  CHECK(now["ModifyIndex"].get<uint64_t>() > index);
  CHECK(Call(port, "PUT", "/v1/txn", Json::array({op("lock", "t/leader", "x", 0, s)}).dump())
            .status == 409);
}

TEST_CASE("ACL token: required when configured, by header or ?token=") {
  ConsulDoubleOptions options;
  options.acl_token = "secret";
  ConsulDouble consul(options);
  consul.Start();
  const int port = consul.port();
  CHECK(Call(port, "GET", "/v1/kv/x").status == 403);
  CHECK(Call(port, "GET", "/v1/kv/x", "", "wrong").status == 403);
  CHECK(Call(port, "GET", "/v1/kv/x", "", "secret").status == 404);
  CHECK(Call(port, "GET", "/v1/kv/x?token=secret").status == 404);
  // The backend: without the token kPermissionDenied, with it fine.
  backends::ConsulConfig cfg;
  cfg.port = port;
  auto anonymous = backends::MakeConsulBackend(cfg, absl::Seconds(30), absl::Seconds(2));
  REQUIRE(anonymous.ok());
  CHECK(
      absl::IsPermissionDenied((*anonymous)->Load("/service/", dcs::ReadMode::kDefault).status()));
  cfg.token = "secret";
  auto allowed = backends::MakeConsulBackend(cfg, absl::Seconds(30), absl::Seconds(2));
  REQUIRE(allowed.ok());
  CHECK((*allowed)->Load("/service/", dcs::ReadMode::kDefault).ok());
  CHECK((*allowed)->Create("/service/s/config", "{}", dcs::Binding::kPersistent).ok());
}

TEST_CASE("Stop and Start keep the data, the sessions and the port") {
  ConsulDouble consul(ShortTtls());
  consul.Start();
  const int port = consul.port();
  std::string s = NewSession(port, "1s", "delete");
  REQUIRE(Call(port, "PUT", "/v1/kv/keep", "v").body == "true");
  consul.Stop();
  CHECK(Call(port, "GET", "/v1/kv/keep").status == 0);  // connection refused
  consul.Start();
  CHECK(consul.port() == port);
  CHECK(Call(port, "GET", "/v1/kv/keep").status == 200);
  CHECK(Call(port, "PUT", "/v1/session/renew/" + s).status == 200);
}

TEST_CASE("the backend uses the agent's minimum session TTL when ttl/2 is below it") {
  ConsulDouble consul;  // session_ttl_min 10s
  consul.Start();
  backends::ConsulConfig cfg;
  cfg.port = consul.port();
  auto backend = backends::MakeConsulBackend(cfg, absl::Seconds(4), absl::Seconds(2));
  REQUIRE(backend.ok());
  REQUIRE((*backend)->KeepAlive().ok());
  std::string id = (*backend)->SessionId();
  REQUIRE_FALSE(id.empty());
  Json info = Call(consul.port(), "GET", "/v1/session/info/" + id).json();
  REQUIRE(info.size() == 1);
  CHECK(info[0]["TTL"] == "10s");
  CHECK(info[0]["Behavior"] == "delete");
  CHECK(info[0]["Name"].get<std::string>().rfind("pgha-", 0) == 0);
}

TEST_CASE("service registration: role tags, a check on the REST API, deregistered when stopped") {
  ConsulDouble consul;
  consul.Start();
  backends::ConsulConfig cfg;
  cfg.port = consul.port();
  cfg.service_tags = {"zeta", "alpha"};
  cfg.service_check_tls_server_name = "db.example";
  auto registrar = backends::MakeConsulServiceRegistrar(cfg, absl::Seconds(30), absl::Seconds(2));
  REQUIRE(registrar.ok());
  backends::ConsulServiceMember m{"My_Cluster.1",
                                  "pg1",
                                  "primary",
                                  "running",
                                  "https://127.0.0.1:8008/patroni",
                                  "postgres://10.0.0.5:5433/postgres"};
  REQUIRE((*registrar)->Update(m).ok());
  Json body = Json::parse(consul.ServiceRegistration("My_Cluster.1/pg1"), nullptr, false);
  REQUIRE(body.is_object());
  CHECK(body["Name"] == "my-cluster-1");
  CHECK(body["Tags"] == Json({"alpha", "zeta", "primary", "master"}));
  CHECK(body["Address"] == "10.0.0.5");
  CHECK(body["Port"] == 5433);
  CHECK(body["Check"]["HTTP"] == "https://127.0.0.1:8008/primary");
  CHECK(body["Check"]["Interval"] == "5s");
  CHECK(body["Check"]["DeregisterCriticalServiceAfter"] == "150s");
  CHECK(body["Check"]["TLSServerName"] == "db.example");
  // Unchanged: the agent is not asked again (it is down now, and that is fine).
  consul.Stop();
  CHECK((*registrar)->Update(m).ok());
  consul.Start();
  m.role = "standby_leader";
  REQUIRE((*registrar)->Update(m).ok());
  body = Json::parse(consul.ServiceRegistration("My_Cluster.1/pg1"));
  CHECK(body["Tags"] == Json({"alpha", "zeta", "standby-leader"}));
  CHECK(body["Check"]["HTTP"] == "https://127.0.0.1:8008/standby-leader");
  m.state = "stopped";
  REQUIRE((*registrar)->Update(m).ok());
  CHECK(consul.ServiceRegistration("My_Cluster.1/pg1").empty());
  CHECK(backends::ConsulServiceName("a b_c.d@") == "a-b-c-du0064");
}

}  // namespace
}  // namespace pgha::testing
