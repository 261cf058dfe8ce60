// pgha-fencer on its own, against a real PostgreSQL 15: it keeps a renewed primary running,
// stops one whose deadline passed (fast shutdown, then every process killed), never touches a
// standby or a disarmed node, and talks only to a daemon of its own data directory.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "node_config.h"
#include "pgha/base/clock.h"
#include "pgha/base/process_runner.h"
#include "pgha/postgres/fence.h"
#include "ports.h"
#include "server_process.h"
#include "temp_dir.h"
#include "wait.h"

namespace pgha::testing {
namespace {

// CLOCK_MONOTONIC nanoseconds `from_now` ahead, as the fencer's ARM takes them.
int64_t MonoNs(absl::Duration from_now) { return absl::ToUnixNanos(MonotonicNow() + from_now); }

// A PostgreSQL 15 server in its own directory.
class Server {
 public:
  explicit Server(bool standby) : dir_("pgha-fencer-test") {
    if (PostgresBinDir().empty()) SkipBinary("PostgreSQL 15 is not installed");
    if (::geteuid() == 0) SkipBinary("PostgreSQL refuses to run as root; run through ctest");
    data_ = dir_.Sub("data");
    Run({PostgresBinDir() + "/initdb", "-D", data_, "-A", "trust", "-U", "postgres"});
    std::ofstream(data_ + "/postgresql.auto.conf", std::ios::app)
        << "port = " << FreePort() << "\nlisten_addresses = ''\nunix_socket_directories = '"
        << dir_.path() << "'\nshared_buffers = 16MB\nfsync = off\n";
    if (standby) std::ofstream(data_ + "/standby.signal");
    Run({PostgresBinDir() + "/pg_ctl", "start", "-w", "-D", data_, "-l", dir_.Sub("pg.log")});
  }
  ~Server() {
    PosixProcessRunner runner;
    (void)runner.Run({.argv = {PostgresBinDir() + "/pg_ctl", "stop", "-m", "immediate", "-D", data_}});
  }
  const std::string& data() const { return data_; }
  std::string socket() const { return dir_.Sub("fencer.sock"); }
  std::string Sub(const std::string& n) const { return dir_.Sub(n); }
  pid_t Postmaster() const { return pg::RunningPostmaster(data_); }

