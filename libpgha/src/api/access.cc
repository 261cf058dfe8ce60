#include "access.h"

#include <algorithm>

#include <arpa/inet.h>
#include <netdb.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "pgha/base/log.h"

namespace pgha::api::internal {
namespace {

std::optional<std::vector<unsigned char>> ParseIp(const std::string& ip) {
  std::string text = ip;
  if (text.rfind("::ffff:", 0) == 0 && text.find('.') != std::string::npos) text = text.substr(7);
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) return std::vector<unsigned char>(buf, buf + 4);
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) return std::vector<unsigned char>(buf, buf + 16);
  return std::nullopt;
}

std::vector<Network> Resolve(const std::string& host) {
  std::vector<Network> out;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) {
    PGHA_LOG(ERROR) << "cannot resolve allowlist entry " << host;
    return out;
  }
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    char buf[INET6_ADDRSTRLEN];
    if (a->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, buf, sizeof buf);
    } else if (a->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, buf, sizeof buf);
    } else {
      continue;
    }
    if (auto ip = ParseIp(buf)) out.push_back({*ip, static_cast<int>(ip->size() * 8)});
  }
  freeaddrinfo(res);
  return out;
}

}  // namespace

bool Network::Contains(const std::string& ip) const {
  auto addr = ParseIp(ip);
  if (!addr || addr->size() != address.size()) return false;
  int bits = prefix;
  for (size_t i = 0; i < address.size() && bits > 0; ++i, bits -= 8) {
    unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if (((*addr)[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

std::vector<Network> BuildAllowlist(const std::vector<std::string>& entries) {
  std::vector<Network> out;
  for (const auto& entry : entries) {
    auto slash = entry.find('/');
    if (slash != std::string::npos) {
      auto ip = ParseIp(entry.substr(0, slash));
      int prefix = 0;
      if (!ip || !absl::SimpleAtoi(entry.substr(slash + 1), &prefix) || prefix < 0 ||
          prefix > static_cast<int>(ip->size() * 8)) {
        PGHA_LOG(ERROR) << "invalid allowlist entry " << entry;
        continue;
      }
      out.push_back({*ip, prefix});
    } else if (auto ip = ParseIp(entry)) {
      out.push_back({*ip, static_cast<int>(ip->size() * 8)});
    } else {
      auto resolved = Resolve(entry);
      out.insert(out.end(), resolved.begin(), resolved.end());
    }
  }
  return out;
}

std::vector<Network> MemberNetworks(const dcs::ClusterState& cluster) {
  std::vector<std::string> hosts;
  for (const auto& m : cluster.members) {
    std::string url = m.api_url;
    auto scheme = url.find("://");
    if (scheme == std::string::npos) continue;
    std::string rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find('/'));
    if (!rest.empty() && rest.front() == '[') {
      hosts.push_back(rest.substr(1, rest.find(']') - 1));
    } else {
      hosts.push_back(rest.substr(0, rest.rfind(':')));
    }
  }
  return BuildAllowlist(hosts);
}

std::string Base64Encode(const std::string& in) {
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  while (i + 2 < in.size()) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kChars[(v >> s) & 63]);
    i += 3;
  }
  if (i + 1 == in.size()) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out.push_back(kChars[(v >> 18) & 63]);
    out.push_back(kChars[(v >> 12) & 63]);
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out.push_back(kChars[(v >> 18) & 63]);
    out.push_back(kChars[(v >> 12) & 63]);
    out.push_back(kChars[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

bool CheckBasicAuth(const std::string& header, const config::BasicAuth& auth) {
  std::string expected = "Basic " + Base64Encode(auth.username + ":" + auth.password);
  // The same work whatever the header holds: no early return on a length mismatch either, so
  // the time taken says nothing about the credentials' length or content.
  size_t n = std::max(header.size(), expected.size());
  unsigned char diff = header.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned char a = i < header.size() ? static_cast<unsigned char>(header[i]) : 0;
    unsigned char b = i < expected.size() ? static_cast<unsigned char>(expected[i]) : 0;
    diff |= static_cast<unsigned char>(a ^ b);
  }
  return diff == 0;
}

}  // namespace pgha::api::internal
