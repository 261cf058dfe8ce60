#include "etcd_server.h"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "ports.h"
#include "wait.h"

namespace pgha::testing {

EtcdServer::EtcdServer(std::vector<std::string> extra_args, std::string tls_dir)
    : dir_("pgha-etcd"),
      client_port_(FreePort()),
      peer_port_(FreePort()),
      extra_args_(std::move(extra_args)),
      tls_dir_(std::move(tls_dir)) {}

EtcdServer::~EtcdServer() { Kill(); }

std::string EtcdServer::endpoint() const { return absl::StrCat("127.0.0.1:", client_port_); }

std::string EtcdServer::peer_url() const { return absl::StrCat("http://127.0.0.1:", peer_port_); }

void EtcdServer::AddArgs(const std::vector<std::string>& args) {
  extra_args_.insert(extra_args_.end(), args.begin(), args.end());
}

void EtcdServer::Start() {
  std::string etcd = FindProgram("etcd", {"/usr/bin", "/usr/local/bin"});
  if (etcd.empty()) SkipBinary("etcd is not installed (Debian package etcd-server)");
  std::string client =
      absl::StrCat(tls_dir_.empty() ? "http" : "https", "://127.0.0.1:", client_port_);
  std::string peer = absl::StrCat("http://127.0.0.1:", peer_port_);
  std::vector<std::string> argv = {etcd,
                                   "--name",
                                   "default",
                                   "--data-dir",
                                   dir_.Sub("data"),
                                   "--listen-client-urls",
                                   client,
                                   "--advertise-client-urls",
                                   client,
                                   "--listen-peer-urls",
                                   peer,
                                   "--initial-advertise-peer-urls",
                                   peer,
                                   "--initial-cluster",
                                   absl::StrCat("default=", peer),
                                   "--logger=zap",
                                   "--log-level=warn"};
  if (!tls_dir_.empty()) {
    for (const std::string& a : {std::string("--cert-file=") + tls_dir_ + "/server.crt",
                                 std::string("--key-file=") + tls_dir_ + "/server.key",
                                 std::string("--trusted-ca-file=") + tls_dir_ + "/ca.crt",
                                 std::string("--client-cert-auth")}) {
      argv.push_back(a);
    }
  }
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<ServerProcess>(argv, dir_.Sub("etcd.log"));
  if (!process_->Start()) throw std::runtime_error("cannot start etcd");
  bool up =
      WaitFor([&] { return PortOpen(client_port_) || !process_->Running(); }, absl::Seconds(60));
  if (!up || !process_->Running()) {
    throw std::runtime_error("etcd did not start: " + process_->LogTail());
  }
}

void EtcdServer::Stop() {
  if (process_) process_->Stop();
}

void EtcdServer::Kill() {
  if (process_) process_->Kill();
}

bool EtcdServer::Running() { return process_ && process_->Running(); }

}  // namespace pgha::testing
