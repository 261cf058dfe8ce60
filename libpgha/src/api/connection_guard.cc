#include "connection_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pgha/base/clock.h"

namespace pgha::api::internal {
namespace {

std::string PeerAddress(int sock) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, text, sizeof(text));
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, text, sizeof(text));
  }
  return text;
}

}  // namespace

ConnectionGuard::ConnectionGuard(ConnectionLimits limits) : limits_(limits) {
  reaper_ = std::thread([this] { Reap(); });
}

ConnectionGuard::~ConnectionGuard() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  reaper_.join();
}

std::optional<ConnectionGuard::Ticket> ConnectionGuard::Begin(int sock) {
  std::string address = PeerAddress(sock);
  std::lock_guard<std::mutex> lock(mu_);
  int& count = per_address_[address];
  if (static_cast<int>(entries_.size()) >= limits_.busy && count >= limits_.max_per_address) {
    return std::nullopt;
  }
  Ticket ticket = next_ticket_++;
  int watch = ::dup(sock);
  if (watch < 0) {  // out of descriptors: serve it, only without a deadline
    if (count == 0) per_address_.erase(address);
    return ticket;
  }
  ++count;
  entries_[ticket] = Entry{watch, address, MonotonicNow() + limits_.request_deadline};
  return ticket;
}

void ConnectionGuard::End(Ticket ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ticket);
  if (it == entries_.end()) return;
  ::close(it->second.watch_fd);
  auto count = per_address_.find(it->second.address);
  if (count != per_address_.end() && --count->second <= 0) per_address_.erase(count);
  entries_.erase(it);
}

void ConnectionGuard::HandlerStarted(Ticket ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ticket);
  if (it != entries_.end()) it->second.deadline = absl::InfiniteFuture();
}

void ConnectionGuard::HandlerFinished(Ticket ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ticket);
  if (it != entries_.end()) it->second.deadline = MonotonicNow() + limits_.request_deadline;
}

int ConnectionGuard::Open() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(entries_.size());
}

void ConnectionGuard::Reap() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(250));
    absl::Time now = MonotonicNow();
    for (auto& [ticket, entry] : entries_) {
      if (entry.deadline <= now) {
        // The thread blocked reading this client wakes up to a closed socket and ends the
        // connection; the descriptor stays ours (and valid) until End() closes it.
        ::shutdown(entry.watch_fd, SHUT_RDWR);
        entry.deadline = absl::InfiniteFuture();
      }
    }
  }
}

}  // namespace pgha::api::internal
