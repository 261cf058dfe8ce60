// The REST server's socket layer: a listener that puts every accepted connection under the
// ConnectionGuard before it is served.
//
// Why it looks like this: httplib 0.11 (Debian 12) accepts a connection and serves it in
// Server::process_and_close_socket, a private virtual function, with no hook in between, so
// nothing could bound how long a client takes to send its request or how many connections one
// address holds. GuardedListener owns the listening socket and accepts; its override of that
// function registers the connection, then has a second server object (the routes, timeouts and
// TLS context; it never listens) serve it through httplib's own implementation. The
// pointer to the private member is named in an explicit instantiation, where access checks do
// not apply (C++17 [temp.explicit]/14); no httplib code is copied.
#ifndef PGHA_API_GUARDED_LISTENER_H_
#define PGHA_API_GUARDED_LISTENER_H_

#include <httplib.h>

#include <atomic>
#include <optional>

#include "connection_guard.h"

namespace pgha::api::internal {

// Has `server` (a plain httplib::Server or SSLServer that never listens itself) serve one
// socket another object accepted, and close it: httplib's own process_and_close_socket,
// dispatched virtually (an SSLServer does the TLS handshake first).
bool ServeAcceptedSocket(httplib::Server& server, socket_t sock);
// httplib's keep-alive loop goes on while the server's own listening socket is set: `listening`
// stands in for it on a server that serves accepted sockets (INVALID_SOCKET: stop).
void SetListeningSocket(httplib::Server& server, socket_t listening);

class GuardedListener final : public httplib::Server {
 public:
  // The connection the calling thread serves (handlers run on their connection's thread);
  // nothing outside a connection.
  static std::optional<ConnectionGuard::Ticket> CurrentConnection();

  // `serving` serves the accepted sockets; both outlive the listener.
  GuardedListener(ConnectionGuard* guard, httplib::Server* serving)
      : guard_(guard), serving_(serving) {}

  // Connections accepted from now on are served by `serving` (a reload); it must outlive the
  // listener too, as must the previous one, which may still serve open connections.
  void SetServing(httplib::Server* serving) { serving_.store(serving); }

 private:
  bool process_and_close_socket(socket_t sock) override;

  ConnectionGuard* guard_;
  std::atomic<httplib::Server*> serving_;
};

}  // namespace pgha::api::internal

#endif  // PGHA_API_GUARDED_LISTENER_H_
