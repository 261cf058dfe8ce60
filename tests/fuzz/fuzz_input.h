// What the fuzz targets share: the record format of DCS-shaped inputs, and how a target
// reports a broken invariant (an abort, which libFuzzer records as a crash with its input).
#ifndef PGHA_TESTS_FUZZ_FUZZ_INPUT_H_
#define PGHA_TESTS_FUZZ_FUZZ_INPUT_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pgha/dcs/backend.h"
#include "pgha/dcs/key_layout.h"

namespace pgha::fuzz {

// DCS-shaped inputs are records separated by 0x1E; a record's key ends at its first 0x1F and
// the rest is the value. Keys are relative to the cluster's prefix ("members/pg1", "leader"),
// so that mutations spend their time on values and key names, not on finding the prefix.
constexpr char kRecordSeparator = '\x1e';
constexpr char kKeySeparator = '\x1f';

std::vector<std::pair<std::string, std::string>> SplitRecords(std::string_view data);

// The reference dump's cluster: namespace /service/, scope anchor.
const dcs::KeyLayout& Layout();

// Records as a snapshot of that cluster's keys (versions 1, 2, ... in input order).
dcs::RawSnapshot SnapshotFromRecords(std::string_view data);

// Aborts with `what`: a broken invariant is a finding.
[[noreturn]] void Fail(const std::string& what);

}  // namespace pgha::fuzz

#endif  // PGHA_TESTS_FUZZ_FUZZ_INPUT_H_
