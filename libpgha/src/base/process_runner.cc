#include "pgha/base/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "pgha/base/clock.h"

extern char** environ;

namespace pgha {
namespace {

constexpr absl::Duration kKillGrace = absl::Seconds(5);

std::vector<std::string> BuildEnvironment(const ProcessOptions& options) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& name : options.unset_env) vars.erase(name);
  for (const auto& [name, value] : options.env) vars[name] = value;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [name, value] : vars) out.push_back(absl::StrCat(name, "=", value));
  return out;
}

class PosixRunningProcess final : public RunningProcess {
 public:
  PosixRunningProcess(pid_t pid, int output_fd, int stdin_fd, std::string stdin_data,
                      absl::Duration timeout, size_t max_output)
      : pid_(pid),
        output_fd_(output_fd),
        stdin_fd_(stdin_fd),
        stdin_data_(std::move(stdin_data)),
        deadline_(timeout == absl::InfiniteDuration() ? absl::InfiniteFuture()
                                                      : MonotonicNow() + timeout),
        timeout_(timeout),
        max_output_(max_output) {}

  ~PosixRunningProcess() override {
    if (!finished_) {
      // Nobody waits for it any more: do not leave a zombie or an orphan behind.
      Signal(SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    CloseFds();
  }

  pid_t pid() const override { return pid_; }

  bool Poll(ProcessResult* result) override {
    if (finished_) {
      *result = result_;
      return true;
    }
    Pump(0);
    if (!Reap(WNOHANG)) return false;
    *result = result_;
    return true;
  }

  absl::StatusOr<ProcessResult> Wait(absl::Duration timeout) override {
    absl::Time wait_until = timeout == absl::InfiniteDuration() ? absl::InfiniteFuture()
                                                                : MonotonicNow() + timeout;
    while (!finished_) {
      absl::Time now = MonotonicNow();
      if (now >= deadline_ && !killing_) {
        result_.timed_out = true;
        Signal(SIGTERM);
        killing_ = true;
        kill_at_ = now + kKillGrace;
      }
      if (killing_ && now >= kill_at_) Signal(SIGKILL);
      if (Reap(WNOHANG)) break;
      if (now >= wait_until) return absl::DeadlineExceededError("process still running");
      absl::Time next = std::min({wait_until, deadline_, killing_ ? kill_at_ : deadline_,
                                  now + absl::Milliseconds(100)});
      Pump(std::max<int64_t>(1, absl::ToInt64Milliseconds(next - now)));
    }
    return result_;
  }

  void Signal(int signo) override {
    if (finished_) return;
    // The child called setsid(): its pid is also its process group.
    if (::kill(-pid_, signo) != 0) ::kill(pid_, signo);
  }

 private:
  // Moves data between the pipes and our buffers for up to `wait_ms` milliseconds.
  void Pump(int64_t wait_ms) {
    if (stdin_fd_ >= 0 && stdin_written_ >= stdin_data_.size()) {
      ::close(stdin_fd_);
      stdin_fd_ = -1;
    }
    pollfd fds[2];
    int n = 0;
    if (output_fd_ >= 0) fds[n++] = {output_fd_, POLLIN, 0};
    if (stdin_fd_ >= 0) fds[n++] = {stdin_fd_, POLLOUT, 0};
    if (n == 0) {
      if (wait_ms > 0) absl::SleepFor(absl::Milliseconds(std::min<int64_t>(wait_ms, 20)));
      return;
    }
    if (::poll(fds, n, static_cast<int>(wait_ms)) <= 0) return;
    for (int i = 0; i < n; ++i) {
      if (fds[i].fd == output_fd_ && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        char buf[8192];
        ssize_t got = ::read(output_fd_, buf, sizeof buf);
        if (got > 0) {
          size_t room = max_output_ > result_.output.size() ? max_output_ - result_.output.size() : 0;
          result_.output.append(buf, std::min(room, static_cast<size_t>(got)));
        } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
          ::close(output_fd_);
          output_fd_ = -1;
        }
      } else if (fds[i].fd == stdin_fd_ && (fds[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t put = ::write(stdin_fd_, stdin_data_.data() + stdin_written_,
                              stdin_data_.size() - stdin_written_);
        if (put > 0) {
          stdin_written_ += static_cast<size_t>(put);
        } else if (errno != EINTR && errno != EAGAIN) {
          ::close(stdin_fd_);
          stdin_fd_ = -1;
        }
      }
    }
  }

  bool Reap(int flags) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, flags);
    if (r != pid_) return false;
    // Drain what the child wrote before it exited (its own children may keep the pipe open:
    // read only what is there already).
    for (int i = 0; i < 64 && output_fd_ >= 0; ++i) {
      pollfd p{output_fd_, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) break;
      Pump(0);
    }
    if (WIFEXITED(status)) {
      result_.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      result_.exit_code = -1;
      result_.term_signal = WTERMSIG(status);
    }
    finished_ = true;
    CloseFds();
    return true;
  }

  void CloseFds() {
    if (output_fd_ >= 0) ::close(output_fd_);
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
    output_fd_ = stdin_fd_ = -1;
  }

  pid_t pid_;
  int output_fd_;
  int stdin_fd_;
  std::string stdin_data_;
  size_t stdin_written_ = 0;
  absl::Time deadline_;
  absl::Duration timeout_;
  size_t max_output_;
  bool finished_ = false;
  bool killing_ = false;
  absl::Time kill_at_ = absl::InfiniteFuture();
  ProcessResult result_;
};

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitCommandLine(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word.push_back(c);
      }
    } else if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < command.size() &&
                 (command[i + 1] == '"' || command[i + 1] == '\\' || command[i + 1] == '$' ||
                  command[i + 1] == '`')) {
        word.push_back(command[++i]);
      } else {
        word.push_back(c);
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 < command.size()) word.push_back(command[++i]);
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (quote != 0) {
    return absl::InvalidArgumentError(absl::StrCat("unterminated quote in command: ", command));
  }
  if (in_word) words.push_back(word);
  return words;
}

