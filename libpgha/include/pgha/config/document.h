// A configuration document: the YAML tree as JSON, plus where every key and value came from.
//
// Loading keeps positions so that validation, which runs after files were merged and environment
// variables applied, can still point at the line that set a value.
#ifndef PGHA_CONFIG_DOCUMENT_H_
#define PGHA_CONFIG_DOCUMENT_H_

#include <map>
#include <string>
#include <vector>

#include "pgha/base/json.h"
#include "pgha/config/diagnostics.h"

namespace pgha::config {

// A path into the document: the keys (and, for lists, decimal indexes) from the root.
using KeyPath = std::vector<std::string>;

std::string DottedPath(const KeyPath& path);

struct ConfigDocument {
  Json root = Json::object();
  // Position of the key that introduced a path, and of the value stored there.
  std::map<KeyPath, SourcePos> key_pos;
  std::map<KeyPath, SourcePos> value_pos;
  // The files read, in order (for messages about the document as a whole).
  std::vector<std::string> files;

  // Best position for a message about `path`: its key, else its value, else the closest
  // ancestor, else the first file.
  SourcePos PosOf(const KeyPath& path) const;
  SourcePos ValuePosOf(const KeyPath& path) const;
};

// Parses YAML text into a document. Plain scalars get YAML 1.1 types as PyYAML (and so Patroni)
// gives them: on/off/yes/no are booleans, 0755 is octal, 1e3 is a string. Quoted scalars are
// strings. Syntax errors, duplicate keys and unterminated quotes become diagnostics.
// Returns false (with diagnostics) when the text cannot be used at all.
bool ParseYaml(const std::string& text, const std::string& file_name, ConfigDocument* doc,
               Diagnostics* diagnostics);

// Reads a file, or every *.yml / *.yaml file of a directory in name order, merging later files
// over earlier ones (mappings merge key by key; anything else is replaced), as Patroni does.
bool LoadYamlPath(const std::string& path, ConfigDocument* doc, Diagnostics* diagnostics);

// Deep-merges `patch` into `doc` (Patroni's patch_config without deletion): mappings merge,
// other values replace. Positions of `patch` win for the paths it sets.
void MergeDocument(const ConfigDocument& patch, ConfigDocument* doc);

}  // namespace pgha::config

#endif  // PGHA_CONFIG_DOCUMENT_H_