 private:
  static void Run(std::vector<std::string> argv) {
    PosixProcessRunner runner;
    auto r = runner.Run({.argv = std::move(argv), .timeout = absl::Seconds(60)});
    REQUIRE(r.ok());
    INFO(r->output);
    REQUIRE(r->exit_code == 0);
  }
  TempDir dir_;
  std::string data_;
};

// The daemon's side of the protocol, as a test sees it.
class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    connected_ = WaitFor([&] { return ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0; },
                         absl::Seconds(10));
  }
  ~Client() { Close(); }
  // The daemon's end of the connection goes away (it died).
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool connected() const { return connected_; }
  std::string Ask(const std::string& line) {
    std::string out = line + "\n";
    REQUIRE(::write(fd_, out.data(), out.size()) == static_cast<ssize_t>(out.size()));
    std::string answer;
    char c;
    while (::read(fd_, &c, 1) == 1 && c != '\n') answer.push_back(c);
    return answer;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::unique_ptr<ServerProcess> StartFencer(const Server& s) {
  auto p = std::make_unique<ServerProcess>(
      std::vector<std::string>{std::string(PGHA_BINARY_DIR) + "/pgha-fencer", "--data-dir", s.data(),
                               "--socket", s.socket()},
      s.Sub("fencer.log"));
  REQUIRE(p->Start());
  return p;
}

std::string ArmRequest(absl::Duration stop_writes_in, absl::Duration kill_in) {
  int64_t now = MonoNs(absl::ZeroDuration());
  return absl::StrCat("ARM ", now + absl::ToInt64Nanoseconds(stop_writes_in), " ",
                      now + absl::ToInt64Nanoseconds(kill_in));
}

// A server, its fencer, and a daemon's connection to it (HELLO done).
struct Guarded {
  explicit Guarded(bool standby) : pg(standby), postmaster(pg.Postmaster()), fencer(StartFencer(pg)), c(pg.socket()) {
    REQUIRE(postmaster > 0);
    REQUIRE(c.connected());
    REQUIRE(c.Ask("HELLO " + pg.data()) == "OK");
  }
  Server pg;
  pid_t postmaster;
  std::unique_ptr<ServerProcess> fencer;
  Client c;
};

bool Gone(pid_t pid) { return ::kill(pid, 0) != 0; }

TEST_CASE("renewed, the fencer leaves the primary alone, unrenewed, it stops it") {
  Guarded g(false);
  CHECK(g.c.Ask("HELLO /somewhere/else").rfind("ERR", 0) == 0);
  // Renewed every 200 ms with a deadline 1 s ahead, for 3 s: past three deadlines it would
  // have had, had it not been renewed.
  absl::Time until = absl::Now() + absl::Seconds(3);
  while (absl::Now() < until) {
    REQUIRE(g.c.Ask(ArmRequest(absl::Seconds(1), absl::Milliseconds(1500))) == "OK");
    WaitFor([] { return false; }, absl::Milliseconds(200));
    REQUIRE(!Gone(g.postmaster));
  }
  CHECK(g.c.Ask("STATUS").rfind("ARMED", 0) == 0);
  // No more renewals: the fast shutdown, then nothing left.
  CHECK(WaitFor([&] { return Gone(g.postmaster) || g.pg.Postmaster() == 0; }, absl::Seconds(30)));
  CHECK(g.c.Ask("STATUS").find("FIRED 1") != std::string::npos);
  CHECK(ReadFile(g.pg.Sub("fencer.log")).find("fast shutdown requested") != std::string::npos);
}

TEST_CASE("at the kill deadline every process of the server dies at once") {
  Guarded g(false);
  std::vector<pid_t> children = ChildrenOf(g.postmaster);
  REQUIRE(children.size() >= 3);  // checkpointer, background writer, walwriter, ...
  // Both stages due at once: the kill comes first.
  REQUIRE(g.c.Ask(ArmRequest(absl::Milliseconds(300), absl::Milliseconds(300))) == "OK");
  CHECK(WaitFor([&] { return g.c.Ask("STATUS").rfind("DISARMED", 0) == 0; }, absl::Seconds(10)));
  CHECK(ReadFile(g.pg.Sub("fencer.log")).find("killed postmaster") != std::string::npos);
  for (pid_t child : children) {
    INFO("child " << child);
    CHECK(WaitFor([&] { return Gone(child); }, absl::Seconds(5)));
  }
}

TEST_CASE("the fencer never touches a standby or a disarmed primary") {
  SECTION("a standby past its deadline") {
    Guarded g(true);
    REQUIRE(g.c.Ask(ArmRequest(absl::Milliseconds(100), absl::Milliseconds(200))) == "OK");
    REQUIRE(WaitFor([&] { return g.c.Ask("STATUS").rfind("DISARMED", 0) == 0; }, absl::Seconds(10)));
    CHECK(g.c.Ask("STATUS") == "DISARMED FIRED 0");
    CHECK(!Gone(g.postmaster));
    CHECK(ReadFile(g.pg.Sub("fencer.log")).find("left alone") != std::string::npos);
  }
  SECTION("a primary disarmed before its deadline") {
    Guarded g(false);
    REQUIRE(g.c.Ask(ArmRequest(absl::Milliseconds(500), absl::Milliseconds(700))) == "OK");
    REQUIRE(g.c.Ask("DISARM") == "OK");
    WaitFor([] { return false; }, absl::Seconds(1));  // past both deadlines it no longer has
    CHECK(g.c.Ask("STATUS") == "DISARMED FIRED 0");
    CHECK(!Gone(g.postmaster));
  }
}

TEST_CASE("the fencer keeps its deadline when its daemon disconnects") {
  Guarded g(false);
  REQUIRE(g.c.Ask(ArmRequest(absl::Milliseconds(500), absl::Seconds(2))) == "OK");
  g.c.Close();  // the daemon died
  CHECK(WaitFor([&] { return Gone(g.postmaster) || g.pg.Postmaster() == 0; }, absl::Seconds(30)));
  Client again(g.pg.socket());  // a restarted daemon finds it
  CHECK(again.Ask("HELLO " + g.pg.data()) == "OK");
  CHECK(again.Ask("STATUS").find("FIRED 1") != std::string::npos);
}

}  // namespace
}  // namespace pgha::testing
