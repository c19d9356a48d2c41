// Reads a source's input file line by line, as a stream (memory does not grow with the file),
// decompressing zstd when the name ends in .zst (when built with libzstd). Errors name the file
// and the line: input errors are the user's, so they are MLPS_E_INVALID (exit 2).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include <mlps/plugin.hpp>

namespace mlps::kvcache {

// Throws mlps::Error(MLPS_E_INVALID) with "FILE:LINE[:COL]: what".
[[noreturn]] void
inputError(const std::string &file, uint64_t line, uint64_t column, const std::string &what);

bool zstdAvailable();

class TextInput {
  public:
    // Throws (MLPS_E_INVALID) when the file cannot be opened, or is .zst and zstd support was
    // not built in.
    explicit TextInput(std::string path);
    ~TextInput();
    TextInput(const TextInput &) = delete;
    TextInput &operator=(const TextInput &) = delete;

    // The next line without its end of line ('\r' too); false at the end of the file. The
    // view is valid until the next call.
    bool next(std::string_view &line);
    uint64_t lineNumber() const { return line_; } // of the line last returned, from 1
    const std::string &path() const { return path_; }
    bool sawBytes() const { return sawBytes_; }
    // Back to the start of the file (a new replay cycle).
    void rewind();

  private:
    bool fill(); // more bytes into buf_; false at the end of the input

    std::string path_;
    std::FILE *file_ = nullptr;
    struct Zstd;
    std::unique_ptr<Zstd> zstd_;
    std::string buf_;  // bytes read, not yet returned as lines
    size_t start_ = 0; // where the next line starts in buf_
    uint64_t line_ = 0;
    bool eof_ = false;
    bool sawBytes_ = false;
};

} // namespace mlps::kvcache
