// The shape of Patroni's configuration as data: which keys exist, their types and ranges.
// The validator walks a document against it. libpgha's own tables live in
// src/config/schema_tables.cc; a DCS backend builds the table of its section with the same
// builders and registers it (pgha/config/dcs_sections.h), so that a file is checked with one
// walk and one style of diagnostics (file:line:col, key path), whichever backends are linked.
// Installed for backend authors only (namespace internal): not a stable API across versions.
//
// Thread-safety: specs are immutable once built and may be shared between threads; a Validator
// is used by one thread.
#ifndef PGHA_CONFIG_SCHEMA_H_
#define PGHA_CONFIG_SCHEMA_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pgha/base/json.h"
#include "pgha/config/diagnostics.h"
#include "pgha/config/document.h"

namespace pgha::config::internal {

enum class Kind {
  kAny,        // anything, including null
  kMap,        // a mapping; an empty/null one is an error where the spec says so
  kList,       // a sequence
  kString,     // a string (numbers are accepted and read as text, like Python's str())
  kInt,        // an integer, or a string holding one (with `unit`, "10s"/"128MB" forms too)
  kBool,       // true/false (on/off/yes/no plain scalars resolve to booleans already)
  kNumber,     // int or float
  kScalar,     // string, number or bool
};

struct Spec;
using SpecPtr = std::shared_ptr<const Spec>;

class Validator;
// Extra checks on a value that passed its type check.
using Check = std::function<void(const Json& value, const KeyPath& path, Validator& v)>;
// For open mappings: the spec of a key that has no field, or null for "unknown key".
using OtherKeys = std::function<SpecPtr(const std::string& key, const Json& map)>;

struct Field {
  std::string name;
  SpecPtr spec;
  bool required = false;
  std::string deprecated;  // non-empty: warn with this text when present
};

struct Spec {
  Kind kind = Kind::kAny;
  std::vector<Field> fields;          // kMap
  OtherKeys other_keys;               // kMap; unset: unknown keys are warned about
  SpecPtr items;                      // kList
  std::optional<int64_t> min, max;    // kInt
  std::string unit;                   // kInt: base unit accepted as a suffix ("s", "MB")
  bool int_strict = false;            // kInt: a quoted number is a type error
  std::vector<std::string> one_of;    // kString/kScalar: allowed values
  bool nullable = false;              // null accepted (empty optional section)
  Check check;
};

// Spec builders: Map({Req("name", Str()), Opt("scope", Str())}) and so on.
SpecPtr Any();
SpecPtr Str(std::vector<std::string> one_of = {});
SpecPtr Int(std::optional<int64_t> min = std::nullopt, std::optional<int64_t> max = std::nullopt,
            std::string unit = "");
SpecPtr StrictInt(std::optional<int64_t> min = std::nullopt,
                  std::optional<int64_t> max = std::nullopt);
SpecPtr Bool();
SpecPtr Number();
SpecPtr Scalar();
SpecPtr ListOf(SpecPtr items);
SpecPtr Map(std::vector<Field> fields, OtherKeys other = nullptr);
SpecPtr OpenMap(SpecPtr values);  // every key allowed, values checked against `values`
SpecPtr WithCheck(SpecPtr spec, Check check);
SpecPtr Nullable(SpecPtr spec);
Field Req(std::string name, SpecPtr spec);
Field Opt(std::string name, SpecPtr spec);
Field Deprecated(std::string name, SpecPtr spec, std::string note);

class Validator {
 public:
  Validator(const ConfigDocument& doc, Diagnostics* diagnostics)
      : doc_(doc), diagnostics_(diagnostics) {}
  void Validate(const Json& value, const KeyPath& path, const Spec& spec);

  void Error(const KeyPath& path, const std::string& message, bool at_value = true);
  void Warning(const KeyPath& path, const std::string& message, bool at_value = true);
  const ConfigDocument& doc() const { return doc_; }

 private:
  void ValidateMap(const Json& value, const KeyPath& path, const Spec& spec);
  const ConfigDocument& doc_;
  Diagnostics* diagnostics_;
};

// Integer value of `value` under `spec`'s rules (int, numeric string, or number with unit).
std::optional<int64_t> ReadInt(const Json& value, const std::string& unit);

// Checks the DCS sections share (use them with WithCheck). Each reports an error at `path`;
// values of another type are left to the type check.
// "host:port" (ParseHostPort's rules; the port is required).
void CheckHostPort(const Json& value, const KeyPath& path, Validator& v);
// `hosts`: a list of host:port, or one comma-separated string of them.
void CheckHostList(const Json& value, const KeyPath& path, Validator& v);
// An http:// or https:// URL with a valid host (and optional port).
void CheckUrl(const Json& value, const KeyPath& path, Validator& v);

}  // namespace pgha::config::internal

#endif  // PGHA_CONFIG_SCHEMA_H_
