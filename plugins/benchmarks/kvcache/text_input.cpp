#include "text_input.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#ifdef MLPS_HAVE_ZSTD
#include <zstd.h>
#endif

namespace mlps::kvcache {

namespace {

constexpr size_t kReadSize = 1 << 16;

bool endsWith(std::string_view s, std::string_view tail) {
    return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

} // namespace

void inputError(const std::string &file, uint64_t line, uint64_t column, const std::string &what) {
    std::string where = file;
    if (line != 0) {
        where += ':' + std::to_string(line);
        if (column != 0) {
            where += ':' + std::to_string(column);
        }
    }
    throw Error(where + ": " + what, MLPS_E_INVALID);
}

bool zstdAvailable() {
#ifdef MLPS_HAVE_ZSTD
    return true;
#else
    return false;
#endif
}

#ifdef MLPS_HAVE_ZSTD
struct TextInput::Zstd {
    ZSTD_DCtx *ctx = ZSTD_createDCtx();
    std::vector<char> in = std::vector<char>(ZSTD_DStreamInSize());
    ZSTD_inBuffer input{in.data(), 0, 0};
    ~Zstd() { ZSTD_freeDCtx(ctx); }
};
#else
struct TextInput::Zstd {};
#endif

TextInput::TextInput(std::string path) : path_(std::move(path)) {
    if (endsWith(path_, ".zst")) {
#ifdef MLPS_HAVE_ZSTD
        zstd_ = std::make_unique<Zstd>();
#else
        inputError(path_,
                   0,
                   0,
                   "a .zst file, but this kvcache was built without zstd support (install "
                   "libzstd-dev and rebuild, or decompress the file with `zstd -d`)");
#endif
    }
    file_ = std::fopen(path_.c_str(), "rb");
    if (file_ == nullptr) {
        inputError(path_, 0, 0, std::string("cannot open: ") + std::strerror(errno));
    }
}

TextInput::~TextInput() {
    if (file_ != nullptr) {
        std::fclose(file_);
    }
}

void TextInput::rewind() {
    std::rewind(file_);
    buf_.clear();
    start_ = 0;
    line_ = 0;
    eof_ = false;
#ifdef MLPS_HAVE_ZSTD
    if (zstd_) {
        ZSTD_DCtx_reset(zstd_->ctx, ZSTD_reset_session_only);
        zstd_->input = ZSTD_inBuffer{zstd_->in.data(), 0, 0};
    }
#endif
}

bool TextInput::fill() {
    if (eof_) {
        return false;
    }
    // Drop what was returned already, so the buffer holds one line plus one read at most.
    buf_.erase(0, start_);
    start_ = 0;
    const size_t old = buf_.size();
    if (!zstd_) {
        buf_.resize(old + kReadSize);
        const size_t n = std::fread(buf_.data() + old, 1, kReadSize, file_);
        buf_.resize(old + n);
        if (n == 0) {
            if (std::ferror(file_) != 0) {
                inputError(path_, line_ + 1, 0, std::string("read error: ") + std::strerror(errno));
            }
            eof_ = true;
            return false;
        }
        sawBytes_ = true;
        return true;
    }
#ifdef MLPS_HAVE_ZSTD
    Zstd &z = *zstd_;
    for (;;) {
        if (z.input.pos == z.input.size) {
            const size_t n = std::fread(z.in.data(), 1, z.in.size(), file_);
            if (n == 0) {
                eof_ = true;
                return false;
            }
            z.input = ZSTD_inBuffer{z.in.data(), n, 0};
        }
        buf_.resize(old + kReadSize);
        ZSTD_outBuffer out{buf_.data() + old, kReadSize, 0};
        const size_t rc = ZSTD_decompressStream(z.ctx, &out, &z.input);
        if (ZSTD_isError(rc) != 0) {
            inputError(path_, line_ + 1, 0, std::string("zstd: ") + ZSTD_getErrorName(rc));
        }
        buf_.resize(old + out.pos);
        if (out.pos != 0) {
            sawBytes_ = true;
            return true;
        }
    }
#else
    return false;
#endif
}

bool TextInput::next(std::string_view &line) {
    size_t scanFrom = start_;
    for (;;) {
        const size_t nl = buf_.find('\n', scanFrom);
        if (nl != std::string::npos) {
            size_t end = nl;
            if (end > start_ && buf_[end - 1] == '\r') {
                --end;
            }
            line = std::string_view(buf_).substr(start_, end - start_);
            start_ = nl + 1;
            ++line_;
            return true;
        }
        const size_t have = buf_.size() - start_;
        if (!fill()) {
            if (start_ < buf_.size()) { // a last line without its newline
                size_t end = buf_.size();
                if (buf_[end - 1] == '\r') {
                    --end;
                }
                line = std::string_view(buf_).substr(start_, end - start_);
                start_ = buf_.size();
                ++line_;
                return true;
            }
            return false;
        }
        scanFrom = start_ + have; // fill() moved the unreturned bytes to the front
    }
}

} // namespace mlps::kvcache
