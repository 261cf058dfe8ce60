#include "pgha/config/address.h"

#include <arpa/inet.h>

#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pgha::config {
namespace {

bool ValidHostName(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  if (host == "*") return true;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return true;
  for (char c : host) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) {
      return false;
    }
  }
  return host.front() != '-' && host.front() != '.';
}

}  // namespace

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<HostPort> ParseHostPort(const std::string& raw, int default_port) {
  std::string text(absl::StripAsciiWhitespace(raw));
  if (text.empty()) return absl::InvalidArgumentError("empty address");
  HostPort out;
  std::string port_text;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("'", raw, "': missing ']'"));
    }
    out.host = text.substr(1, close - 1);
    std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return absl::InvalidArgumentError(absl::StrCat("'", raw, "': expected ':' after ']'"));
      }
      port_text = rest.substr(1);
    }
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string::npos && text.find(':') != colon) {
      // Several colons without brackets: a bare IPv6 literal; take the last part as the port
      // only if the rest still is an IPv6 address, as Python's rsplit(':', 1) does.
      out.host = text.substr(0, colon);
      port_text = text.substr(colon + 1);
    } else if (colon != std::string::npos) {
      out.host = text.substr(0, colon);
      port_text = text.substr(colon + 1);
    } else {
      out.host = text;
    }
  }
  if (!ValidHostName(out.host)) {
    return absl::InvalidArgumentError(absl::StrCat("'", raw, "': '", out.host,
                                                   "' is not a valid host name or address"));
  }
  if (port_text.empty()) {
    if (default_port == 0) {
      return absl::InvalidArgumentError(absl::StrCat("'", raw, "': missing port (host:port)"));
    }
    out.port = default_port;
    return out;
  }
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", raw, "': port '", port_text, "' is not a number from 1 to 65535"));
  }
  out.port = port;
  return out;
}

absl::StatusOr<std::vector<HostPort>> ParseListenAddresses(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "': missing port (host:port)"));
  }
  std::string port = text.substr(colon + 1);
  std::vector<HostPort> out;
  for (absl::string_view host : absl::StrSplit(text.substr(0, colon), ',')) {
    std::string h(absl::StripAsciiWhitespace(host));
    auto parsed = ParseHostPort(absl::StrCat(h, ":", port));
    if (!parsed.ok()) return parsed.status();
    out.push_back(*parsed);
  }
  return out;
}

bool IsWildcardHost(const std::string& host) {
  return host.empty() || host == "*" || host == "0.0.0.0" || host == "::";
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

bool ConsumeHttpScheme(std::string* url, bool* https) {
  for (const char* scheme : {"https://", "http://"}) {
    if (absl::StartsWith(*url, scheme)) {
      *https = scheme[4] == 's';
      url->erase(0, std::string(scheme).size());
      return true;
    }
  }
  return false;
}

}  // namespace pgha::config
