// Small text helpers shared by the spec front end: quoting found values for messages, trimming,
// ASCII case folding and the UTF-8 check that keeps binary files away from yaml-cpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mlps::core {

// `text` in double quotes for an error message, with control and non-ASCII bytes escaped and
// anything past `maxChars` cut ("...") so that a hostile value cannot flood the terminal.
std::string quoteValue(std::string_view text, size_t maxChars = 60);

std::string_view trim(std::string_view text);
std::string toLowerAscii(std::string_view text);

// Offset of the first byte that is not valid UTF-8 (overlongs, surrogates and code points past
// U+10FFFF included), or npos when the whole text is valid.
size_t findInvalidUtf8(std::string_view text);

} // namespace mlps::core
