#include "source.hpp"

#include <algorithm>
#include <unordered_set>

#include "file_source.hpp"

namespace mlps::kvcache {

std::unique_ptr<ItemReader> makeShareGptReader(const Settings &s);
std::unique_ptr<ItemReader> makeBurstGptReader(const Settings &s);
std::unique_ptr<ItemReader> makeMooncakeReader(const Settings &s);
std::unique_ptr<ItemReader> makeTraceReader(const Settings &s, const SourceContext &ctx);
std::unique_ptr<RequestSource> makeShareGptSource(const Settings &s, const SourceContext &ctx);

namespace {

constexpr uint64_t kPurposeItemQos = 3;

// Today's users (workload.hpp): one lane per user, each with its own random stream.
class SyntheticSource final : public RequestSource {
  public:
    SyntheticSource(const Settings &s, const SourceContext &ctx)
        : settings_(s), users_(makeUsers(s, ctx.seed, ctx.rank)) {}
    uint32_t lanes() const override { return static_cast<uint32_t>(users_.size()); }
    bool next(uint32_t lane, Request &out) override {
        nextRequest(users_[lane], settings_, out);
        return true;
    }

  private:
    const Settings &settings_;
    std::vector<User> users_;
};

// burstgpt, mooncake, trace: every lane takes the next item of the input, so requests keep the
// input's order (and, open, arrive at its timestamps) whatever the number of lanes.
class TimedSource final : public RequestSource {
  public:
    TimedSource(const Settings &s, const SourceContext &ctx)
        : cursor_(s, ctx, true), lanes_(std::max<uint32_t>(s.users, 1)) {}
    uint32_t lanes() const override { return lanes_; }
    bool timed() const override { return true; }
    bool next(uint32_t lane, Request &out) override {
        if (!cursor_.next(out)) {
            return false;
        }
        out.user = lane;
        out.userRequest = out.item;
        return true;
    }

  private:
    ItemCursor cursor_;
    uint32_t lanes_;
};

bool isLetter(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigit(unsigned char c) {
    return c >= '0' && c <= '9';
}

} // namespace

std::unique_ptr<ItemReader> makeItemReader(const Settings &s, const SourceContext &ctx) {
    switch (s.source) {
    case SourceKind::ShareGpt:
        return makeShareGptReader(s);
    case SourceKind::BurstGpt:
        return makeBurstGptReader(s);
    case SourceKind::Mooncake:
        return makeMooncakeReader(s);
    case SourceKind::Trace:
        return makeTraceReader(s, ctx);
    case SourceKind::Synthetic:
        break;
    }
    throw Error("the synthetic source reads no file", MLPS_E_INVALID);
}

std::unique_ptr<RequestSource> makeSource(const Settings &s, const SourceContext &ctx) {
    switch (s.source) {
    case SourceKind::Synthetic:
        return std::make_unique<SyntheticSource>(s, ctx);
    case SourceKind::ShareGpt:
        return makeShareGptSource(s, ctx);
    default:
        return std::make_unique<TimedSource>(s, ctx);
    }
}

SourceSummary scanSource(const Settings &s, const SourceContext &ctx) {
    SourceSummary sum;
    if (s.source == SourceKind::Synthetic) {
        return sum;
    }
    Settings once = s;
    once.replayCycles = 1;
    auto reader = makeItemReader(once, ctx);
    Request r;
    double ts = 0;
    double first = -1;
    uint64_t index = 0;
    std::unordered_set<uint64_t> blocks;
    while (reader->read(r, ts)) {
        if (first < 0) {
            first = ts;
        }
        sum.spanS = ts - first;
        if (index++ % ctx.world != ctx.rank) {
            continue;
        }
        ++sum.items;
        if (s.source == SourceKind::ShareGpt) {
            uint64_t history = 0;
            for (const auto &t : r.payload->turns) {
                ++sum.requests;
                sum.contextTokens += std::min<uint64_t>(history + t.question, 16384);
                sum.generatedTokens += std::min<uint32_t>(t.answer, 2048);
                history += uint64_t{t.question} + t.answer;
            }
            sum.entryTokens += history;
            continue;
        }
        ++sum.requests;
        sum.contextTokens += r.context;
        sum.generatedTokens += r.generation;
        if (s.source == SourceKind::Mooncake) {
            for (const uint64_t b : r.payload->blocks) {
                if (blocks.insert(b).second) {
                    sum.entryTokens += s.blockTokens;
                }
            }
        } else if (s.source == SourceKind::Trace) {
            for (const auto &op : r.payload->ops) {
                sum.opBytes += op.bytes;
            }
        } else {
            sum.entryTokens += r.context;
        }
    }
    return sum;
}

// A deterministic stand-in for a BPE tokenizer (the reference uses tiktoken cl100k_base when it
// is installed, else len(text) // 4). Runs of ASCII letters count one token per 4 letters
// (rounded up: most English words are one token), runs of digits one per 3 digits (cl100k
// splits numbers into groups of at most 3), every other visible ASCII character one token,
// every non-ASCII code point one token; white space is free (it joins the next word).
uint32_t estimateTokens(std::string_view text) {
    uint64_t tokens = 0;
    size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (isLetter(c) || isDigit(c)) {
            const bool letters = isLetter(c);
            size_t j = i;
            while (j < text.size() && (letters ? isLetter(static_cast<unsigned char>(text[j]))
                                               : isDigit(static_cast<unsigned char>(text[j])))) {
                ++j;
            }
            const size_t per = letters ? 4 : 3;
            tokens += (j - i + per - 1) / per;
            i = j;
        } else if (c >= 0x80) {
            ++tokens; // a code point: skip its continuation bytes
            ++i;
            while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) {
                ++i;
            }
        } else {
            if (c > ' ') {
                ++tokens;
            }
            ++i;
        }
    }
    return static_cast<uint32_t>(std::min<uint64_t>(tokens, UINT32_MAX));
}

Qos itemQos(const Settings &s, uint64_t seed, uint64_t item) {
    Rng rng(streamSeed(seed, kPurposeItemQos, item));
    const double r = rng.uniform();
    double edge = 0;
    for (int q = 0; q < kQosClasses; ++q) {
        edge += s.qos[q].share;
        if (r < edge) {
            return static_cast<Qos>(q);
        }
    }
    return Qos::Batch;
}

} // namespace mlps::kvcache
