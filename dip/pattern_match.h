// The spec's patterns (generated/schema_data.cc, DFAs over byte classes) in the form the schema
// walk runs them: each DFA's transition table with every target state already multiplied by its
// row width, so that one step of the match is an add and a load (state * class_count is not
// recomputed on every byte, which sat on the loop's critical path). Built once, from the
// generated tables, on first use; the verdict is exactly the generated DFA's.
//
// Thread-safety: MatchesPattern is safe from any thread (the tables are built once, under the
// function-local static's guard, and only read afterwards).
#pragma once

#include <cstdint>
#include <string_view>

namespace diphub::dip {

// True when `s` matches kPatterns[pattern] (the whole value, as the spec's ^...$ says).
// REQUIRES: 0 <= pattern < generated::kPatternCount.
bool MatchesPattern(std::int16_t pattern, std::string_view s);

}  // namespace diphub::dip
