// pgha-fencer: the independent fencer. One per PostgreSQL node, beside the pgha daemon.
//
// The daemon renews it with the node's write deadline (see libpgha's write_deadline.h) after
// every successful leader lock refresh. When a deadline passes without renewal - the daemon
// SIGSTOPped, deadlocked, crashed or OOM-killed - the fencer stops the primary's writes itself
// (pgha/postgres/fence.h): a fast shutdown at `stop_writes`, a kill of every PostgreSQL process
// at `kill`. It never touches a node that is not a primary.
//
// Deliberately small: one thread, poll(), no DCS, no libpq, no configuration file. It keeps its
// state when the daemon disconnects (a dead daemon renews nothing: that is the case it is for),
// and a restarted daemon connects to it again.
//
// Protocol: one line per request on a unix stream socket, one line per answer.
//   HELLO <data_dir>                 OK | ERR <why>   (the daemon checks it guards its node)
//   ARM <stop_writes_ns> <kill_ns>   OK               CLOCK_MONOTONIC nanoseconds
//   DISARM                           OK
//   STATUS                           ARMED <stop_ns> <kill_ns> FIRED <n> | DISARMED FIRED <n>
//   EXIT                             OK, then exits (the daemon that started it shuts down)
//
// Its pid is written to <socket>.pid.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "pgha/postgres/fence.h"

namespace {

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void Log(const char* level, const std::string& message) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[32];
  strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
  std::fprintf(stderr, "%s,%03ld %s: pgha-fencer: %s\n", when, ts.tv_nsec / 1000000, level,
               message.c_str());
  std::fflush(stderr);
}

struct State {
  std::string data_dir;
  bool armed = false;
  int64_t stop_writes_ns = 0;
  int64_t kill_ns = 0;
  bool stop_writes_done = false;
  int fired = 0;
};

volatile sig_atomic_t g_terminate = 0;
void OnTerminate(int) { g_terminate = 1; }

// Acts on deadlines that passed. Returns the poll timeout in ms until the next one (-1: none).
int CheckDeadlines(State& s) {
  if (!s.armed) return -1;
  int64_t now = MonotonicNs();
  if (now >= s.kill_ns) {
    pgha::pg::FenceResult r = pgha::pg::FencePostgres(s.data_dir, pgha::pg::FenceStage::kKill);
    if (r.acted) ++s.fired;
    Log(r.acted ? "WARNING" : "INFO",
        std::string("write deadline passed without renewal: ") + r.detail);
    s.armed = false;
    return -1;
  }
  if (now >= s.stop_writes_ns && !s.stop_writes_done) {
    pgha::pg::FenceResult r = pgha::pg::FencePostgres(s.data_dir, pgha::pg::FenceStage::kStopWrites);
    if (r.acted) ++s.fired;
    Log(r.acted ? "WARNING" : "INFO",
        std::string("stop-writes deadline passed without renewal: ") + r.detail);
    s.stop_writes_done = true;
  }
  int64_t next = s.stop_writes_done ? s.kill_ns : s.stop_writes_ns;
  int64_t ms = (next - now) / 1000000 + 1;
  return ms > 60000 ? 60000 : static_cast<int>(ms);
}

std::string Handle(State& s, const std::string& line, bool* exit_requested) {
  char word[16] = {0};
  if (std::sscanf(line.c_str(), "%15s", word) != 1) return "ERR empty request";
  std::string cmd = word;
  if (cmd == "HELLO") {
    std::string dir = line.size() > 6 ? line.substr(6) : "";
    return dir == s.data_dir ? "OK" : "ERR this fencer guards " + s.data_dir;
  }
  if (cmd == "ARM") {
    int64_t stop_ns = 0, kill_ns = 0;
    if (std::sscanf(line.c_str(), "ARM %" SCNd64 " %" SCNd64, &stop_ns, &kill_ns) != 2 ||
        stop_ns <= 0 || kill_ns < stop_ns) {
      return "ERR usage: ARM <stop_writes_ns> <kill_ns>";
    }
    if (!s.armed) Log("INFO", "armed: this node is a primary holding the leader lock");
    s.armed = true;
    s.stop_writes_ns = stop_ns;
    s.kill_ns = kill_ns;
    s.stop_writes_done = false;
    return "OK";
  }
  if (cmd == "DISARM") {
    if (s.armed) Log("INFO", "disarmed: this node is no longer a primary holding the lock");
    s.armed = false;
    return "OK";
  }
  if (cmd == "STATUS") {
    char buf[128];
    if (s.armed) {
      std::snprintf(buf, sizeof buf, "ARMED %" PRId64 " %" PRId64 " FIRED %d", s.stop_writes_ns,
                    s.kill_ns, s.fired);
    } else {
      std::snprintf(buf, sizeof buf, "DISARMED FIRED %d", s.fired);
    }
    return buf;
  }
  if (cmd == "EXIT") {
    *exit_requested = true;
    return "OK";
  }
  return "ERR unknown request";
}

