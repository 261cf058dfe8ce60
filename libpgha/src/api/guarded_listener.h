// The REST server's socket layer: a listener that puts every accepted connection under the
// ConnectionGuard before it is served.
//
// Why it looks like this: httplib 0.11 (Debian 12) accepts a connection and serves it in
// Server::process_and_close_socket, a private virtual function, with no hook in between, so
// nothing could bound how long a client takes to send its request or how many connections one
// address holds. GuardedListener owns the listening socket and accepts; its override of that
// function registers the connection, then has a second server object (ServingServer: the routes,
// timeouts and TLS context; it never listens) serve it through httplib's own implementation. The
// pointer to the private member is named in an explicit instantiation, where access checks do
// not apply (C++17 [temp.explicit]/14); no httplib code is copied.
#ifndef PGHA_API_GUARDED_LISTENER_H_
#define PGHA_API_GUARDED_LISTENER_H_

#include <httplib.h>

#include <functional>
#include <optional>

#include "connection_guard.h"

namespace pgha::api::internal {

// httplib::Server::process_and_close_socket: serves one accepted socket, then closes it.
using ProcessSocketFn = bool (httplib::Server::*)(socket_t);
ProcessSocketFn ProcessAndCloseSocket();

// A server that serves sockets another object accepted. httplib's keep-alive loop goes on while
// the server's own listening socket is set, so Open/Close stand in for listening.
template <typename Base>
class ServingServer final : public Base {
 public:
  using Base::Base;
  void Open(socket_t listening) { this->svr_sock_ = listening; }
  void Close() { this->svr_sock_ = INVALID_SOCKET; }
  // Dispatches virtually: a ServingServer<httplib::SSLServer> does the TLS handshake first.
  bool Serve(socket_t sock) { return (this->*ProcessAndCloseSocket())(sock); }
};

class GuardedListener final : public httplib::Server {
 public:
  // The connection the calling thread serves (handlers run on their connection's thread);
  // nothing outside a connection.
  static std::optional<ConnectionGuard::Ticket> CurrentConnection();

  // `serve` serves and closes one socket (a ServingServer's Serve); both outlive the listener.
  GuardedListener(ConnectionGuard* guard, std::function<bool(socket_t)> serve)
      : guard_(guard), serve_(std::move(serve)) {}

 private:
  bool process_and_close_socket(socket_t sock) override;

  ConnectionGuard* guard_;
  std::function<bool(socket_t)> serve_;
};

}  // namespace pgha::api::internal

#endif  // PGHA_API_GUARDED_LISTENER_H_
