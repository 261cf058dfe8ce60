// The one JSON codec for Patroni's DCS values. Decoding is lenient like Patroni's (a value that
// cannot be read is skipped with a reason, never trusted, never a crash); encoding is exact
// (compact JSON in Patroni's key order, so tools comparing bytes see what Patroni writes).
//
// Thread-safety: pure functions.
#ifndef PGHA_DCS_CODEC_H_
#define PGHA_DCS_CODEC_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pgha/dcs/backend.h"
#include "pgha/dcs/cluster_state.h"
#include "pgha/dcs/key_layout.h"

namespace pgha::dcs {

// Builds a ClusterState from every key under the layout's prefix. Undecodable values land in
// decode_errors; everything else is kept.
ClusterState DecodeCluster(const KeyLayout& layout, const RawSnapshot& snapshot);

absl::StatusOr<Member> DecodeMember(const std::string& name, const std::string& value);
absl::StatusOr<FailoverRequest> DecodeFailover(const std::string& value);
absl::StatusOr<SyncState> DecodeSync(const std::string& value);
absl::StatusOr<TimelineHistory> DecodeHistory(const std::string& value);
absl::StatusOr<ClusterStatus> DecodeStatus(const std::string& value);
absl::StatusOr<std::map<std::string, std::string>> DecodeFailsafe(const std::string& value);

std::string EncodeMember(const Member& member);
std::string EncodeFailover(const FailoverRequest& request);  // {} when empty
std::string EncodeSync(const SyncState& sync);
std::string EncodeHistory(const std::vector<HistoryEntry>& entries);
std::string EncodeStatus(const ClusterStatus& status);
std::string EncodeFailsafe(const std::map<std::string, std::string>& members);
std::string EncodeConfig(const Json& config);

// Patroni's timestamps: ISO 8601 with a zone, e.g. 2026-11-22T03:06:40.011036+00:00
// (isoformat in UTC; read as dateutil reads them, a zone required: pgha/base/pycompat_time.h).
std::string FormatTimestamp(absl::Time t);
absl::StatusOr<absl::Time> ParseTimestamp(const std::string& text);

}  // namespace pgha::dcs

#endif  // PGHA_DCS_CODEC_H_
