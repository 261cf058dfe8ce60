#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pgha/config/document.h"
#include "pgha/base/pycompat_yaml.h"

namespace pgha::config {
namespace {

namespace fs = std::filesystem;

SourcePos PosFromMark(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return SourcePos{file, 0, 0};
  return SourcePos{file, mark.line + 1, mark.column + 1};
}

// yaml-cpp accepts a quoted scalar that runs to the end of the input; PyYAML does not.
bool QuotedScalarIsClosed(const std::string& text, int pos) {
  if (pos < 0 || static_cast<size_t>(pos) >= text.size()) return true;
  char quote = text[pos];
  if (quote != '"' && quote != '\'') return true;
  for (size_t i = pos + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is an escaped quote inside single quotes
      } else {
        return true;
      }
    }
  }
  return false;
}

// Limits on what one configuration file may expand to. Aliases are shared inside yaml-cpp but
// copied by the conversion, so a 1 KB file of nested aliases (a "billion laughs") would expand
// without end: the conversion counts what it produces and stops with a clear error.
constexpr size_t kMaxYamlBytes = 4 << 20;
constexpr size_t kMaxYamlValues = 200000;
constexpr size_t kMaxYamlDepth = 64;

class Converter {
 public:
  Converter(const std::string& text, const std::string& file, ConfigDocument* doc,
            Diagnostics* diagnostics)
      : text_(text), file_(file), doc_(doc), diagnostics_(diagnostics) {}

  Json Convert(const YAML::Node& node, const KeyPath& path) {
    if (over_limit_) return Json(nullptr);
    if (++values_ > kMaxYamlValues || path.size() > kMaxYamlDepth) {
      over_limit_ = true;
      diagnostics_->Error(PosFromMark(file_, node.Mark()), DottedPath(path),
                          values_ > kMaxYamlValues
                              ? absl::StrCat("the file expands to more than ", kMaxYamlValues,
                                             " values (aliases included): refused")
                              : absl::StrCat("nested deeper than ", kMaxYamlDepth, " levels: refused"));
      return Json(nullptr);
    }
    doc_->value_pos[path] = PosFromMark(file_, node.Mark());
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return Json(nullptr);
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, path);
      case YAML::NodeType::Sequence: {
        Json out = Json::array();
        int index = 0;
        for (const auto& item : node) {
          KeyPath child = path;
          child.push_back(std::to_string(index++));
          out.push_back(Convert(item, child));
        }
        return out;
      }
      case YAML::NodeType::Map:
        return ConvertMap(node, path);
    }
    return Json(nullptr);
  }

 private:
  Json ConvertScalar(const YAML::Node& node, const KeyPath& path) {
    const std::string& value = node.Scalar();
    const std::string& tag = node.Tag();
    if (tag == "!") {  // quoted
      if (!QuotedScalarIsClosed(text_, node.Mark().pos)) {
        diagnostics_->Error(PosFromMark(file_, node.Mark()), DottedPath(path),
                            "unterminated quoted string");
      }
      return Json(value);
    }
    if (tag == "tag:yaml.org,2002:str") return Json(value);
    Json resolved = PlainScalar(node, path);
    if (tag == "tag:yaml.org,2002:int" && !resolved.is_number_integer()) {
      diagnostics_->Error(PosFromMark(file_, node.Mark()), DottedPath(path),
                          absl::StrCat("'", value, "' is not an integer"));
    }
    return resolved;
  }

  // The value PyYAML's SafeLoader builds. Where it would refuse the file (`key: =`, `0x_`, a
  // date that does not exist) the error names the key; an integer beyond 64 bits and a
  // timestamp stay text (no setting takes either); NaN and infinities are refused (no setting
  // takes one, and JSON has no spelling for them).
  Json PlainScalar(const YAML::Node& node, const KeyPath& path) {
    const std::string& value = node.Scalar();
    absl::StatusOr<Json> loaded = py::LoadYamlScalar(value);
    if (loaded.ok() && loaded->is_number_float() && !std::isfinite(loaded->get<double>())) {
      diagnostics_->Error(PosFromMark(file_, node.Mark()), DottedPath(path),
                          absl::StrCat("'", value.size() > 40 ? value.substr(0, 40) + "..." : value,
                                       "' is not a finite number: no setting takes one"));
      return Json(value);
    }
    if (loaded.ok()) return *std::move(loaded);
    if (loaded.status().code() != absl::StatusCode::kOutOfRange) {
      diagnostics_->Error(PosFromMark(file_, node.Mark()), DottedPath(path),
                          absl::StrCat(loaded.status().message(), " (quote it to keep it text)"));
    }
    return Json(value);
  }

  Json ConvertMap(const YAML::Node& node, const KeyPath& path) {
    Json out = Json::object();
    std::map<std::string, SourcePos> seen;
    for (const auto& kv : node) {
      const YAML::Node& key = kv.first;
      SourcePos key_pos = PosFromMark(file_, key.Mark());
      if (!key.IsScalar()) {
        diagnostics_->Error(key_pos, DottedPath(path), "mapping keys must be plain strings");
        continue;
      }
      // Keys are strings in Patroni's model; PyYAML would make `1:` an int key, which no
      // Patroni setting uses.
      std::string name = key.Scalar();
      auto [it, inserted] = seen.emplace(name, key_pos);
      KeyPath child = path;
      child.push_back(name);
      if (!inserted) {
        diagnostics_->Error(key_pos, DottedPath(child),
                            absl::StrCat("duplicate key (first defined at line ", it->second.line,
                                         "); YAML loaders silently keep only one of them"));
        continue;
      }
      doc_->key_pos[child] = key_pos;
      out[name] = Convert(kv.second, child);
    }
    return out;
  }

  const std::string& text_;
  const std::string& file_;
  ConfigDocument* doc_;
  Diagnostics* diagnostics_;
  size_t values_ = 0;
  bool over_limit_ = false;
};

