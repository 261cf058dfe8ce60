#include "ctl/unified_diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pgha::ctl {
namespace {

struct Match {
  int a, b, size;
};

struct Opcode {
  char tag;  // 'r'eplace, 'd'elete, 'i'nsert, 'e'qual
  int i1, i2, j1, j2;
};

// difflib.SequenceMatcher(None, a, b) with autojunk: no junk function, but in a sequence of 200
// or more lines the lines occurring more than 1% + 1 times are "popular" and never start a match.
class SequenceMatcher {
 public:
  SequenceMatcher(const std::vector<std::string>& a, const std::vector<std::string>& b)
      : a_(a), b_(b) {
    for (int j = 0; j < static_cast<int>(b.size()); ++j) b2j_[b[j]].push_back(j);
    int n = static_cast<int>(b.size());
    if (n >= 200) {
      size_t ntest = n / 100 + 1;
      for (auto it = b2j_.begin(); it != b2j_.end();) {
        it = it->second.size() > ntest ? b2j_.erase(it) : std::next(it);
      }
    }
  }

  Match FindLongestMatch(int alo, int ahi, int blo, int bhi) const {
    int besti = alo, bestj = blo, bestsize = 0;
    std::map<int, int> j2len;
    static const std::vector<int> kNothing;
    for (int i = alo; i < ahi; ++i) {
      std::map<int, int> newj2len;
      auto found = b2j_.find(a_[i]);
      const std::vector<int>& js = found == b2j_.end() ? kNothing : found->second;
      for (int j : js) {
        if (j < blo) continue;
        if (j >= bhi) break;
        auto prev = j2len.find(j - 1);
        int k = newj2len[j] = (prev == j2len.end() ? 0 : prev->second) + 1;
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
      j2len = std::move(newj2len);
    }
    // No junk here, so the extensions over equal non-junk elements are the only ones that apply.
    while (besti > alo && bestj > blo && a_[besti - 1] == b_[bestj - 1]) {
      --besti;
      --bestj;
      ++bestsize;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi &&
           a_[besti + bestsize] == b_[bestj + bestsize]) {
      ++bestsize;
    }
    return {besti, bestj, bestsize};
  }

  std::vector<Match> MatchingBlocks() const {
    int la = static_cast<int>(a_.size()), lb = static_cast<int>(b_.size());
    std::vector<std::tuple<int, int, int, int>> queue = {{0, la, 0, lb}};
    std::vector<Match> blocks;
    while (!queue.empty()) {
      auto [alo, ahi, blo, bhi] = queue.back();
      queue.pop_back();
      Match m = FindLongestMatch(alo, ahi, blo, bhi);
      if (m.size == 0) continue;
      blocks.push_back(m);
      if (alo < m.a && blo < m.b) queue.emplace_back(alo, m.a, blo, m.b);
      if (m.a + m.size < ahi && m.b + m.size < bhi)
        queue.emplace_back(m.a + m.size, ahi, m.b + m.size, bhi);
    }
    std::sort(blocks.begin(), blocks.end(), [](const Match& x, const Match& y) {
      return std::tie(x.a, x.b, x.size) < std::tie(y.a, y.b, y.size);
    });
    std::vector<Match> merged;
    Match cur{0, 0, 0};
    for (const Match& m : blocks) {
      if (cur.a + cur.size == m.a && cur.b + cur.size == m.b) {
        cur.size += m.size;
      } else {
        if (cur.size) merged.push_back(cur);
        cur = m;
      }
    }
    if (cur.size) merged.push_back(cur);
    merged.push_back({la, lb, 0});
    return merged;
  }

  std::vector<Opcode> Opcodes() const {
    std::vector<Opcode> codes;
    int i = 0, j = 0;
    for (const Match& m : MatchingBlocks()) {
      char tag = 0;
      if (i < m.a && j < m.b) {
        tag = 'r';
      } else if (i < m.a) {
        tag = 'd';
      } else if (j < m.b) {
        tag = 'i';
      }
      if (tag) codes.push_back({tag, i, m.a, j, m.b});
      i = m.a + m.size;
      j = m.b + m.size;
      if (m.size) codes.push_back({'e', m.a, i, m.b, j});
    }
    return codes;
  }

  std::vector<std::vector<Opcode>> GroupedOpcodes(int n) const {
    std::vector<Opcode> codes = Opcodes();
    if (codes.empty()) codes.push_back({'e', 0, 1, 0, 1});
    if (codes.front().tag == 'e') {
      Opcode& c = codes.front();
      c.i1 = std::max(c.i1, c.i2 - n);
      c.j1 = std::max(c.j1, c.j2 - n);
    }
    if (codes.back().tag == 'e') {
      Opcode& c = codes.back();
      c.i2 = std::min(c.i2, c.i1 + n);
      c.j2 = std::min(c.j2, c.j1 + n);
    }
    std::vector<std::vector<Opcode>> groups;
    std::vector<Opcode> group;
    for (Opcode c : codes) {
      if (c.tag == 'e' && c.i2 - c.i1 > 2 * n) {
        group.push_back({'e', c.i1, std::min(c.i2, c.i1 + n), c.j1, std::min(c.j2, c.j1 + n)});
        groups.push_back(std::move(group));
        group.clear();
        c.i1 = std::max(c.i1, c.i2 - n);
        c.j1 = std::max(c.j1, c.j2 - n);
      }
      group.push_back(c);
    }
    if (!group.empty() && !(group.size() == 1 && group[0].tag == 'e'))
      groups.push_back(std::move(group));
    return groups;
  }

 private:
  const std::vector<std::string>& a_;
  const std::vector<std::string>& b_;
  std::map<std::string, std::vector<int>> b2j_;
};

std::string FormatRange(int start, int stop) {
  int beginning = start + 1;
  int length = stop - start;
  if (length == 1) return absl::StrCat(beginning);
  if (length == 0) --beginning;
  return absl::StrCat(beginning, ",", length);
}

std::vector<std::string> Listify(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
  return absl::StrSplit(trimmed, '\n');
}

}  // namespace

std::vector<std::string> UnifiedDiff(const std::vector<std::string>& a,
                                     const std::vector<std::string>& b, int context) {
  std::vector<std::string> out;
  SequenceMatcher matcher(a, b);
  for (const auto& group : matcher.GroupedOpcodes(context)) {
    if (out.empty()) {
      out.push_back("--- ");
      out.push_back("+++ ");
    }
    out.push_back(absl::StrCat("@@ -", FormatRange(group.front().i1, group.back().i2), " +",
                               FormatRange(group.front().j1, group.back().j2), " @@"));
    for (const Opcode& c : group) {
      if (c.tag == 'e') {
        for (int i = c.i1; i < c.i2; ++i) out.push_back(" " + a[i]);
        continue;
      }
      if (c.tag == 'r' || c.tag == 'd') {
        for (int i = c.i1; i < c.i2; ++i) out.push_back("-" + a[i]);
      }
      if (c.tag == 'r' || c.tag == 'i') {
        for (int j = c.j1; j < c.j2; ++j) out.push_back("+" + b[j]);
      }
    }
  }
  return out;
}

std::string ConfigDiff(const std::string& before, const std::string& after) {
  std::string out;
  for (const auto& line : UnifiedDiff(Listify(before), Listify(after))) out += line + "\n";
  return out;
}

}  // namespace pgha::ctl
