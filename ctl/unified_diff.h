// The diff `edit-config` shows before asking "Apply these changes?": Python's
// difflib.unified_diff over the YAML lines, with its hunk choice (SequenceMatcher's longest
// matching blocks, 3 lines of context), so the output is the one patronictl prints.
//
// Thread-safety: pure functions.
#ifndef PGHA_CTL_UNIFIED_DIFF_H_
#define PGHA_CTL_UNIFIED_DIFF_H_

#include <string>
#include <vector>

namespace pgha::ctl {

// difflib.unified_diff(a, b, n=context) with empty file names: "--- ", "+++ ", "@@ ... @@" and
// the lines, each without its line terminator. Empty when a == b.
std::vector<std::string> UnifiedDiff(const std::vector<std::string>& a,
                                     const std::vector<std::string>& b, int context = 3);

// patronictl's show_diff without a terminal: both texts split into lines (trailing newlines
// ignored), diffed, one output line each, newline-terminated.
std::string ConfigDiff(const std::string& before, const std::string& after);

}  // namespace pgha::ctl

#endif  // PGHA_CTL_UNIFIED_DIFF_H_
