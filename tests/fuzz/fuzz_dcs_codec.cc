// The DCS value codec on every key of a cluster: whatever another client wrote, decoding
// never crashes, a value it keeps encodes to bytes that decode to the same value (a daemon
// that rewrites a key it read must not change or lose it), and the derived views (pause,
// synchronous mode, timeline, the leader's member), the dynamic-configuration rules and the
// embedding client's view run on whatever was kept.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "fuzz_input.h"
#include "pgha/base/json.h"
#include "pgha/client/cluster_view.h"
#include "pgha/client/conninfo.h"
#include "pgha/config/loader.h"
#include "pgha/dcs/codec.h"

namespace pgha::fuzz {
namespace {

template <typename T, typename Encode, typename Decode>
void CheckRoundTrip(const char* what, const T& value, Encode encode, Decode decode) {
  std::string bytes = encode(value);
  auto again = decode(bytes);
  if (!again.ok()) Fail(absl::StrCat(what, ": own encoding does not decode: ", bytes));
  std::string bytes_again = encode(*again);
  if (bytes_again != bytes) {
    Fail(absl::StrCat(what, ": round trip changed the value: ", bytes, " -> ", bytes_again));
  }
}

void Check(const dcs::ClusterState& c) {
  for (const dcs::Member& m : c.members) {
    CheckRoundTrip("member", m, dcs::EncodeMember,
                   [&](const std::string& v) { return dcs::DecodeMember(m.name, v); });
    (void)m.NoFailover();
    (void)m.FailoverPriority();
    (void)m.NoSync();
    (void)m.CloneFrom();
    (void)m.NoLoadBalance();
    (void)m.ReplicateFrom();
    (void)m.SyncPriority();
    (void)m.Host();
    (void)m.Port();
  }
  if (c.PendingFailover() != nullptr) {
    CheckRoundTrip("failover", *c.failover, dcs::EncodeFailover, dcs::DecodeFailover);
  }
  if (c.sync) CheckRoundTrip("sync", *c.sync, dcs::EncodeSync, dcs::DecodeSync);
  if (c.history) {
    CheckRoundTrip("history", c.history->entries, dcs::EncodeHistory,
                   [](const std::string& v) -> absl::StatusOr<std::vector<dcs::HistoryEntry>> {
                     auto h = dcs::DecodeHistory(v);
                     if (!h.ok()) return h.status();
                     return h->entries;
                   });
  }
  CheckRoundTrip("status", c.status, dcs::EncodeStatus, dcs::DecodeStatus);
  if (c.failsafe) CheckRoundTrip("failsafe", *c.failsafe, dcs::EncodeFailsafe, dcs::DecodeFailsafe);
  if (c.config) {
    std::string bytes = dcs::EncodeConfig(c.config->data);
    if (ParseUntrustedJson(bytes).is_discarded()) Fail("config: own encoding is not JSON");
    (void)config::ValidateDynamicConfig(c.config->data);
    (void)config::MaskSecrets(c.config->data);
  }
  (void)c.IsPaused();
  (void)c.IsSynchronousMode();
  (void)c.Timeline();
  (void)c.LeaderMember();
  (void)c.LastLeaderOptime();
  // What an embedding service sees of the same keys (pgha::client), and the connection strings
  // it would build from them.
  client::ClusterView view = client::BuildClusterView(c, absl::UnixEpoch());
  if (!view.SameAs(view)) Fail("client view: not the same as itself");
  (void)client::PrimaryConnInfo(view, {});
  (void)client::ReplicaConnInfo(view, {.max_lag_bytes = 1024, .fall_back_to_primary = true}, {});
  for (const client::MemberView& m : view.replicas) (void)client::MemberConnInfo(m, {});
}

}  // namespace
}  // namespace pgha::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pgha;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  dcs::ClusterState cluster = dcs::DecodeCluster(fuzz::Layout(), fuzz::SnapshotFromRecords(input));
  fuzz::Check(cluster);
  // The same bytes as one value of each kind, as a single-key reader (pghactl, a peer) sees it.
  (void)dcs::DecodeMember("pg1", std::string(input));
  (void)dcs::DecodeFailover(std::string(input));
  (void)dcs::DecodeSync(std::string(input));
  (void)dcs::DecodeHistory(std::string(input));
  (void)dcs::DecodeStatus(std::string(input));
  (void)dcs::DecodeFailsafe(std::string(input));
  (void)dcs::ParseTimestamp(std::string(input));
  return 0;
}
