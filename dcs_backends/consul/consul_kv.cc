#include "consul_kv.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "pgha/base/json.h"

namespace pgha::backends::consul {
namespace {

int64_t IntField(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer()) return 0;
  return it->get<int64_t>();
}

std::string StringField(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

absl::StatusOr<KvEntry> ParseEntry(const Json& j) {
  if (!j.is_object()) return absl::InternalError("consul: a KV entry is not a JSON object");
  KvEntry e;
  e.key = StringField(j, "Key");
  e.create_index = IntField(j, "CreateIndex");
  e.modify_index = IntField(j, "ModifyIndex");
  e.lock_index = IntField(j, "LockIndex");
  e.session = StringField(j, "Session");
  // An empty value comes back as null.
  std::string encoded = StringField(j, "Value");
  if (!encoded.empty() && !absl::Base64Unescape(encoded, &e.value)) {
    return absl::InternalError(absl::StrCat("consul: the value of ", e.key, " is not base64"));
  }
  return e;
}

}  // namespace

std::string ToConsulKey(const std::string& key) {
  size_t start = key.find_first_not_of('/');
  return start == std::string::npos ? "" : key.substr(start);
}

std::string FromConsulKey(const std::string& key) { return "/" + key; }

absl::StatusOr<std::vector<KvEntry>> ParseEntries(const std::string& body) {
  Json j = ParseUntrustedJson(body);
  if (j.is_discarded() || !(j.is_array() || j.is_null())) {
    return absl::InternalError("consul: the KV answer is not a JSON array");
  }
  std::vector<KvEntry> entries;
  if (j.is_null()) return entries;
  entries.reserve(j.size());
  for (const Json& item : j) {
    absl::StatusOr<KvEntry> e = ParseEntry(item);
    if (!e.ok()) return e.status();
    entries.push_back(std::move(*e));
  }
  return entries;
}

std::string EncodeTxn(const std::vector<TxnOp>& ops) {
  Json array = Json::array();
  for (const TxnOp& op : ops) {
    Json kv = {{"Verb", op.verb}, {"Key", op.key}};
    if (!op.value.empty()) kv["Value"] = absl::Base64Escape(op.value);
    if (op.index != 0) kv["Index"] = op.index;
    if (!op.session.empty()) kv["Session"] = op.session;
    array.push_back(Json{{"KV", std::move(kv)}});
  }
  return array.dump();
}

bool TxnOutcome::Mentions(const std::string& text) const {
  const std::string needle = absl::AsciiStrToLower(text);
  for (const std::string& e : errors) {
    if (absl::StrContains(absl::AsciiStrToLower(e), needle)) return true;
  }
  return false;
}

absl::StatusOr<TxnOutcome> ParseTxnResponse(const HttpResponse& response) {
  if (response.status != 200 && response.status != 409) {
    return StatusFromResponse("consul txn", response);
  }
  Json j = ParseUntrustedJson(response.body);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InternalError("consul txn: the answer is not a JSON object");
  }
  TxnOutcome out;
  out.committed = response.status == 200;
  if (auto it = j.find("Results"); it != j.end() && it->is_array()) {
    for (const Json& r : *it) {
      auto kv = r.find("KV");
      if (kv == r.end()) continue;
      absl::StatusOr<KvEntry> e = ParseEntry(*kv);
      if (!e.ok()) return e.status();
      out.results.push_back(std::move(*e));
    }
  }
  if (auto it = j.find("Errors"); it != j.end() && it->is_array()) {
    for (const Json& e : *it) out.errors.push_back(StringField(e, "What"));
  }
  if (!out.committed && out.errors.empty()) out.errors.push_back("rolled back");
  return out;
}

int64_t ResultIndex(const TxnOutcome& outcome, const std::string& key) {
  int64_t index = 0;
  for (const KvEntry& e : outcome.results) {
    if (e.key == key) index = e.modify_index;
  }
  return index;
}

}  // namespace pgha::backends::consul
