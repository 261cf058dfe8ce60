#include "hostile_inputs.h"

#include "absl/strings/str_cat.h"

namespace pgha::testing {
namespace {

std::string Nested(char open, char close, size_t depth, const std::string& inner = "1") {
  return std::string(depth, open) + inner + std::string(depth, close);
}

std::string NestedObjects(size_t depth) {
  std::string out;
  for (size_t i = 0; i < depth; ++i) out += "{\"a\":";
  out += "1";
  out += std::string(depth, '}');
  return out;
}

}  // namespace

std::vector<std::string> HostileDcsKeys(const dcs::KeyLayout& layout) {
  return {
      layout.Initialize(), layout.Config(),       layout.Failover(),
      layout.Sync(),       layout.Status(),       layout.History(),
      layout.Failsafe(),   layout.LegacyOptime(), layout.Member("evil"),
      layout.Member(""),   layout.Member("a/b"),  layout.Member(".."),
      layout.Member("\xff\xfe"), layout.Member(std::string(300, 'n')),
      layout.prefix() + "unknown-key",
  };
}

std::vector<std::string> HostileDcsValues() {
  return {
      "",
      "null",
      "true",
      "-1",
      "1e999",
      "\"a string\"",
      "[]",
      "{}",
      "not json {",
      std::string("\xff\xfe\x00\x01 binary", 12),
      "{\"role\": 1}",
      // Wrong types in a member record.
      R"({"conn_url": 5, "api_url": [], "state": {}, "role": 1, "pending_restart": "yes",)"
      R"( "xlog_location": "x", "timeline": -1e300, "tags": [], "scheduled_restart": 5,)"
      R"( "pause": "no", "version": null, "replication_state": 7, "proxy_url": {}})",
      R"({"conn_url": "postgres://\n127.0.0.1:5432/x", "api_url": "http://127.0.0.1:1/patroni",)"
      R"( "state": "running", "role": "primary", "xlog_location": 18446744073709551615,)"
      R"( "timeline": 99999999999, "tags": {"nofailover": "maybe", "failover_priority": "x"}})",
      // Wrong types and out-of-range numbers in the dynamic configuration.
      R"({"ttl": "x", "loop_wait": -5, "retry_timeout": 1e308, "postgresql": [],)"
      R"( "synchronous_mode": "maybe", "pause": 1, "maximum_lag_on_failover": "a",)"
      R"( "standby_cluster": 5, "slots": [], "failsafe_mode": "yes"})",
      R"({"ttl": 4294967295, "loop_wait": 4294967296, "retry_timeout": 2147483647})",
      R"({"postgresql": {"parameters": {"max_connections": {"a": 1}, "bad\nname": 1,)"
      R"( "shared_buffers": "1GB\nmalicious = 1"}, "use_slots": "x"}})",
      // The failover, sync, history, status and failsafe keys with wrong types.
      R"({"leader": [], "member": 5, "scheduled_at": "garbage"})",
      R"({"leader": "nobody", "member": "nobody", "scheduled_at": "2026-13-45T99:99:99+99:99"})",
      R"({"leader": 5, "sync_standby": {}, "quorum": "x"})",
      R"([[1, "x"], "a", [null], [1, 2, 3, 4, 5, 6, 7], [-1, -1, -1]])",
      R"({"optime": "abc", "slots": [], "retain_slots": 5})",
      R"({"optime": -1, "slots": {"s": "x", "t": -5}})",
      R"({"a": 5, "b": [], "c": null})",
      // Deep nesting: 100 KB of arrays, 20,000 nested objects.
      Nested('[', ']', 50'000),
      NestedObjects(20'000),
      // A 512 KB string.
      absl::StrCat("\"", std::string(512 * 1024, 'x'), "\""),
  };
}

std::vector<std::string> HostileLeaderValues() {
  return {"nobody", "", std::string("\xff\xfe\x00", 3), "{\"name\": 1}", std::string(100'000, 'L')};
}

std::string HostileBarrierMember(int round) {
  return absl::StrCat(R"({"conn_url":"postgres://127.0.0.1:1/postgres",)",
                      R"("api_url":"http://127.0.0.1:1/patroni","state":"stopped",)",
                      R"("role":"uninitialized","version":"3.0.2","xlog_location":)", round,
                      R"(,"tags":{"nofailover":true}})");
}

HostileRequests::HostileRequests(uint32_t seed, std::string auth_header)
    : rng_(seed), auth_header_(std::move(auth_header)) {}

std::string HostileRequests::Pick(const std::vector<std::string>& from) {
  return from[rng_() % from.size()];
}

std::string HostileRequests::RandomBytes(size_t max_len) {
  size_t n = max_len == 0 ? 0 : rng_() % (max_len + 1);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng_());
  return out;
}

std::string HostileRequests::Target() {
  static const std::vector<std::string> known = {
      "/", "/primary", "/master", "/leader", "/replica", "/read-only", "/standby-leader",
      "/sync", "/async", "/health", "/patroni", "/cluster", "/history", "/config", "/metrics",
      "/liveness", "/readiness", "/failsafe", "/read-write", "/quorum", "/read-only-sync"};
  static const std::vector<std::string> queries = {
      "", "?lag=1MB", "?lag=abc", "?lag=", "?lag=-1", "?lag=99999999999999999999999",
      "?tag_nofailover=true&tag_x=%zz", "?replication_state=streaming&lag=1e999", "?%", "?&&==&",
      "?lag=1MB&lag=2MB", "?mode=apply"};
  switch (rng_() % 6) {
    case 0:
      return "/x" + RandomBytes(40);  // raw bytes, spaces and CR LF included
    case 1:
      return "/../../etc/passwd%00" + Pick(queries);
    case 2:
      return "/" + std::string(rng_() % 8 == 0 ? 70'000 : 300, 'p');  // beyond any URI limit
    default:
      return Pick(known) + Pick(queries);
  }
}

std::string HostileRequests::Headers(size_t body_size, bool with_auth, bool* incomplete) {
  std::string h;
  if (with_auth) h += auth_header_;
  switch (rng_() % 10) {
    case 0:
      h += absl::StrCat("Content-Length: ", body_size + 1 + rng_() % 100, "\r\n");  // short body
      *incomplete = true;
      break;
    case 1:
      h += "Content-Length: -1\r\n";  // read by some as "until the end": end it
      *incomplete = true;
      break;
    case 2:
      h += "Content-Length: 99999999999999999999999\r\n";
      *incomplete = true;
      break;
    case 3:
      h += absl::StrCat("Content-Length: ", body_size, "\r\nContent-Length: 7\r\n");
      *incomplete = true;
      break;
    case 4:
      h += "Transfer-Encoding: chunked\r\n";  // the body is not in chunks
      *incomplete = true;
      break;
    case 5:
      h += "Authorization: Basic !!!not-base64!!!\r\nAuthorization: Bearer x\r\n";
      h += absl::StrCat("Content-Length: ", body_size, "\r\n");
      break;
    default:
      h += absl::StrCat("Content-Length: ", body_size, "\r\n");
  }
  if (rng_() % 4 == 0) h += absl::StrCat("X-", RandomBytes(20), ": ", RandomBytes(60), "\r\n");
  if (rng_() % 50 == 0) h += "X-Big: " + std::string(100'000, 'h') + "\r\n";
  if (rng_() % 50 == 0) {
    for (int i = 0; i < 300; ++i) h += absl::StrCat("X-Many-", i, ": v\r\n");
  }
  if (rng_() % 3 == 0) h += "Content-Type: application/json\r\n";
  return h;
}

// A body that every handler of `path` refuses with a 4xx: not JSON, not an object, nested too
// deep, or an object with a field of the wrong type or value. Never a valid request (a valid
// restart, reinitialize or switchover would be an attack that works).
std::string HostileRequests::InvalidBody(const std::string& path) {
  switch (rng_() % 5) {
    case 0:
      return "\x01" + RandomBytes(200);  // never JSON: starts with a control character
    case 1:
      return Pick({"[]", "1", "\"x\"", "null", "[{}]"});
    case 2:
      return Nested('[', ']', 5'000);
    case 3:
      return NestedObjects(1'000);
    default:
      break;
  }
  if (path == "/switchover" || path == "/failover") {
    return Pick({R"({"leader": 1, "candidate": []})", R"({"candidate": "nobody"})",
                 R"({"leader": "nobody", "candidate": "nobody"})",
                 R"({"leader": {"a": 1}, "scheduled_at": "tomorrow"})",
                 R"({"leader": "nobody", "scheduled_at": "2026-13-45T99:99:99"})",
                 absl::StrCat(R"({"candidate": ")", std::string(10'000, 'c'), "\"}")});
  }
  if (path == "/restart") {
    // Each holds a field the handler refuses (an unknown one, at the latest).
    return Pick({R"({"schedule": 5, "zz": 1})", R"({"role": "king", "zz": 1})",
                 absl::StrCat(R"({"postgres_version": ")", std::string(5'000, '1'), "\"}"),
                 R"({"timeout": "forever", "zz": 1})", R"({"timeout": 1e308, "zz": 1})",
                 R"({"schedule": "2026-13-45T99:99:99+25:00", "zz": 1})",
                 R"({"restart_pending": "maybe", "zz": 1})"});
  }
  if (path == "/config") {
    return Pick({R"({"ttl": "x"})", R"({"loop_wait": 4294967296})", R"({"ttl": 4294967295})",
                 R"({"retry_timeout": -1})", R"({"postgresql": []})",
                 R"({"synchronous_mode": "maybe"})"});
  }
  return "\x02" + RandomBytes(100);
}

HostileRequest HostileRequests::Next() {
  HostileRequest r;
  unsigned kind = rng_() % 100;
  if (kind < 30) {
    // Reads: health checks and views with garbage paths, queries and headers.
    std::string method = Pick({"GET", "GET", "HEAD", "OPTIONS"});
    std::string body = rng_() % 4 == 0 ? RandomBytes(100) : "";
    r.bytes = absl::StrCat(method, " ", Target(), " HTTP/1.1\r\nHost: x\r\n",
                           Headers(body.size(), false, &r.incomplete), "Connection: close\r\n\r\n",
                           body);
    return r;
  }
  if (kind < 70) {
    // Actions with bodies every handler refuses; mostly authenticated so that they get there.
    static const std::vector<std::pair<std::string, std::string>> actions = {
        {"POST", "/switchover"}, {"POST", "/failover"},  {"POST", "/restart"},
        {"POST", "/reinitialize"}, {"PATCH", "/config"}, {"PUT", "/config"},
        {"POST", "/failsafe"},   {"POST", "/citus"},     {"POST", "/mpp"}};
    const auto& [method, path] = actions[rng_() % actions.size()];
    std::string body = InvalidBody(path);
    r.bytes = absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: x\r\n",
                           rng_() % 10 < 7 ? auth_header_ : "",
                           "Content-Type: application/json\r\n",
                           absl::StrCat("Content-Length: ", body.size(), "\r\n"),
                           "Connection: close\r\n\r\n", body);
    // /failsafe, /citus and /mpp answer 5xx by design (failsafe mode off, no Citus), as Patroni.
    r.unsafe = path != "/failsafe" && path != "/citus" && path != "/mpp";
    return r;
  }
  if (kind < 80) {
    // Unsafe methods on paths no handler serves.
    std::string method = Pick({"POST", "PUT", "PATCH", "DELETE"});
    std::string path = "/x" + std::to_string(rng_() % 1000);
    std::string body = RandomBytes(100);
    r.bytes = absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: x\r\n",
                           rng_() % 2 == 0 ? auth_header_ : "",
                           absl::StrCat("Content-Length: ", body.size(), "\r\n"),
                           "Connection: close\r\n\r\n", body);
    r.unsafe = true;
    return r;
  }
  // The protocol itself: garbage request lines, methods, versions, header lines, lengths.
  switch (rng_() % 8) {
    case 0:
      r.bytes = RandomBytes(300);
      r.incomplete = true;
      break;
    case 1:
      r.bytes = absl::StrCat(Pick({"BREW", "G\x01T", "", std::string(10'000, 'M'), "get"}), " ",
                             Target(), " HTTP/1.1\r\n\r\n");
      break;
    case 2:
      r.bytes = absl::StrCat("GET ", Target(), Pick({" HTTP/9.9", "", " HTTP/1.1 extra", " FTP/1.0"}),
                             "\r\n\r\n");
      break;
    case 3:
      r.bytes = "GET /health HTTP/1.1\r\nno colon here\r\n: empty name\r\n\r\n";
      break;
    case 4: {
      std::string body = RandomBytes(200);
      r.bytes = absl::StrCat(Pick({"POST", "PATCH", "PUT"}), " ", Pick({"/restart", "/config"}),
                             " HTTP/1.1\r\n", Headers(body.size(), true, &r.incomplete), "\r\n", body);
      break;
    }
    case 5:
      r.bytes = "POST /switchover HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n";
      r.incomplete = true;
      break;
    case 6:
      r.bytes = "GET /health HTTP/1.1\r\n" + RandomBytes(2000);  // headers never end
      r.incomplete = true;
      break;
    default:
      r.bytes = "GET /health HTTP/1.1\n\n";  // bare LF line ends
      break;
  }
  return r;
}

}  // namespace pgha::testing
