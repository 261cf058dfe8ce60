#include "pgha/config/schema.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pgha::config::internal {
namespace {

std::shared_ptr<Spec> Make(Kind kind) {
  auto s = std::make_shared<Spec>();
  s->kind = kind;
  return s;
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kAny:
      return "any value";
    case Kind::kMap:
      return "a mapping";
    case Kind::kList:
      return "a list";
    case Kind::kString:
      return "a string";
    case Kind::kInt:
      return "an integer";
    case Kind::kBool:
      return "a boolean (true/false)";
    case Kind::kNumber:
      return "a number";
    case Kind::kScalar:
      return "a single value";
  }
  return "a value";
}

std::string Describe(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "nothing (null)";
    case Json::value_t::object:
      return "a mapping";
    case Json::value_t::array:
      return "a list";
    case Json::value_t::string:
      return absl::StrCat("the string '", v.get<std::string>(), "'");
    case Json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    default:
      return v.dump();
  }
}

// Units PostgreSQL and Patroni accept, converted into the spec's base unit.
std::optional<int64_t> ConvertUnit(int64_t number, const std::string& from, const std::string& to) {
  static const std::vector<std::pair<std::string, int64_t>> kTime = {
      {"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000}};
  static const std::vector<std::pair<std::string, int64_t>> kSize = {
      {"B", 1}, {"kB", 1 << 10}, {"MB", 1 << 20}, {"GB", int64_t{1} << 30},
      {"TB", int64_t{1} << 40}};
  for (const auto* table : {&kTime, &kSize}) {
    int64_t from_factor = 0;
    int64_t to_factor = 0;
    for (const auto& [name, factor] : *table) {
      if (name == from) from_factor = factor;
      if (name == to) to_factor = factor;
    }
    if (from_factor != 0 && to_factor != 0) return number * from_factor / to_factor;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> ReadInt(const Json& value, const std::string& unit) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    double d = value.get<double>();
    // Outside int64's range the cast is undefined behaviour: not an integer we can use.
    if (!(d > -9.2e18 && d < 9.2e18)) return std::nullopt;
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
    return std::nullopt;
  }
  if (!value.is_string()) return std::nullopt;
  std::string text(absl::StripAsciiWhitespace(value.get<std::string>()));
  size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
  int64_t number = 0;
  if (!absl::SimpleAtoi(text.substr(0, i), &number)) return std::nullopt;
  std::string suffix(absl::StripAsciiWhitespace(text.substr(i)));
  if (suffix.empty()) return number;
  if (unit.empty()) return std::nullopt;
  return ConvertUnit(number, suffix, unit);
}

SpecPtr Any() {
  auto s = Make(Kind::kAny);
  s->nullable = true;
  return s;
}
SpecPtr Str(std::vector<std::string> one_of) {
  auto s = Make(Kind::kString);
  s->one_of = std::move(one_of);
  return s;
}
SpecPtr Int(std::optional<int64_t> min, std::optional<int64_t> max, std::string unit) {
  auto s = Make(Kind::kInt);
  s->min = min;
  s->max = max;
  s->unit = std::move(unit);
  return s;
}
SpecPtr StrictInt(std::optional<int64_t> min, std::optional<int64_t> max) {
  auto s = Make(Kind::kInt);
  s->min = min;
  s->max = max;
  s->int_strict = true;
  return s;
}
SpecPtr Bool() { return Make(Kind::kBool); }
SpecPtr Number() { return Make(Kind::kNumber); }
SpecPtr Scalar() { return Make(Kind::kScalar); }
SpecPtr ListOf(SpecPtr items) {
  auto s = Make(Kind::kList);
  s->items = std::move(items);
  return s;
}
SpecPtr Map(std::vector<Field> fields, OtherKeys other) {
  auto s = Make(Kind::kMap);
  s->fields = std::move(fields);
  s->other_keys = std::move(other);
  return s;
}
SpecPtr OpenMap(SpecPtr values) {
  return Map({}, [values](const std::string&, const Json&) { return values; });
}
SpecPtr WithCheck(SpecPtr spec, Check check) {
  auto s = std::make_shared<Spec>(*spec);
  Check previous = s->check;
  s->check = [previous, check](const Json& value, const KeyPath& path, Validator& v) {
    if (previous) previous(value, path, v);
    check(value, path, v);
  };
  return s;
}
SpecPtr Nullable(SpecPtr spec) {
  auto s = std::make_shared<Spec>(*spec);
  s->nullable = true;
  return s;
}
Field Req(std::string name, SpecPtr spec) { return Field{std::move(name), std::move(spec), true}; }
Field Opt(std::string name, SpecPtr spec) { return Field{std::move(name), std::move(spec), false}; }
Field Deprecated(std::string name, SpecPtr spec, std::string note) {
  return Field{std::move(name), std::move(spec), false, std::move(note)};
}

void Validator::Error(const KeyPath& path, const std::string& message, bool at_value) {
  diagnostics_->Error(at_value ? doc_.ValuePosOf(path) : doc_.PosOf(path), DottedPath(path),
                      message);
}

void Validator::Warning(const KeyPath& path, const std::string& message, bool at_value) {
  diagnostics_->Warning(at_value ? doc_.ValuePosOf(path) : doc_.PosOf(path), DottedPath(path),
                        message);
}

void Validator::Validate(const Json& value, const KeyPath& path, const Spec& spec) {
  if (value.is_null()) {
    if (spec.nullable || spec.kind == Kind::kAny) return;
    if (spec.kind == Kind::kMap) {
      Error(path, "is empty: expected a mapping of settings");
    } else {
      Error(path, absl::StrCat("has no value: expected ", KindName(spec.kind)));
    }
    return;
  }
  switch (spec.kind) {
    case Kind::kAny:
      break;
    case Kind::kMap:
      if (!value.is_object()) {
        Error(path, absl::StrCat("expected a mapping, got ", Describe(value)));
        return;
      }
      ValidateMap(value, path, spec);
      break;
    case Kind::kList:
      if (!value.is_array()) {
        Error(path, absl::StrCat("expected a list, got ", Describe(value)));
        return;
      }
      if (spec.items) {
        for (size_t i = 0; i < value.size(); ++i) {
          KeyPath child = path;
          child.push_back(std::to_string(i));
          Validate(value[i], child, *spec.items);
        }
      }
      break;
    case Kind::kString:
    case Kind::kScalar: {
      if (value.is_object() || value.is_array() ||
          (spec.kind == Kind::kString && value.is_boolean())) {
        Error(path, absl::StrCat("expected ", KindName(spec.kind), ", got ", Describe(value)));
        return;
      }
      if (!spec.one_of.empty()) {
        std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        bool found = false;
        for (const auto& allowed : spec.one_of) found = found || allowed == text;
        if (!found) {
          Error(path, absl::StrCat("'", text, "' is not one of: ", absl::StrJoin(spec.one_of, ", ")));
          return;
        }
      }
      break;
    }
    case Kind::kInt: {
      if (spec.int_strict && !value.is_number_integer()) {
        Error(path, absl::StrCat("expected an integer, got ", Describe(value)));
        return;
      }
      std::optional<int64_t> number = value.is_boolean() ? std::nullopt : ReadInt(value, spec.unit);
      if (!number) {
        Error(path, absl::StrCat("expected an integer", spec.unit.empty() ? "" : " (with an optional unit)",
                                 ", got ", Describe(value)));
        return;
      }
      if (spec.min && *number < *spec.min) {
        Error(path, absl::StrCat("value ", *number, " is below the minimum ", *spec.min));
        return;
      }
      if (spec.max && *number > *spec.max) {
        Error(path, absl::StrCat("value ", *number, " is above the maximum ", *spec.max));
        return;
      }
      break;
    }
    case Kind::kBool:
      if (!value.is_boolean()) {
        // Patroni reads 'true'/'false' strings as booleans too (parse_bool).
        if (value.is_string()) {
          std::string lower = absl::AsciiStrToLower(value.get<std::string>());
          if (lower == "true" || lower == "false" || lower == "on" || lower == "off" ||
              lower == "yes" || lower == "no" || lower == "1" || lower == "0") {
            break;
          }
        }
        Error(path, absl::StrCat("expected a boolean (true/false), got ", Describe(value)));
        return;
      }
      break;
    case Kind::kNumber:
      if (!value.is_number() && !(value.is_string() && ReadInt(value, "").has_value())) {
        Error(path, absl::StrCat("expected a number, got ", Describe(value)));
        return;
      }
      break;
  }
  if (spec.check) spec.check(value, path, *this);
}

void Validator::ValidateMap(const Json& value, const KeyPath& path, const Spec& spec) {
  std::set<std::string> known;
  for (const Field& field : spec.fields) {
    known.insert(field.name);
    KeyPath child = path;
    child.push_back(field.name);
    if (!value.contains(field.name)) {
      if (field.required) {
        diagnostics_->Error(doc_.PosOf(path), DottedPath(child), "required setting is missing");
      }
      continue;
    }
    if (!field.deprecated.empty()) Warning(child, field.deprecated, false);
    Validate(value[field.name], child, *field.spec);
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (known.count(it.key()) != 0) continue;
    KeyPath child = path;
    child.push_back(it.key());
    SpecPtr other = spec.other_keys ? spec.other_keys(it.key(), value) : nullptr;
    if (!other) {
      Warning(child, "unknown setting (ignored)", false);
      continue;
    }
    Validate(it.value(), child, *other);
  }
}

}  // namespace pgha::config::internal
