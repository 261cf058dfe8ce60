#include "ctl/table.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ctl/py_format.h"
#include "pgha/base/pycompat.h"
#include "pgha/base/utf8.h"

namespace pgha::ctl {
namespace {

// Code points, not bytes (prettytable measures with wcwidth, so wide and combining
// characters differ: docs/compatibility.md).
size_t Width(const std::string& s) { return DecodeUtf8(s).size(); }

// The first `n` characters of a UTF-8 string.
std::string Prefix(const std::string& s, size_t n) {
  std::u32string chars = DecodeUtf8(s);
  return chars.size() <= n ? s : EncodeUtf8(std::u32string_view(chars).substr(0, n));
}

std::string Justify(const std::string& text, size_t width, char align) {
  size_t w = Width(text);
  std::string pad(width > w ? width - w : 0, ' ');
  return align == 'r' ? pad + text : text + pad;
}

}  // namespace

bool PyTruthy(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return false;
    case Json::value_t::boolean:
      return value.get<bool>();
    case Json::value_t::string:
      return !value.get_ref<const std::string&>().empty();
    case Json::value_t::object:
    case Json::value_t::array:
      return !value.empty();
    case Json::value_t::number_float:
      return value.get<double>() != 0;
    case Json::value_t::number_unsigned:
      return value.get<uint64_t>() != 0;
    default:
      return value.get<int64_t>() != 0;
  }
}

std::string RenderPrettyTable(const std::vector<std::string>& columns,
                              const std::vector<std::vector<std::string>>& rows,
                              const std::vector<char>& alignment, const std::string& title) {
  std::vector<size_t> widths;
  for (const auto& c : columns) widths.push_back(Width(c));
  bool multiline = false;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      for (absl::string_view line : absl::StrSplit(row[i], '\n')) {
        widths[i] = std::max(widths[i], Width(std::string(line)));
      }
      multiline = multiline || row[i].find('\n') != std::string::npos;
    }
  }
  auto align = [&](size_t i) { return i < alignment.size() ? alignment[i] : 'l'; };
  std::string hrule = "+";
  for (size_t w : widths) hrule += std::string(w + 2, '-') + "+";

  std::string out;
  if (title.empty()) {
    out = hrule;
  } else {
    // PatronictlPrettyTable: the title replaces the start of the first rule, cut to fit.
    std::string head = Prefix(title, Width(hrule) >= 2 ? Width(hrule) - 2 : 0);
    out = "+" + head + hrule.substr(1 + Width(head));
  }
  out += "\n|";
  for (size_t i = 0; i < columns.size(); ++i)
    out += " " + Justify(columns[i], widths[i], align(i)) + " |";
  out += "\n" + hrule + "\n";
  for (const auto& row : rows) {
    std::vector<std::vector<std::string>> cells;
    size_t height = 1;
    for (size_t i = 0; i < columns.size(); ++i) {
      cells.push_back(absl::StrSplit(i < row.size() ? row[i] : std::string(), '\n'));
      height = std::max(height, cells.back().size());
    }
    for (size_t y = 0; y < height; ++y) {
      out += "|";
      for (size_t i = 0; i < columns.size(); ++i) {
        const std::string& line = y < cells[i].size() ? cells[i][y] : std::string();
        out += " " + Justify(line, widths[i], align(i)) + " |";
      }
      out += "\n";
    }
    if (multiline) out += hrule + "\n";
  }
  if (!multiline) out += hrule + "\n";
  return out;
}

std::string PrintOutput(Table table, const std::string& fmt, const std::string& delimiter) {
  if (fmt == "json" || fmt == "yaml" || fmt == "yml") {
    Json elements = Json::array();
    for (const auto& row : table.rows) {
      Json element = Json::object();
      for (size_t i = 0; i < row.size() && i < table.columns.size(); ++i) {
        if (table.title.empty() || !py::Str(row[i]).empty()) element[table.columns[i]] = row[i];
      }
      elements.push_back(std::move(element));
    }
    return (fmt == "json" ? py::JsonDumps(elements) : CtlYaml(elements)) + "\n";
  }
  if (fmt != "pretty" && fmt != "tsv" && fmt != "topology") return "";

  bool list_cluster =
      !table.title.empty() && !table.columns.empty() && table.columns[0] == "Cluster";
  auto tags = std::find(table.columns.begin(), table.columns.end(), "Tags");
  if (list_cluster && tags != table.columns.end()) {
    size_t i = tags - table.columns.begin();
    for (auto& row : table.rows) {
      if (i < row.size() && PyTruthy(row[i])) {
        std::string yaml = CtlYaml(row[i], fmt != "pretty");
        row[i] = std::string(absl::StripAsciiWhitespace(yaml));
      }
    }
  }
  if (list_cluster && fmt != "tsv") {
    table.columns.erase(table.columns.begin());
    for (auto& row : table.rows) {
      if (!row.empty()) row.erase(row.begin());
    }
  }

  std::vector<std::vector<std::string>> text_rows;
  for (const auto& row : table.rows) {
    std::vector<std::string> cells;
    for (const auto& cell : row) cells.push_back(py::Str(cell));
    text_rows.push_back(std::move(cells));
  }
  if (fmt == "tsv") {
    std::string out;
    if (!table.columns.empty()) out += absl::StrJoin(table.columns, delimiter) + "\n";
    for (const auto& row : text_rows) out += absl::StrJoin(row, delimiter) + "\n";
    return out;
  }
  std::vector<std::string> columns = table.columns;
  if (columns.empty() && !text_rows.empty()) {
    // prettytable names the fields itself when it was given none.
    for (size_t i = 0; i < text_rows.front().size(); ++i)
      columns.push_back("Field " + std::to_string(i + 1));
  }
  std::vector<char> alignment;
  for (const auto& c : columns) {
    auto it = table.alignment.find(c);
    alignment.push_back(it == table.alignment.end() ? 'l' : it->second);
  }
  return RenderPrettyTable(columns, text_rows, alignment, table.title);
}

}  // namespace pgha::ctl
