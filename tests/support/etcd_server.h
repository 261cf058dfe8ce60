// A real etcd 3.4 (Debian etcd-server) on 127.0.0.1 with free ports and a temporary data dir.
#ifndef PGHA_TESTS_SUPPORT_ETCD_SERVER_H_
#define PGHA_TESTS_SUPPORT_ETCD_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "server_process.h"
#include "temp_dir.h"

namespace pgha::testing {

class EtcdServer {
 public:
  // `extra_args` go on etcd's command line; `tls_dir` (with ca.crt, server.crt, server.key)
  // makes it serve https and require client certificates.
  explicit EtcdServer(std::vector<std::string> extra_args = {}, std::string tls_dir = "");
  ~EtcdServer();

  // Starts etcd (or restarts it on the same ports and data) and waits until it serves.
  // Skips the whole test binary (exit 77) when etcd is not installed.
  void Start();
  void Stop();  // SIGTERM and wait
  void Kill();  // SIGKILL and wait
  bool Running();
  pid_t pid() const { return process_ ? process_->pid() : -1; }

  std::string endpoint() const;  // 127.0.0.1:<client port>
  int client_port() const { return client_port_; }
  std::string peer_url() const;  // http://127.0.0.1:<peer port>
  // More command-line arguments for the next Start; later ones win over the defaults (a
  // member of a larger cluster: --name, --initial-cluster).
  void AddArgs(const std::vector<std::string>& args);

 private:
  TempDir dir_;
  int client_port_;
  int peer_port_;
  std::vector<std::string> extra_args_;
  std::string tls_dir_;
  std::unique_ptr<ServerProcess> process_;
};

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_ETCD_SERVER_H_
