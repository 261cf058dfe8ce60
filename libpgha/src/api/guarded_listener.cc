#include "guarded_listener.h"

#include <sys/socket.h>
#include <unistd.h>

#include "connection_threads.h"

namespace pgha::api::internal {
namespace {

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

}  // namespace

ProcessSocketFn ProcessAndCloseSocket() { return Get(ProcessSocketTag{}); }

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
  bool served = serve_(sock);
  current_connection.reset();
  guard_->End(*ticket);
  return served;
}

}  // namespace pgha::api::internal
