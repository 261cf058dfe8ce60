#include "zookeeper_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <stdexcept>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ports.h"
#include "wait.h"

namespace pgha::testing {
namespace {

constexpr char kJarDir[] = "/usr/share/java";

}  // namespace

ZooKeeperServer::ZooKeeperServer() : dir_("pgha-zookeeper"), client_port_(FreePort()) {
  dir_.WriteFile("zoo.cfg", absl::StrCat("tickTime=1000\n"
                                         "initLimit=10\n"
                                         "syncLimit=5\n"
                                         "minSessionTimeout=2000\n"
                                         "maxSessionTimeout=60000\n"
                                         "dataDir=",
                                         dir_.Sub("data"), "\n", "clientPort=", client_port_, "\n",
                                         "clientPortAddress=127.0.0.1\n"
                                         "admin.enableServer=false\n"
                                         "4lw.commands.whitelist=srvr\n"));
}

ZooKeeperServer::~ZooKeeperServer() { Kill(); }

std::string ZooKeeperServer::endpoint() const { return absl::StrCat("127.0.0.1:", client_port_); }

void ZooKeeperServer::Start() {
  std::string java = FindProgram("java", {"/usr/bin", "/usr/lib/jvm/default-java/bin"});
  if (java.empty()) SkipBinary("java is not installed (Debian package default-jre-headless)");
  std::string zookeeper_jar = absl::StrCat(kJarDir, "/zookeeper.jar");
  std::string slf4j_jar = absl::StrCat(kJarDir, "/slf4j-simple.jar");
  if (::access(zookeeper_jar.c_str(), R_OK) != 0) {
    SkipBinary("ZooKeeper is not installed (Debian package zookeeper)");
  }
  std::vector<std::string> argv = {java,
                                   "-Xmx256m",
                                   "-cp",
                                   absl::StrCat(zookeeper_jar, ":", slf4j_jar),
                                   "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                                   dir_.Sub("zoo.cfg")};
  process_ = std::make_unique<ServerProcess>(argv, dir_.Sub("zookeeper.log"));
  if (!process_->Start()) throw std::runtime_error("cannot start ZooKeeper");
  bool up = WaitFor(
      [&] {
        return absl::StrContains(FourLetterWord("srvr"), "Mode: standalone") ||
               !process_->Running();
      },
      absl::Seconds(60));
  if (!up || !process_->Running()) {
    throw std::runtime_error("ZooKeeper did not start: " + process_->LogTail());
  }
}

void ZooKeeperServer::Stop() {
  if (process_) process_->Stop();
}

void ZooKeeperServer::Kill() {
  if (process_) process_->Kill();
}

void ZooKeeperServer::Pause() {
  if (Running()) ::kill(process_->pid(), SIGSTOP);
}

void ZooKeeperServer::Resume() {
  if (Running()) ::kill(process_->pid(), SIGCONT);
}

bool ZooKeeperServer::Running() { return process_ && process_->Running(); }

std::string ZooKeeperServer::FourLetterWord(const std::string& command) const {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(client_port_));
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, command.data(), command.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(command.size())) {
    char buffer[4096];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) answer.append(buffer, n);
  }
  ::close(fd);
  return answer;
}

}  // namespace pgha::testing
