// The REST server alone, in this process, with a published node status and no HA loop: what
// stands between a client and the daemon (connection handling, limits, allowlist, TLS).
#include "pgha/api/rest_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <catch2/catch.hpp>
#include <httplib.h>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "connection_guard.h"
#include "pgha/api/http_client.h"
#include "pgha/base/version.h"
#include "ports.h"
#include "status_testing.h"
#include "test_certs.h"
#include "wait.h"

namespace pgha::testing {
namespace {

// A primary holding the lock, as the HA loop would publish it.
class Node {
 public:
  explicit Node(config::RestApiConfig rest) {
    ha::NodeStatus st;
    st.name = "pg1";
    st.scope = "demo";
    st.role = "primary";
    st.state = "running";
    st.holds_lock = true;
    st.dcs_ok = true;
    st.pg.accepting = true;
    st.pg.in_recovery = false;
    st.loop_last_run = absl::Now();
    board_.Publish(std::move(st));
    port_ = FreePort();
    rest.listen = absl::StrCat("127.0.0.1:", port_);
    api::RestServerOptions o;
    o.config = std::move(rest);
    o.board = &board_;
    auto server = api::RestServer::Start(std::move(o));
    REQUIRE_OK(server);
    server_ = std::move(*server);
  }

  std::string Url(const std::string& path, const char* scheme = "http") const {
    return absl::StrCat(scheme, "://127.0.0.1:", port_, path);
  }
  int port() const { return port_; }
  std::string listen() const { return absl::StrCat("127.0.0.1:", port_); }
  api::RestServer& server() { return *server_; }

