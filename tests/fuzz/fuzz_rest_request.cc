// One REST request (method, path, query, headers, body) through the router every connection
// thread runs, against a node whose published cluster state is the reference cluster or one
// read from fuzzed DCS values. Whatever arrives, the answer has a valid status code and a JSON
// answer is JSON; no request crashes the daemon, and none waits on a loop that is not there.
//
// Input: "METHOD TARGET\n", header lines "Name: value\n", an empty line, the body; optionally
// 0x1D followed by DCS records (fuzz_input.h) that replace the reference cluster.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "fake_clock.h"
#include "fuzz_input.h"
#include "pgha/api/rest_server.h"
#include "pgha/base/json.h"
#include "pgha/dcs/codec.h"
#include "reference_dump.h"
#include "router.h"

namespace pgha::fuzz {
namespace {

class UnreachablePeers final : public ha::PeerProber {
 public:
  std::vector<ha::PeerStatus> Probe(const std::vector<dcs::Member>& members,
                                    absl::Duration) override {
    std::vector<ha::PeerStatus> out;
    for (const auto& m : members) out.push_back(ha::PeerStatus{.name = m.name});
    return out;
  }
};

// The fifth state of the reference dump: three members, a leader, history, synchronous mode.
dcs::ClusterStatePtr ReferenceCluster() {
  static const dcs::ClusterStatePtr cluster = [] {
    auto states = testing::LoadReferenceDcsDump();
    const auto& keys = states.at(std::min<size_t>(4, states.size() - 1)).keys;
    dcs::RawSnapshot snapshot;
    for (const auto& [k, v] : keys) snapshot.entries.push_back(dcs::RawEntry{k, v, 1, ""});
    return std::make_shared<const dcs::ClusterState>(dcs::DecodeCluster(Layout(), snapshot));
  }();
  return cluster;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && absl::ascii_isxdigit(s[i + 1]) &&
        absl::ascii_isxdigit(s[i + 2])) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// What httplib hands a handler after parsing the request.
httplib::Request ParseRequest(std::string_view text) {
  httplib::Request req;
  req.remote_addr = "127.0.0.1";
  size_t line_end = text.find('\n');
  std::string_view line = text.substr(0, line_end);
  size_t space = line.find(' ');
  req.method = std::string(line.substr(0, space));
  std::string_view target = space == std::string_view::npos ? "/" : line.substr(space + 1);
  req.target = std::string(target);
  size_t q = target.find('?');
  req.path = PercentDecode(target.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      size_t eq = pair.find('=');
      req.params.emplace(PercentDecode(pair.substr(0, eq)),
                         eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1)));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  text = line_end == std::string_view::npos ? "" : text.substr(line_end + 1);
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view header = text.substr(0, end);
    text = end == std::string_view::npos ? "" : text.substr(end + 1);
    if (header.empty()) break;
    size_t colon = header.find(':');
    std::string value(colon == std::string_view::npos ? "" : header.substr(colon + 1));
    req.headers.emplace(std::string(header.substr(0, colon)),
                        std::string(absl::StripLeadingAsciiWhitespace(value)));
  }
  req.body = std::string(text);
  return req;
}

}  // namespace
}  // namespace pgha::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pgha;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t group = input.find('\x1d');
  dcs::ClusterStatePtr cluster = fuzz::ReferenceCluster();
  if (group != std::string_view::npos) {
    cluster = std::make_shared<const dcs::ClusterState>(
        dcs::DecodeCluster(fuzz::Layout(), fuzz::SnapshotFromRecords(input.substr(group + 1))));
    input = input.substr(0, group);
  }

  ha::StatusBoard board;
  ha::NodeStatus status;
  status.name = "pg1";
  status.scope = "anchor";
  status.holds_lock = cluster->IsLeader("pg1");
  status.role = status.holds_lock ? "primary" : "replica";
  status.state = "running";
  status.dcs_ok = true;
  status.pg.accepting = true;
  status.pg.in_recovery = !status.holds_lock;
  status.paused = cluster->IsPaused();
  status.cluster = cluster;
  status.failsafe_mode = cluster->config && JsonIsTrue(cluster->config->data, "failsafe_mode");
  board.Publish(std::move(status));
  board.Close();  // no HA loop: a handler that hands over a command gets "not done" at once

  static testing::FakeClock clock;
  static fuzz::UnreachablePeers peers;
  api::RestServerOptions options;
  options.board = &board;
  options.prober = &peers;
  options.clock = &clock;
  api::internal::Router router(&options, &clock);

  httplib::Request req = fuzz::ParseRequest(input);
  httplib::Response res;
  router.Handle(req, res);
  if (res.status < 100 || res.status > 599) {
    fuzz::Fail(absl::StrCat("status code ", res.status, " for ", req.method, " ", req.path));
  }
  if (res.get_header_value("Content-Type") == "application/json" &&
      Json::parse(res.body, nullptr, /*allow_exceptions=*/false).is_discarded()) {
    fuzz::Fail(absl::StrCat("a JSON answer that is not JSON: ", res.body));
  }
  return 0;
}
