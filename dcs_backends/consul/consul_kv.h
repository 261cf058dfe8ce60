// Consul's KV wire format: entries (base64 values, indexes, the lock session), key paths, and
// /v1/txn requests and answers.
#ifndef PGHA_BACKENDS_CONSUL_CONSUL_KV_H_
#define PGHA_BACKENDS_CONSUL_CONSUL_KV_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "consul_http.h"

namespace pgha::backends::consul {

struct KvEntry {
  std::string key;  // as Consul spells it (no leading '/')
  std::string value;
  int64_t create_index = 0;
  int64_t modify_index = 0;
  int64_t lock_index = 0;
  std::string session;  // the lock holder; "" when not locked
};

// The SPI's "/service/x/leader" is Consul's "service/x/leader" (Consul keys have no leading
// slash; Patroni strips it too) and back.
std::string ToConsulKey(const std::string& key);
std::string FromConsulKey(const std::string& key);

// A GET /v1/kv answer: a JSON array of entries.
absl::StatusOr<std::vector<KvEntry>> ParseEntries(const std::string& body);

// One KV operation of a transaction (Consul verbs: "set", "cas", "lock", "delete",
// "check-index", "check-not-exists", ...). `index` is the ModifyIndex for cas/check-index.
struct TxnOp {
  TxnOp(std::string verb_, std::string key_, std::string value_ = "", int64_t index_ = 0)
      : verb(std::move(verb_)), key(std::move(key_)), value(std::move(value_)), index(index_) {}
  std::string verb;
  std::string key;
  std::string value;
  int64_t index = 0;
  std::string session;
};
std::string EncodeTxn(const std::vector<TxnOp>& ops);

struct TxnOutcome {
  bool committed = false;
  std::vector<KvEntry> results;     // committed: one per op that returns an entry (no values)
  std::vector<std::string> errors;  // rolled back: why, per failing op
  bool Mentions(const std::string& text) const;  // any error contains `text`, ignoring case
};
// Interprets a /v1/txn answer: 200 committed, 409 rolled back; anything else is an error status.
absl::StatusOr<TxnOutcome> ParseTxnResponse(const HttpResponse& response);

// The ModifyIndex of the last result for `key` (the entry a write produced), 0 if none.
int64_t ResultIndex(const TxnOutcome& outcome, const std::string& key);

}  // namespace pgha::backends::consul

#endif  // PGHA_BACKENDS_CONSUL_CONSUL_KV_H_
