// patronictl's print_output: one table of rows in the formats `-f` selects (pretty, tsv, json,
// yaml) and the bordered table PatronictlPrettyTable draws (prettytable with the cluster title
// written into the top border).
//
// Thread-safety: pure functions.
#ifndef PGHA_CTL_TABLE_H_
#define PGHA_CTL_TABLE_H_

#include <map>
#include <string>
#include <vector>

#include "pgha/base/json.h"

namespace pgha::ctl {

// A row holds the Python values patronictl put in it: strings, ints, "" for an empty cell, and
// for the Tags column a mapping. Cells print with Python's str().
using Row = std::vector<Json>;

struct Table {
  std::vector<std::string> columns;  // may be empty (query error rows carry no header)
  std::vector<Row> rows;
  std::map<std::string, char> alignment;  // column -> 'l' or 'r'; columns not listed align left
  // Text written into the top border (" Cluster: demo "); "" for none. A table with a title is
  // a member list: json/yaml drop empty cells and pretty output hides the Cluster column.
  std::string title;
};

// Everything print_output writes for `fmt`, including the final newline(s) click.echo adds. An
// unknown format prints nothing, as in patronictl.
std::string PrintOutput(Table table, const std::string& fmt, const std::string& delimiter = "\t");

// The bordered table: widths fit the widest cell line, multi-line cells get a rule after every
// row (prettytable's hrules=ALL), others only a frame.
std::string RenderPrettyTable(const std::vector<std::string>& columns,
                              const std::vector<std::vector<std::string>>& rows,
                              const std::vector<char>& alignment, const std::string& title);

// Python truthiness of a JSON-decoded value ("", 0, {}, [] and None are false).
bool PyTruthy(const Json& value);

}  // namespace pgha::ctl

#endif  // PGHA_CTL_TABLE_H_