std::string ProcessResult::Describe() const {
  std::string what;
  if (timed_out) {
    what = "timed out";
  } else if (term_signal != 0) {
    what = absl::StrCat("killed by signal ", term_signal);
  } else {
    what = absl::StrCat("exit code ", exit_code);
  }
  absl::string_view trimmed = absl::StripTrailingAsciiWhitespace(output);
  if (!trimmed.empty()) {
    auto nl = trimmed.rfind('\n');
    absl::StrAppend(&what, ": ",
                    std::string(nl == absl::string_view::npos ? trimmed : trimmed.substr(nl + 1)));
  }
  return what;
}

absl::StatusOr<std::unique_ptr<RunningProcess>> PosixProcessRunner::Start(
    const ProcessOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("empty argv");
  std::vector<std::string> env_strings = BuildEnvironment(options);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = options.argv;
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out_pipe[2] = {-1, -1};
  int in_pipe[2] = {-1, -1};
  int exec_pipe[2] = {-1, -1};  // reports an exec failure's errno to the parent
  int file_fd = -1;
  auto close_all = [&] {
    for (int fd : {out_pipe[0], out_pipe[1], in_pipe[0], in_pipe[1], exec_pipe[0], exec_pipe[1],
                   file_fd}) {
      if (fd >= 0) ::close(fd);
    }
  };
  if (options.inherit_output) {
    // Nothing to set up: the child keeps our stdout and stderr.
  } else if (!options.output_path.empty()) {
    file_fd = ::open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (file_fd < 0) {
      return absl::InternalError(
          absl::StrCat("cannot open ", options.output_path, ": ", std::strerror(errno)));
    }
  } else if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    close_all();
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    close_all();
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }

  pid_t pid = ::fork();
  if (pid < 0) {
    close_all();
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::setsid();
    int out_fd = file_fd >= 0 ? file_fd : out_pipe[1];
    ::dup2(in_pipe[0], STDIN_FILENO);
    if (out_fd >= 0) {
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(out_fd, STDERR_FILENO);
    }
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::fcntl(exec_pipe[1], F_SETFD, FD_CLOEXEC);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) {
      int err = errno;
      (void)!::write(exec_pipe[1], &err, sizeof err);
      ::_exit(127);
    }
    ::execvpe(argv[0], argv.data(), envp.data());
    int err = errno;
    (void)!::write(exec_pipe[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(exec_pipe[1]);
  exec_pipe[1] = -1;
  int child_errno = 0;
  ssize_t got;
  do {
    got = ::read(exec_pipe[0], &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  exec_pipe[0] = -1;
  ::close(in_pipe[0]);
  in_pipe[0] = -1;
  if (out_pipe[1] >= 0) ::close(out_pipe[1]);
  out_pipe[1] = -1;
  if (file_fd >= 0) ::close(file_fd);
  file_fd = -1;
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    ::waitpid(pid, nullptr, 0);
    close_all();
    std::string what = options.cwd.empty() || child_errno != ENOENT
                           ? absl::StrCat("cannot execute ", options.argv[0], ": ",
                                          std::strerror(child_errno))
                           : absl::StrCat("cannot execute ", options.argv[0], " in ",
                                          options.cwd, ": ", std::strerror(child_errno));
    if (child_errno == ENOENT || child_errno == EACCES || child_errno == ENOTDIR) {
      return absl::NotFoundError(what);
    }
    return absl::InternalError(what);
  }
  if (out_pipe[0] >= 0) ::fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  ::fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  return std::unique_ptr<RunningProcess>(new PosixRunningProcess(
      pid, out_pipe[0], in_pipe[1], options.stdin_data, options.timeout,
      options.max_output_bytes));
}

absl::StatusOr<ProcessResult> PosixProcessRunner::Run(const ProcessOptions& options) {
  auto started = Start(options);
  if (!started.ok()) return started.status();
  return (*started)->Wait(absl::InfiniteDuration());
}

}  // namespace pgha
