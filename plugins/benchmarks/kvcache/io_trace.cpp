#include "io_trace.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include <mlps/plugin.hpp>

#ifdef MLPS_HAVE_ZSTD
#include <zstd.h>
#endif

namespace mlps::kvcache {

namespace {

constexpr size_t kChunk = 1 << 17;

const char *referencePhase(OpPhase p) {
    switch (p) {
    case OpPhase::Prefill:
    case OpPhase::Prepopulate:
        return "Prefill";
    case OpPhase::Decode:
    case OpPhase::MultiTurn:
        return "Decode";
    case OpPhase::Evict:
    case OpPhase::Promote:
        return "Evict";
    }
    return "Decode";
}

} // namespace

#ifdef MLPS_HAVE_ZSTD
struct IoTrace::Zstd {
    ZSTD_CCtx *ctx = ZSTD_createCCtx();
    std::vector<char> out = std::vector<char>(ZSTD_CStreamOutSize());
    ~Zstd() { ZSTD_freeCCtx(ctx); }
};
#else
struct IoTrace::Zstd {};
#endif

IoTrace::IoTrace() = default;

IoTrace::~IoTrace() {
    try {
        close();
    } catch (...) {
    }
}

void IoTrace::open(const std::string &path) {
    close();
    path_ = path;
    const bool zst = path.size() >= 4 && path.compare(path.size() - 4, 4, ".zst") == 0;
    if (zst) {
#ifdef MLPS_HAVE_ZSTD
        zstd_ = std::make_unique<Zstd>();
        ZSTD_CCtx_setParameter(zstd_->ctx, ZSTD_c_compressionLevel, 3);
#else
        throw Error("option 'io_trace': " + path +
                        " ends in .zst, but this kvcache was built without zstd support (install "
                        "libzstd-dev and rebuild, or drop the .zst)",
                    MLPS_E_INVALID);
#endif
    }
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) {
        throw Error("option 'io_trace': cannot create " + path + ": " + std::strerror(errno),
                    MLPS_E_INVALID,
                    errno);
    }
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
    static const char header[] = "Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase\n";
    line(header, sizeof header - 1);
}

void IoTrace::flushZstd([[maybe_unused]] bool end) {
#ifdef MLPS_HAVE_ZSTD
    ZSTD_inBuffer in{pending_.data(), pending_.size(), 0};
    for (;;) {
        ZSTD_outBuffer out{zstd_->out.data(), zstd_->out.size(), 0};
        const size_t left =
            ZSTD_compressStream2(zstd_->ctx, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(left) != 0) {
            throw Error("io_trace " + path_ + ": zstd: " + ZSTD_getErrorName(left), MLPS_E_IO);
        }
        std::fwrite(zstd_->out.data(), 1, out.pos, file_);
        if (end ? left == 0 : in.pos == in.size) {
            break;
        }
    }
    pending_.clear();
#endif
}

void IoTrace::line(const char *text, size_t n) {
    if (!zstd_) {
        std::fwrite(text, 1, n, file_);
        return;
    }
    pending_.append(text, n);
    if (pending_.size() >= kChunk) {
        flushZstd(false);
    }
}

void IoTrace::put(uint64_t timeUs,
                  const char *op,
                  uint64_t bytes,
                  uint32_t tier,
                  const std::string &key,
                  const char *phase) {
    // Formatted by hand (to_chars): this runs for every operation of trace mode, where
    // snprintf's format parsing would be a good part of the time per request.
    line_.clear();
    char num[24];
    const auto append = [&](uint64_t v) {
        const auto end = std::to_chars(num, num + sizeof num, v).ptr;
        line_.append(num, end);
    };
    append(timeUs / 1000000);
    line_ += '.';
    const auto end = std::to_chars(num, num + sizeof num, timeUs % 1000000).ptr;
    line_.append(6 - static_cast<size_t>(end - num), '0');
    line_.append(num, end);
    line_ += ',';
    line_ += op;
    line_ += ',';
    append(bytes);
    line_ += ",Tier-";
    append(tier);
    line_ += ',';
    line_ += key;
    line_ += ',';
    line_ += phase;
    line_ += '\n';
    line(line_.data(), line_.size());
}

void IoTrace::write(uint64_t timeUs, const Plan &plan) {
    if (file_ == nullptr) {
        return;
    }
    for (const Step &s : plan.steps) {
        const Placement &p = *s.target;
        switch (s.kind) {
        case StepKind::Read:
            put(timeUs, "Read", p.size, p.tier, p.key, referencePhase(s.phase));
            break;
        case StepKind::Write:
            put(timeUs, "Write", p.size, p.tier, p.key, referencePhase(s.phase));
            break;
        case StepKind::Delete:
            put(timeUs, "Delete", p.size, p.tier, p.key, referencePhase(s.phase));
            break;
        case StepKind::Move:
            put(timeUs, "Read", p.size, p.tier, p.key, "Evict");
            put(timeUs, "Write", s.dest->size, s.dest->tier, p.key, "Evict");
            put(timeUs, "Delete", p.size, p.tier, p.key, "Evict");
            break;
        }
    }
}

void IoTrace::close() {
    if (file_ == nullptr) {
        return;
    }
    if (zstd_) {
        flushZstd(true);
        zstd_.reset();
    }
    std::fclose(file_);
    file_ = nullptr;
}

} // namespace mlps::kvcache