void ErasePositionsUnder(const KeyPath& prefix, std::map<KeyPath, SourcePos>* positions) {
  auto it = positions->lower_bound(prefix);
  while (it != positions->end() && it->first.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), it->first.begin())) {
    it = positions->erase(it);
  }
}

void CopyPositionsUnder(const KeyPath& prefix, const std::map<KeyPath, SourcePos>& from,
                        std::map<KeyPath, SourcePos>* to) {
  for (auto it = from.lower_bound(prefix); it != from.end(); ++it) {
    if (it->first.size() < prefix.size() ||
        !std::equal(prefix.begin(), prefix.end(), it->first.begin())) {
      break;
    }
    (*to)[it->first] = it->second;
  }
}

void MergeInto(const Json& patch, const KeyPath& path, const ConfigDocument& patch_doc,
               Json* target, ConfigDocument* doc) {
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    KeyPath child = path;
    child.push_back(it.key());
    if (it.value().is_object() && target->contains(it.key()) &&
        (*target)[it.key()].is_object()) {
      if (auto p = patch_doc.key_pos.find(child); p != patch_doc.key_pos.end()) {
        doc->key_pos[child] = p->second;
      }
      MergeInto(it.value(), child, patch_doc, &(*target)[it.key()], doc);
    } else {
      ErasePositionsUnder(child, &doc->key_pos);
      ErasePositionsUnder(child, &doc->value_pos);
      CopyPositionsUnder(child, patch_doc.key_pos, &doc->key_pos);
      CopyPositionsUnder(child, patch_doc.value_pos, &doc->value_pos);
      (*target)[it.key()] = it.value();
    }
  }
}

}  // namespace

std::string DottedPath(const KeyPath& path) { return absl::StrJoin(path, "."); }

SourcePos ConfigDocument::PosOf(const KeyPath& path) const {
  for (KeyPath p = path;; p.pop_back()) {
    if (auto it = key_pos.find(p); it != key_pos.end()) return it->second;
    if (auto it = value_pos.find(p); it != value_pos.end()) return it->second;
    if (p.empty()) break;
  }
  return SourcePos{files.empty() ? "" : files.front(), 1, 1};
}

SourcePos ConfigDocument::ValuePosOf(const KeyPath& path) const {
  if (auto it = value_pos.find(path); it != value_pos.end() && it->second.line > 0) {
    return it->second;
  }
  return PosOf(path);
}

bool ParseYaml(const std::string& text, const std::string& file_name, ConfigDocument* doc,
               Diagnostics* diagnostics) {
  if (text.size() > kMaxYamlBytes) {
    diagnostics->Error(SourcePos{file_name, 1, 1}, "",
                       absl::StrCat("the file is larger than ", kMaxYamlBytes >> 20, " MiB: refused"));
    return false;
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    diagnostics->Error(PosFromMark(file_name, e.mark), "", absl::StrCat("YAML syntax error: ", e.msg));
    return false;
  } catch (const YAML::Exception& e) {
    diagnostics->Error(PosFromMark(file_name, e.mark), "", absl::StrCat("cannot read YAML: ", e.msg));
    return false;
  }
  doc->files.push_back(file_name);
  Diagnostics local;
  Converter converter(text, file_name, doc, &local);
  Json value;
  try {
    value = converter.Convert(root, {});
  } catch (const YAML::Exception& e) {
    diagnostics->Error(PosFromMark(file_name, e.mark), "", absl::StrCat("cannot read YAML: ", e.msg));
    return false;
  }
  diagnostics->Append(local);
  if (!value.is_object()) {
    diagnostics->Error(SourcePos{file_name, 1, 1}, "",
                       value.is_null() ? "the file is empty: expected a mapping of settings"
                                       : "the top level must be a mapping of settings");
    return false;
  }
  doc->root = std::move(value);
  return true;
}

bool LoadYamlPath(const std::string& path, ConfigDocument* doc, Diagnostics* diagnostics) {
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      std::string name = entry.path().filename().string();
      bool yaml = (name.size() > 4 && name.compare(name.size() - 4, 4, ".yml") == 0) ||
                  (name.size() > 5 && name.compare(name.size() - 5, 5, ".yaml") == 0);
      if (yaml && entry.is_regular_file(ec)) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      diagnostics->Error(SourcePos{path, 0, 0}, "", "directory contains no .yml or .yaml files");
      return false;
    }
  } else if (fs::is_regular_file(path, ec)) {
    files.push_back(path);
  } else {
    diagnostics->Error(SourcePos{path, 0, 0}, "",
                       fs::exists(path, ec) ? "is neither a file nor a directory"
                                            : "no such file or directory");
    return false;
  }
  bool ok = true;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      diagnostics->Error(SourcePos{file, 0, 0}, "", "cannot be read (permission denied?)");
      ok = false;
      continue;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    ConfigDocument part;
    if (!ParseYaml(buffer.str(), file, &part, diagnostics)) {
      ok = false;
      continue;
    }
    if (doc->root.empty() && doc->files.empty()) {
      *doc = std::move(part);
    } else {
      MergeDocument(part, doc);
    }
  }
  return ok;
}

void MergeDocument(const ConfigDocument& patch, ConfigDocument* doc) {
  MergeInto(patch.root, {}, patch, &doc->root, doc);
  doc->files.insert(doc->files.end(), patch.files.begin(), patch.files.end());
}

}  // namespace pgha::config
