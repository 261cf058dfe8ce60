// The pgha process itself on a one-node cluster (real etcd, real PostgreSQL 15): what systemd
// and an operator see of it — readiness notification, log.dir, the watchdog, SIGHUP, SIGTERM.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cluster_harness.h"
#include "temp_dir.h"
#include "wait.h"

namespace pgha::testing {
namespace {

// A datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  // Every datagram received so far, appended to `received`.
  void Drain(std::string* received) {
    char buf[512];
    ssize_t n;
    while ((n = ::recv(fd_, buf, sizeof buf, 0)) > 0) received->append(buf, static_cast<size_t>(n));
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

// The read end of a named pipe standing in for /dev/watchdog: a pipe takes no watchdog ioctl,
// so the daemon's keepalives arrive as the "1" bytes drivers also accept, and its orderly stop
// as the magic close "V".
class WatchdogPipe {
 public:
  explicit WatchdogPipe(const std::string& path) {
    if (::mkfifo(path.c_str(), 0600) == 0) fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  }
  ~WatchdogPipe() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool open() const { return fd_ >= 0; }
  // Everything the daemon wrote since the last call, appended to `received`.
  void Drain(std::string* received) {
    char buf[512];
    ssize_t n;
    while ((n = ::read(fd_, buf, sizeof buf)) > 0) received->append(buf, static_cast<size_t>(n));
  }

 private:
  int fd_ = -1;
};

TEST_CASE("the daemon: systemd readiness, log.dir, watchdog, SIGHUP reload, SIGTERM") {
  RequireScenarioPrerequisites();
  TempDir scratch("pgha-daemon");
  NotifySocket notify(scratch.Sub("notify.sock"));
  REQUIRE(notify.bound());
  ::setenv("NOTIFY_SOCKET", scratch.Sub("notify.sock").c_str(), 1);  // inherited by the daemon
  WatchdogPipe watchdog(scratch.Sub("watchdog"));
  REQUIRE(watchdog.open());

  std::string log_dir;
  ClusterOptions options;
  options.nodes = 1;
  options.customize = [&](int, NodeSpec& spec) {
    log_dir = spec.dir + "/logs";
    std::filesystem::create_directories(log_dir);  // Patroni does not create log.dir either
    spec.log_dir = log_dir;
    spec.extra_top =
        absl::StrCat("watchdog:\n  mode: automatic\n  device: ", scratch.Sub("watchdog"), "\n");
  };
  ClusterHarness c(options);
  c.StartAll();
  REQUIRE(c.WaitForHealthy(0, absl::Seconds(120)) == 0);
  ::unsetenv("NOTIFY_SOCKET");

  // systemd's Type=notify: READY=1 once the first HA cycle has run.
  std::string notified;
  CHECK(WaitFor(
      [&] {
        notify.Drain(&notified);
        return notified.find("READY=1") != std::string::npos;
      },
      absl::Seconds(30)));

  // log.dir: the HA loop's lines go to <dir>/patroni.log.
  const std::string log_file = log_dir + "/patroni.log";
  CHECK(WaitFor([&] { return ReadFile(log_file).find(" INFO: ") != std::string::npos; },
                absl::Seconds(30)));

  // The watchdog is armed while this node is the primary: a keepalive every cycle.
  std::string kicks;
  CHECK(WaitFor(
      [&] {
        watchdog.Drain(&kicks);
        return std::count(kicks.begin(), kicks.end(), '1') >= 3;
      },
      absl::Seconds(30)));

  // SIGHUP re-reads the file: a tag added to it shows in /patroni, and the log section's new
  // line format is used.
  {
    std::string config = ReadFile(c.config_path(0));
    std::string level = "log:\n  level: INFO\n";
    REQUIRE(config.find(level) != std::string::npos);
    config.replace(config.find(level), level.size(),
                   level + "  format: 'reloaded [%(levelname)-7s] %(message)s'\n");
    std::ofstream out(c.config_path(0), std::ios::trunc);
    out << config << "tags:\n  reload_marker: after-sighup\n";
  }
  REQUIRE(::kill(c.DaemonPid(0), SIGHUP) == 0);
  CHECK(WaitFor(
      [&] {
        auto p = c.Patroni(0);
        return p && p->contains("tags") &&
               (*p)["tags"].value("reload_marker", "") == "after-sighup";
      },
      absl::Seconds(30)));
  CHECK(ReadFile(log_file).find("received SIGHUP") != std::string::npos);
  CHECK(WaitFor([&] { return ReadFile(log_file).find("\nreloaded [INFO   ] ") != std::string::npos; },
                absl::Seconds(30)));
  CHECK(c.DaemonRunning(0));
  REQUIRE(c.Sql(0, "SELECT 1").ok());  // a reload does not stop PostgreSQL

  // SIGTERM: PostgreSQL is stopped and the daemon exits.
  c.TermDaemon(0);
  CHECK_FALSE(c.DaemonRunning(0));
  CHECK_FALSE(c.Sql(0, "SELECT 1").ok());
  CHECK(ReadFile(log_file).find("received SIGTERM") != std::string::npos);
  // An orderly stop disarms the watchdog with the magic close, so the host is not reset.
  watchdog.Drain(&kicks);
  CHECK(absl::EndsWith(kicks, "V"));
}

TEST_CASE(
    "watchdog required and no device: the new cluster's first primary stops and the daemon exits") {
  RequireScenarioPrerequisites();
  ClusterOptions options;
  options.nodes = 1;
  options.customize = [](int, NodeSpec& spec) {
    spec.extra_top = "watchdog:\n  mode: required\n  device: /nonexistent/watchdog\n";
  };
  ClusterHarness c(options);
  c.StartAll();
  CHECK(WaitFor([&] { return !c.DaemonRunning(0); }, absl::Seconds(120)));
  INFO(c.LogTail(0));
  CHECK(c.LogTail(0).find("cancelling bootstrap because the watchdog is required but not usable") !=
        std::string::npos);
  CHECK_FALSE(c.Sql(0, "SELECT 1").ok());  // PostgreSQL was stopped, not left running unmanaged
}

TEST_CASE("a second daemon under the name of a running node refuses to start (Patroni 3.0.4+)") {
  RequireScenarioPrerequisites();
  ClusterOptions options;
  options.nodes = 2;
  options.customize = [](int i, NodeSpec& spec) {
    if (i == 1) spec.name = "pg1";  // an operator's copy-and-paste error
  };
  ClusterHarness c(options);
  c.StartNode(0);
  REQUIRE(WaitFor([&] { return c.Primary() == 0; }, absl::Minutes(3)));
  c.StartNode(1);
  CHECK(WaitFor([&] { return !c.DaemonRunning(1); }, absl::Minutes(2)));
  INFO(c.LogTail(1));
  CHECK(c.LogTail(1).find("Can't start; there is already a node named 'pg1' running") !=
        std::string::npos);
  CHECK(c.DaemonRunning(0));
  CHECK(c.Primary() == 0);
}

}  // namespace
}  // namespace pgha::testing
