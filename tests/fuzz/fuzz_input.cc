#include "fuzz_input.h"

#include <cstdio>
#include <cstdlib>

namespace pgha::fuzz {

std::vector<std::pair<std::string, std::string>> SplitRecords(std::string_view data) {
  std::vector<std::pair<std::string, std::string>> records;
  while (!data.empty()) {
    size_t end = data.find(kRecordSeparator);
    std::string_view record = data.substr(0, end);
    size_t split = record.find(kKeySeparator);
    if (split == std::string_view::npos) {
      records.emplace_back(std::string(record), "");
    } else {
      records.emplace_back(std::string(record.substr(0, split)),
                           std::string(record.substr(split + 1)));
    }
    if (end == std::string_view::npos) break;
    data.remove_prefix(end + 1);
  }
  return records;
}

const dcs::KeyLayout& Layout() {
  static const dcs::KeyLayout* layout = new dcs::KeyLayout("/service/", "anchor");
  return *layout;
}

dcs::RawSnapshot SnapshotFromRecords(std::string_view data) {
  dcs::RawSnapshot snapshot;
  dcs::Version version = 1;
  for (auto& [key, value] : SplitRecords(data)) {
    dcs::RawEntry entry;
    entry.key = Layout().prefix() + key;
    entry.value = std::move(value);
    entry.version = version++;
    snapshot.entries.push_back(std::move(entry));
  }
  snapshot.revision = version;
  return snapshot;
}

void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::abort();
}

}  // namespace pgha::fuzz