int Listen(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    Log("ERROR", "socket path too long: " + path);
    return -1;
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  // A socket file left by a fencer that died: replace it only if nobody answers on it.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    Log("ERROR", "another fencer already listens on " + path);
    ::close(fd);
    return -1;
  }
  ::unlink(path.c_str());
  mode_t old = ::umask(0077);  // only the daemon's user may renew or disarm us
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0 || ::listen(fd, 8) != 0) {
    Log("ERROR", "cannot listen on " + path + ": " + std::strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  State state;
  std::string socket_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--data-dir") state.data_dir = argv[i + 1];
    else if (flag == "--socket") socket_path = argv[i + 1];
  }
  if (state.data_dir.empty() || socket_path.empty()) {
    std::fprintf(stderr, "usage: pgha-fencer --data-dir DIR --socket PATH\n");
    return 2;
  }
  while (state.data_dir.size() > 1 && state.data_dir.back() == '/') state.data_dir.pop_back();
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa{};
  sa.sa_handler = OnTerminate;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::string parent_dir = state.data_dir.substr(0, state.data_dir.find_last_of('/'));
  if (parent_dir.empty()) parent_dir = "/";
  int listener = Listen(socket_path);
  if (listener < 0) return 1;
  // <socket>.pid: whoever supervises the node (an operator, a test) can find this process.
  std::string pid_path = socket_path + ".pid";
  if (FILE* f = std::fopen(pid_path.c_str(), "w")) {
    std::fprintf(f, "%d\n", static_cast<int>(::getpid()));
    std::fclose(f);
  }
  Log("INFO", "guarding " + state.data_dir + " on " + socket_path + " (pid " +
                  std::to_string(::getpid()) + ")");

  struct Client {
    int fd;
    std::string buffer;
  };
  std::vector<Client> clients;
  bool exit_requested = false;
  while (!g_terminate && !exit_requested) {
    std::vector<pollfd> fds{{listener, POLLIN, 0}};
    for (const auto& c : clients) fds.push_back({c.fd, POLLIN, 0});
    int timeout = CheckDeadlines(state);
    // With nothing to guard and the node's directory gone (a node that was removed, a test
    // that ended), there is nothing left to do: end instead of lingering forever.
    if (!state.armed && ::access(parent_dir.c_str(), F_OK) != 0) {
      Log("INFO", "the directory of " + state.data_dir + " is gone and nothing is armed");
      break;
    }
    if (timeout < 0 || timeout > 5000) timeout = 5000;
    int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    if (fds[0].revents & POLLIN) {
      int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) clients.push_back({fd, ""});
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Client& c = clients[i - 1];
      char buf[512];
      ssize_t got = ::read(c.fd, buf, sizeof buf);
      if (got <= 0) {
        ::close(c.fd);
        c.fd = -1;
        continue;
      }
      c.buffer.append(buf, static_cast<size_t>(got));
      if (c.buffer.size() > 4096) {  // not our daemon: nothing it sends is that long
        ::close(c.fd);
        c.fd = -1;
        continue;
      }
      size_t end;
      while ((end = c.buffer.find('\n')) != std::string::npos) {
        std::string reply = Handle(state, c.buffer.substr(0, end), &exit_requested) + "\n";
        c.buffer.erase(0, end + 1);
        (void)!::send(c.fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      }
    }
    std::vector<Client> open;
    for (auto& c : clients) {
      if (c.fd >= 0) open.push_back(std::move(c));
    }
    clients.swap(open);
  }
  // Leaving while armed would leave the primary unguarded: say so loudly.
  if (state.armed) Log("WARNING", "exiting while armed: this primary is no longer fenced");
  Log("INFO", "exiting");
  ::unlink(socket_path.c_str());
  ::unlink(pid_path.c_str());
  return 0;
}
