// Getting a spec's text safely: the file checks (exists, regular, not too large — with fstat,
// before reading a byte) and the text checks (not binary, not empty) that run before yaml-cpp
// sees anything.
#pragma once

#include <string>

namespace mlps::core {

// Reads `path`, at most kMaxSpecBytes. Throws ConfigError naming the path.
std::string readSpecFile(const std::string &path);

// Throws ConfigError when `text` is larger than kMaxSpecBytes, holds a NUL byte or invalid
// UTF-8 ("not a text file"), or nothing but whitespace ("the spec is empty").
void checkSpecText(const std::string &text, const std::string &sourceName);

} // namespace mlps::core
