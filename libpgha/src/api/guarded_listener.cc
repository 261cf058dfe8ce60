#include "guarded_listener.h"

#include <sys/socket.h>
#include <unistd.h>

#include "connection_threads.h"

namespace pgha::api::internal {
namespace {

// httplib::Server::process_and_close_socket: serves one accepted socket, then closes it.
using ProcessSocketFn = bool (httplib::Server::*)(socket_t);

// The explicit instantiation defines Get(ProcessSocketTag), a friend that returns the member
// pointer; only the instantiation names the private member.
struct ProcessSocketTag {};
ProcessSocketFn Get(ProcessSocketTag);
template <ProcessSocketFn member>
struct ExposeMember {
  friend ProcessSocketFn Get(ProcessSocketTag) { return member; }
};
template struct ExposeMember<&httplib::Server::process_and_close_socket>;

thread_local std::optional<ConnectionGuard::Ticket> current_connection;

// The protected listening socket, named through a derived class (where access allows it).
struct ListeningSocket : httplib::Server {
  static constexpr auto member = &ListeningSocket::svr_sock_;
};

}  // namespace

bool ServeAcceptedSocket(httplib::Server& server, socket_t sock) {
  return (server.*Get(ProcessSocketTag{}))(sock);
}

void SetListeningSocket(httplib::Server& server, socket_t listening) {
  server.*ListeningSocket::member = listening;
}

std::optional<ConnectionGuard::Ticket> GuardedListener::CurrentConnection() {
  return current_connection;
}

bool GuardedListener::process_and_close_socket(socket_t sock) {
  // Refused (too many connections from this address, or every thread busy and the queue
  // full): closed at once, unanswered, so that it holds nothing.
  std::optional<ConnectionGuard::Ticket> ticket;
  if (!ConnectionThreads::Refusing()) ticket = guard_->Begin(sock);
  if (!ticket) {
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return false;
  }
  current_connection = ticket;
  bool served = ServeAcceptedSocket(*serving_.load(), sock);
  current_connection.reset();
  guard_->End(*ticket);
  return served;
}

}  // namespace pgha::api::internal