 private:
  ha::StatusBoard board_;
  int port_ = 0;
  std::unique_ptr<api::RestServer> server_;
};

// A TCP connection to 127.0.0.1:port, closed on destruction.
class RawConnection {
 public:
  // From `source` (any 127.0.0.0/8 address: a client address of its own for the server).
  explicit RawConnection(int port, const char* source = "127.0.0.1")
      : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source, &local.sin_addr);
    if (fd_ >= 0) bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  bool Send(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Whether the server has closed the connection (without waiting).
  bool ClosedByServer() {
    char c;
    ssize_t n = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }
  // The server's answer up to the end of its headers (or whatever came before it closed).
  std::string ReadHead() {
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string out;
    char buf[4096];
    ssize_t n;
    while (out.find("\r\n\r\n") == std::string::npos && (n = recv(fd_, buf, sizeof(buf), 0)) > 0) {
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

int Status(const absl::StatusOr<api::HttpResponse>& r) { return r.ok() ? r->status : -1; }

TEST_CASE("a second server on the same port is refused, not sharing it") {
  Node first({});
  ha::StatusBoard board;
  api::RestServerOptions o;
  o.config.listen = absl::StrCat("127.0.0.1:", first.port());
  o.board = &board;
  auto second = api::RestServer::Start(std::move(o));
  CHECK(absl::IsUnavailable(second.status()));
}

// Client addresses 127.0.0.2 ... 127.0.0.11 for clients other than the health checker.
std::string OtherAddress(int i) { return absl::StrCat("127.0.0.", 2 + i % 10); }

TEST_CASE("500 idle and slow clients do not keep a health check waiting") {
  // A listen backlog that takes the burst of connections below at once (Patroni's default of 5
  // makes the kernel drop SYNs, and connecting alone would take most of a minute).
  config::RestApiConfig rest;
  rest.request_queue_size = 1024;
  Node node(rest);
  // Connections that never send a byte, as a port scanner or a stuck client leaves them, and
  // clients that send a request one header line at a time and never finish it; from ten
  // addresses (one address alone would be capped, see below).
  std::vector<std::unique_ptr<RawConnection>> idle, slow;
  for (int i = 0; i < 250; ++i) {
    idle.push_back(std::make_unique<RawConnection>(node.port(), OtherAddress(i).c_str()));
    REQUIRE(idle.back()->connected());
  }
  for (int i = 0; i < 250; ++i) {
    slow.push_back(std::make_unique<RawConnection>(node.port(), OtherAddress(i).c_str()));
    REQUIRE(slow.back()->Send("GET /readiness HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  }
  std::atomic<bool> done{false};
  // The slow clients' pace: a header line every half second, under the server's 5 s read
  // timeout (this is the client's behaviour being simulated, not a wait for a condition).
  std::thread trickle([&] {
    while (!done) {
      for (auto& c : slow) c->Send("X-Slow: 1\r\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });
  // An answer takes milliseconds; 10 s is far beyond that and far below the minutes a fixed pool
  // of workers held by the clients above would keep it waiting.
  for (int i = 0; i < 3; ++i) {
    CHECK(Status(api::HttpRequest("GET", node.Url("/readiness"), "", absl::Seconds(10))) == 200);
  }
  done = true;
  trickle.join();
}

TEST_CASE("a client that never finishes its request is disconnected at its deadline") {
  Node node({});
  RawConnection slow(node.port());
  REQUIRE(slow.Send("POST /restart HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  // One header line a second: every read arrives well within the 5 s read timeout, so only the
  // deadline for the whole request (10 s) ends it.
  bool closed = WaitFor(
      [&] {
        slow.Send("X-Slow: 1\r\n");
        return slow.ClosedByServer();
      },
      absl::Minutes(2), absl::Seconds(1));
  CHECK(closed);
  CHECK(Status(api::HttpRequest("GET", node.Url("/readiness"), "", absl::Seconds(10))) == 200);
}

// A listening socket on 127.0.0.1 whose connections the test accepts itself.
class TestListener {
 public:
  TestListener() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(listen(fd_, 64) == 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~TestListener() {
    close(fd_);
    for (int fd : accepted_) close(fd);
  }
  // A client from `source`, and the server side of its connection.
  std::pair<std::unique_ptr<RawConnection>, int> Connect(const char* source) {
    auto client = std::make_unique<RawConnection>(port_, source);
    int fd = accept(fd_, nullptr, nullptr);
    accepted_.push_back(fd);
    return {std::move(client), fd};
  }

 private:
  int fd_;
  int port_ = 0;
  std::vector<int> accepted_;
};

TEST_CASE("once the server is busy, an address holding its share gets no more connections") {
  TestListener listener;
  api::internal::ConnectionGuard guard(
      {.request_deadline = absl::Hours(1), .busy = 4, .max_per_address = 2});
  std::vector<std::unique_ptr<RawConnection>> clients;
  std::vector<api::internal::ConnectionGuard::Ticket> tickets;
  for (int i = 0; i < 4; ++i) {  // not busy yet: one address may open all four
    auto [client, fd] = listener.Connect("127.0.0.2");
    auto ticket = guard.Begin(fd);
    REQUIRE(ticket);
    tickets.push_back(*ticket);
    clients.push_back(std::move(client));
  }
  auto [fifth, fifth_fd] = listener.Connect("127.0.0.2");
  CHECK_FALSE(guard.Begin(fifth_fd));  // busy, and 127.0.0.2 holds 4 >= 2
  auto [other, other_fd] = listener.Connect("127.0.0.3");
  CHECK(guard.Begin(other_fd));  // another address still gets in
  guard.End(tickets[0]);
  auto [again, again_fd] = listener.Connect("127.0.0.2");
  CHECK_FALSE(guard.Begin(again_fd));  // still busy (4 open), and 127.0.0.2 holds 3
  CHECK(guard.Open() == 4);
}

TEST_CASE("a connection past its deadline is shut down, a running handler stops the clock") {
  TestListener listener;
  api::internal::ConnectionGuard guard({.request_deadline = absl::Seconds(1)});
  auto [late, late_fd] = listener.Connect("127.0.0.2");
  REQUIRE(guard.Begin(late_fd));
  CHECK(WaitFor([&] { return late->ClosedByServer(); }, absl::Minutes(1)));
  auto [busy, busy_fd] = listener.Connect("127.0.0.2");
  auto ticket = guard.Begin(busy_fd);
  REQUIRE(ticket);
  guard.HandlerStarted(*ticket);
  guard.HandlerFinished(*ticket);  // the deadline starts again from here
  CHECK(WaitFor([&] { return busy->ClosedByServer(); }, absl::Minutes(1)));
  guard.End(*ticket);
  CHECK(guard.Open() == 1);  // `late` was shut down, not ended: its owner ends it
}

TEST_CASE("a peer answering with wrong types is read as unusable, never thrown on") {
  for (const char* body : {R"({"role": 1, "state": "running"})", R"({"role": "replica", "state": ["running"]})",
                           R"({"watchdog_failed": "yes", "role": "replica", "state": "running"})", "[1, 2]", "\"x\""}) {
    INFO(body);
    ha::PeerStatus p = api::ParsePeerStatus("pg2", body);
    CHECK_FALSE(p.watchdog_failed);
  }
  CHECK(api::ParsePeerStatus("pg2", R"({"role": 1, "state": "running"})").in_recovery);
  CHECK_FALSE(api::ParsePeerStatus("pg2", std::string(10000, '[')).reachable);
}

TEST_CASE("hostile POST /restart fields get a 400, and the server keeps serving") {
  Node node({});
  std::vector<std::pair<std::string, int>> cases = {
      {absl::StrCat(R"({"postgres_version": ")", std::string(5000, '1'), R"("})"), 400},
      {R"({"postgres_version": "15.a"})", 400},
      {R"({"timeout": ")" + std::string(30000, '9') + R"("})", 400},
      {R"({"timeout": 1e300})", 400},
      {R"({"timeout": -5})", 400},
      {R"({"timeout": "30 fortnights"})", 400},
      {absl::StrCat(R"({"schedule": ")", std::string(30000, '1'), R"("})"), 422},
      {absl::StrCat(std::string(20000, '['), std::string(20000, ']')), 400},
  };
  for (const auto& [body, code] : cases) {
    INFO(body.substr(0, 60));
    CHECK(Status(api::HttpRequest("POST", node.Url("/restart"), body, absl::Seconds(10))) == code);
  }
  CHECK(Status(api::HttpRequest("GET", node.Url("/readiness"), "", absl::Seconds(10))) == 200);
}

TEST_CASE("basic auth: a wrong password of any length is refused, the right one accepted") {
  config::RestApiConfig rest;
  rest.authentication = config::BasicAuth{"admin", "s3cret"};
  Node node(rest);
  const std::string body = R"({"timeout": -5})";  // answered 400 once past authentication
  for (const char* password : {"", "s", "s3cre", "s3creT", "s3cret-and-more", "S3CRET"}) {
    INFO(password);
    CHECK(Status(api::HttpRequest("POST", node.Url("/restart"), body, absl::Seconds(10),
                                  config::BasicAuth{"admin", password})) == 401);
  }
  CHECK(Status(api::HttpRequest("POST", node.Url("/restart"), body, absl::Seconds(10))) == 401);
  CHECK(Status(api::HttpRequest("POST", node.Url("/restart"), body, absl::Seconds(10),
                                config::BasicAuth{"admin", "s3cret"})) == 400);
}

TEST_CASE("bytes that are not HTTP get a 400 and the server keeps serving") {
  Node node({});
  for (const std::string& garbage :
       {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15),
        std::string("NOT-A-METHOD\r\n\r\n"), std::string("GET /%zz%%% HTTP/9.9\r\n\r\n")}) {
    RawConnection c(node.port());
    REQUIRE(c.Send(garbage));
    std::string answer = c.ReadHead();
    INFO(answer);
    CHECK((answer.empty() || absl::StartsWith(answer, "HTTP/1.1 4")));
    CHECK(Status(api::HttpRequest("GET", node.Url("/readiness"), "", absl::Seconds(10))) == 200);
  }
}

TEST_CASE("restapi.server_tokens sets the Server header as Patroni 4's does") {
  auto server_header = [](const std::string& tokens) {
    config::RestApiConfig rest;
    rest.server_tokens = tokens;
    Node node(rest);
    RawConnection c(node.port());
    REQUIRE(c.Send("GET /readiness HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string head = c.ReadHead();
    auto at = head.find("\r\nServer: ");
    if (at == std::string::npos) return std::string("(none)");
    at += 10;
    return head.substr(at, head.find("\r\n", at) - at);
  };
  CHECK(server_header("ProductOnly") == "pgha");
  CHECK(server_header("Minimal") == absl::StrCat("pgha/", kPghaVersion));
  CHECK(server_header("original") == absl::StrCat("pgha/", kPghaVersion, " cpp-httplib/", CPPHTTPLIB_VERSION));
}

TEST_CASE("a reload applies a new restapi section and rotated certificates without closing the port") {
  auto first = TestCerts::Make();
  auto second = TestCerts::Make();
  REQUIRE_OK(first);
  REQUIRE_OK(second);
  TempDir live("pgha-live-certs");
  auto install = [&](const TestCerts& from) {
    for (const char* file : {"server.crt", "server.key"}) {
      std::filesystem::copy_file(absl::StrCat(from.dir(), "/", file), live.Sub(file),
                                 std::filesystem::copy_options::overwrite_existing);
    }
  };
  install(**first);
  config::RestApiConfig tls;
  tls.certfile = live.Sub("server.crt");
  tls.keyfile = live.Sub("server.key");
  Node node(tls);
  tls.listen = node.listen();
  api::HttpTls trusts_first{.cacert = (*first)->ca()};
  api::HttpTls trusts_second{.cacert = (*second)->ca()};
  auto status = [&](const api::HttpTls& client) {
    return Status(api::HttpRequest("GET", node.Url("/readiness", "https"), "", absl::Seconds(10), std::nullopt, client));
  };
  CHECK(status(trusts_first) == 200);
  CHECK(status(trusts_second) != 200);

  // The files are replaced under the same names (a certificate rotation), then a reload.
  install(**second);
  CHECK(status(trusts_first) == 200);  // read at start, until the reload
  REQUIRE_OK(node.server().Reload(tls));
  CHECK(status(trusts_second) == 200);
  CHECK(status(trusts_first) != 200);

  // verify_client and authentication come from the reloaded section too.
  config::RestApiConfig strict = tls;
  strict.cafile = (*second)->ca();
  strict.verify_client = "required";
  REQUIRE_OK(node.server().Reload(strict));
  CHECK(status(trusts_second) != 200);  // no client certificate
  api::HttpTls with_certificate{.cacert = (*second)->ca(), .certfile = (*second)->cert("client"),
                                .keyfile = (*second)->key("client")};
  CHECK(status(with_certificate) == 200);

  // What cannot be applied keeps the current settings: unreadable files, another address.
  config::RestApiConfig missing = strict;
  missing.certfile = live.Sub("no-such.crt");
  CHECK_FALSE(node.server().Reload(missing).ok());
  config::RestApiConfig moved = strict;
  moved.listen = absl::StrCat("127.0.0.1:", FreePort());
  auto refused = node.server().Reload(moved);
  CHECK(refused.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(refused.message()).find("restart") != std::string::npos);
  CHECK(status(with_certificate) == 200);
}

TEST_CASE("the allowlist guards unsafe methods only") {
  config::RestApiConfig outside;
  outside.allowlist = {"10.0.0.0/8", "192.168.1.1"};
  Node denied(outside);
  auto r = api::HttpRequest("POST", denied.Url("/citus"), "{}", absl::Seconds(10));
  REQUIRE_OK(r);
  CHECK(r->status == 403);
  CHECK(r->body == "Access is denied");
  CHECK(Status(api::HttpRequest("GET", denied.Url("/readiness"), "", absl::Seconds(10))) == 200);

  config::RestApiConfig inside;
  inside.allowlist = {"10.0.0.0/8", "127.0.0.0/8"};
  Node allowed(inside);
  CHECK(Status(api::HttpRequest("POST", allowed.Url("/citus"), "{}", absl::Seconds(10))) == 501);
}

TEST_CASE("TLS: certificate, CA and verify_client as Patroni's restapi has them") {
  auto certs = TestCerts::Make();
  REQUIRE_OK(certs);
  const TestCerts& c = **certs;
  api::HttpTls client{.cacert = c.ca(), .certfile = c.cert("client"), .keyfile = c.key("client")};
  api::HttpTls anonymous{.cacert = c.ca()};

  config::RestApiConfig required;
  required.certfile = c.cert("server");
  required.keyfile = c.key("server");
  required.cafile = c.ca();
  required.verify_client = "required";
  Node strict(required);
  CHECK(Status(api::HttpRequest("GET", strict.Url("/readiness", "https"), "", absl::Seconds(10),
                                std::nullopt, client)) == 200);
  // Without a client certificate the handshake fails; plain HTTP is not served either.
  CHECK_FALSE(api::HttpRequest("GET", strict.Url("/readiness", "https"), "", absl::Seconds(10),
                               std::nullopt, anonymous)
                  .ok());
  CHECK(Status(api::HttpRequest("GET", strict.Url("/readiness"), "", absl::Seconds(10))) != 200);
  CHECK(Status(api::HttpRequest("GET", strict.Url("/readiness", "https"), "", absl::Seconds(10),
                                std::nullopt, client)) == 200);

  config::RestApiConfig optional = required;
  optional.verify_client = "optional";
  Node lenient(optional);
  // Reading needs no certificate; an unsafe method does.
  CHECK(Status(api::HttpRequest("GET", lenient.Url("/readiness", "https"), "", absl::Seconds(10),
                                std::nullopt, anonymous)) == 200);
  auto refused = api::HttpRequest("POST", lenient.Url("/citus", "https"), "{}", absl::Seconds(10),
                                  std::nullopt, anonymous);
  REQUIRE_OK(refused);
  CHECK(refused->status == 403);
  CHECK(Status(api::HttpRequest("POST", lenient.Url("/citus", "https"), "{}", absl::Seconds(10),
                                std::nullopt, client)) == 501);

  // restapi.ciphers: a list OpenSSL knows serves; one it does not stops the start, with the
  // reason (Patroni fails at start too).
  config::RestApiConfig with_ciphers = required;
  with_ciphers.ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256";
  Node ciphered(with_ciphers);
  CHECK(Status(api::HttpRequest("GET", ciphered.Url("/readiness", "https"), "", absl::Seconds(10),
                                std::nullopt, client)) == 200);
  config::RestApiConfig bad_ciphers = required;
  bad_ciphers.ciphers = "NO-SUCH-CIPHER";
  bad_ciphers.listen = absl::StrCat("127.0.0.1:", FreePort());
  api::RestServerOptions o;
  o.config = bad_ciphers;
  ha::StatusBoard board;
  o.board = &board;
  auto refused_start = api::RestServer::Start(std::move(o));
  REQUIRE_FALSE(refused_start.ok());
  CHECK(refused_start.status().message().find("NO-SUCH-CIPHER") != std::string::npos);

  // An encrypted client key with its password (ctl.keyfile_password); a wrong password is an
  // error that says so, not an anonymous request.
  api::HttpTls encrypted{.cacert = c.ca(), .certfile = c.cert("client"), .keyfile = c.encrypted_key("client"),
                         .keyfile_password = TestCerts::kKeyPassword};
  CHECK(Status(api::HttpRequest("GET", strict.Url("/readiness", "https"), "", absl::Seconds(10),
                                std::nullopt, encrypted)) == 200);
  encrypted.keyfile_password = "wrong";
  auto wrong_password = api::HttpRequest("GET", strict.Url("/readiness", "https"), "", absl::Seconds(10),
                                         std::nullopt, encrypted);
  REQUIRE_FALSE(wrong_password.ok());
  CHECK(wrong_password.status().message().find("keyfile_password") != std::string::npos);

  // restapi.keyfile_password: the server's key encrypted.
  config::RestApiConfig encrypted_server = required;
  encrypted_server.keyfile = c.encrypted_key("server");
  encrypted_server.keyfile_password = TestCerts::kKeyPassword;
  Node with_encrypted_key(encrypted_server);
  CHECK(Status(api::HttpRequest("GET", with_encrypted_key.Url("/readiness", "https"), "", absl::Seconds(10),
                                std::nullopt, client)) == 200);

  // A server that does not trust our CA is refused by the client.
  api::HttpTls system_cas{.certfile = c.cert("client"), .keyfile = c.key("client")};
  CHECK_FALSE(api::HttpRequest("GET", lenient.Url("/readiness", "https"), "", absl::Seconds(10),
                               std::nullopt, system_cas)
                  .ok());
}

}  // namespace
}  // namespace pgha::testing
