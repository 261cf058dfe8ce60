#include "fencer_link.h"

#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "pgha/base/clock.h"
#include "pgha/base/log.h"

extern char** environ;

namespace pgha::ha::internal {
namespace {

// Long enough for a busy host, short enough that a hung fencer costs the guard little.
constexpr int kIoTimeoutMs = 500;

}  // namespace

FencerLink::~FencerLink() { Close(); }

void FencerLink::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

absl::Status FencerLink::Connect() {
  sockaddr_un addr{};
  if (o_.fencer_socket.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("fencer socket path too long: ", o_.fencer_socket));
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, o_.fencer_socket.c_str(), o_.fencer_socket.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to the fencer at ", o_.fencer_socket, ": ", std::strerror(err)));
  }
  fd_ = fd;
  auto hello = Request(absl::StrCat("HELLO ", o_.data_dir));
  if (!hello.ok()) return hello.status();
  if (*hello != "OK") {
    Close();
    return absl::FailedPreconditionError(absl::StrCat("fencer at ", o_.fencer_socket, ": ", *hello));
  }
  return absl::OkStatus();
}

absl::Status FencerLink::Spawn() {
  std::vector<std::string> args = {o_.fencer_binary, "--data-dir", o_.data_dir, "--socket",
                                   o_.fencer_socket};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own session: a signal to the daemon's process group (Ctrl-C, a supervisor stopping the
  // daemon) must not take the fencer with it.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // Only stdin/stdout/stderr: an inherited REST listening socket would keep the port bound
  // after the daemon died, and the restarted daemon could not serve.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, o_.fencer_binary.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot start the fencer ", o_.fencer_binary, ": ", std::strerror(rc)));
  }
  spawned_pid_ = pid;
  PGHA_LOG(INFO) << "started the fencer " << o_.fencer_binary << " (pid " << pid << ")";
  // Wait (briefly) until it listens.
  absl::Time until = MonotonicNow() + absl::Seconds(3);
  while (MonotonicNow() < until) {
    if (Connect().ok()) return absl::OkStatus();
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return absl::UnavailableError("the fencer exited at start (see its log lines above)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::UnavailableError("the fencer did not start listening within 3 s");
}

absl::StatusOr<std::string> FencerLink::Request(const std::string& request) {
  if (fd_ < 0) {
    if (o_.fencer_mode == FencerMode::kOff) return absl::FailedPreconditionError("fencer is off");
    absl::Status c = Connect();
    if (!c.ok() && o_.fencer_mode == FencerMode::kSpawn && !absl::IsFailedPrecondition(c)) c = Spawn();
    if (!c.ok()) return c;
  }
  std::string line = request + "\n";
  if (::send(fd_, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT) !=
      static_cast<ssize_t>(line.size())) {
    Close();
    return absl::UnavailableError(absl::StrCat("fencer: send failed: ", std::strerror(errno)));
  }
  std::string answer;
  while (answer.find('\n') == std::string::npos) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, kIoTimeoutMs) <= 0) {
      Close();
      return absl::UnavailableError("fencer: no answer");
    }
    char buf[256];
    ssize_t got = ::read(fd_, buf, sizeof buf);
    if (got <= 0) {
      Close();
      return absl::UnavailableError("fencer: connection closed");
    }
    answer.append(buf, static_cast<size_t>(got));
    if (answer.size() > 1024) {
      Close();
      return absl::UnavailableError("fencer: answer too long");
    }
  }
  return answer.substr(0, answer.find('\n'));
}

void FencerLink::StopSpawned() {
  if (spawned_pid_ == 0 || fd_ < 0) return;
  (void)Request("EXIT");
  Close();
  // Reap it (only it: the process runner reaps its own children).
  for (int i = 0; i < 100 && ::waitpid(spawned_pid_, nullptr, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  spawned_pid_ = 0;
}

}  // namespace pgha::ha::internal
