// A real ZooKeeper 3.8 (Debian package zookeeper) on 127.0.0.1 with a free port and a temporary
// data dir, run as the JVM directly (exact PID, no JMX port, log in the data dir).
#ifndef PGHA_TESTS_SUPPORT_ZOOKEEPER_SERVER_H_
#define PGHA_TESTS_SUPPORT_ZOOKEEPER_SERVER_H_

#include <memory>
#include <string>

#include "server_process.h"
#include "temp_dir.h"

namespace pgha::testing {

class ZooKeeperServer {
 public:
  // tickTime 1000 ms and session timeouts allowed from 2 s to 60 s, so that tests can use
  // short TTLs without the server stretching them.
  ZooKeeperServer();
  ~ZooKeeperServer();  // SIGKILL

  // Starts ZooKeeper (or restarts it with the same port and data) and waits until it serves:
  // the `srvr` command answers "Mode: standalone" (`ruok` answers before that). Skips the whole
  // test binary (exit 77) when java or zookeeper.jar is not installed.
  void Start();
  void Stop();  // SIGTERM and wait
  void Kill();  // SIGKILL and wait
  // SIGSTOP / SIGCONT: connections stay open but nothing answers (a hung server or a network
  // that drops packets).
  void Pause();
  void Resume();
  bool Running();

  std::string endpoint() const;  // 127.0.0.1:<client port>
  int client_port() const { return client_port_; }
  // Sends a four-letter command ("srvr" is the one allowed) and returns the answer, "" when
  // nothing answers.
  std::string FourLetterWord(const std::string& command) const;

 private:
  TempDir dir_;
  int client_port_;
  std::unique_ptr<ServerProcess> process_;
};

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_ZOOKEEPER_SERVER_H_
