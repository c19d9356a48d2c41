// sharegpt input: the public ShareGPT JSON layout, a list of {"conversations": [{"from":
// "human"|"gpt", "value": text}, ...]}. Read as a stream: nlohmann::json parses whole documents
// only (its SAX interface cannot stop and resume), so a small scanner finds where each element of
// the top-level array ends (tracking strings and nesting only) and nlohmann parses that element.
// Memory is one conversation, whatever the file's size.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "file_source.hpp"

namespace mlps::kvcache {

namespace {

using nlohmann::json;

constexpr uint32_t kMaxContext = 16384; // the reference's clamps
constexpr uint32_t kMaxGeneration = 2048;

class ShareGptReader final : public ItemReader {
  public:
    ShareGptReader(const Settings &s) : settings_(s), in_(s.datasetPath) {}

    bool read(Request &out, double &timestampS) override {
        timestampS = 0;
        while (conversations_ < settings_.maxConversations && nextElement()) {
            ++conversations_;
            auto payload = std::make_shared<RequestPayload>();
            turns(*payload);
            if (payload->turns.empty()) {
                continue; // no usable (human, gpt) pair: skipped, as the reference does
            }
            usable_ = true;
            out.payload = std::move(payload);
            return true;
        }
        if (!usable_) {
            inputError(in_.path(),
                       0,
                       0,
                       "no usable conversations (a 'human' message followed by a 'gpt' answer) "
                       "in the first " +
                           std::to_string(conversations_) + " conversation(s)");
        }
        return false;
    }

    void rewind() override {
        in_.rewind();
        line_ = {};
        pos_ = 0;
        state_ = State::Start;
        conversations_ = 0;
    }

  private:
    enum class State { Start, Between, End };

    [[noreturn]] void fail(uint64_t line, uint64_t col, const std::string &what) const {
        inputError(in_.path(), line, col, what);
    }

    // The next element of the top-level array into elem_; false after the closing ']'.
    bool nextElement() {
        elem_.clear();
        int depth = 0;
        bool inString = false;
        bool escape = false;
        for (;;) {
            if (pos_ >= line_.size()) {
                if (depth > 0) {
                    elem_ += '\n';
                }
                std::string_view l;
                if (!in_.next(l)) {
                    if (state_ == State::Start) {
                        fail(0, 0, "the file is empty");
                    }
                    if (depth > 0) {
                        fail(elemLine_,
                             elemCol_,
                             "the file ends inside this conversation (unterminated JSON)");
                    }
                    if (state_ != State::End) {
                        fail(in_.lineNumber(), 0, "the file ends before the list's closing ']'");
                    }
                    return false;
                }
                line_ = l;
                pos_ = 0;
                continue;
            }
            const char c = line_[pos_++];
            const uint64_t col = pos_;
            if (depth > 0) {
                elem_ += c;
                if (inString) {
                    if (escape) {
                        escape = false;
                    } else if (c == '\\') {
                        escape = true;
                    } else if (c == '"') {
                        inString = false;
                    }
                } else if (c == '"') {
                    inString = true;
                } else if (c == '{' || c == '[') {
                    ++depth;
                } else if (c == '}' || c == ']') {
                    if (--depth == 0) {
                        return true;
                    }
                }
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                continue;
            }
            switch (state_) {
            case State::Start:
                if (c != '[') {
                    fail(in_.lineNumber(),
                         col,
                         std::string("expected a JSON list of conversations ('['), found '") + c +
                             "'");
                }
                state_ = State::Between;
                break;
            case State::Between:
                if (c == ',') {
                    break;
                }
                if (c == ']') {
                    state_ = State::End;
                    break;
                }
                if (c != '{') {
                    fail(in_.lineNumber(),
                         col,
                         std::string("expected a conversation ('{'), found '") + c + "'");
                }
                depth = 1;
                elem_ = "{";
                elemLine_ = in_.lineNumber();
                elemCol_ = col;
                break;
            case State::End:
                fail(in_.lineNumber(),
                     col,
                     std::string("unexpected '") + c + "' after the list's closing ']'");
            }
        }
    }

    // Where byte `offset` (0-based) of elem_ is in the file.
    std::pair<uint64_t, uint64_t> locate(size_t offset) const {
        uint64_t line = elemLine_;
        uint64_t col = elemCol_;
        for (size_t i = 0; i < offset && i < elem_.size(); ++i) {
            if (elem_[i] == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
        return {line, col};
    }

    void turns(RequestPayload &out) const {
        json doc;
        try {
            doc = json::parse(elem_);
        } catch (const json::parse_error &e) {
            const auto [line, col] = locate(e.byte > 0 ? e.byte - 1 : 0);
            std::string what = e.what();
            const size_t at = what.find(": ", what.find("column"));
            fail(line,
                 col,
                 "malformed JSON: " + (at == std::string::npos ? what : what.substr(at + 2)));
        }
        const auto conv = doc.find("conversations");
        if (conv == doc.end() || !conv->is_array()) {
            fail(elemLine_, elemCol_, "a conversation without a 'conversations' list");
        }
        const std::string *question = nullptr;
        std::string q;
        for (const auto &message : *conv) {
            const auto from = message.find("from");
            const auto value = message.find("value");
            if (!message.is_object() || from == message.end() || !from->is_string() ||
                value == message.end() || !value->is_string()) {
                fail(elemLine_,
                     elemCol_,
                     "a message without string fields 'from' and 'value' in this conversation");
            }
            const std::string &role = from->get_ref<const std::string &>();
            if (role == "human") {
                q = value->get_ref<const std::string &>();
                question = &q;
            } else if (role == "gpt" && question != nullptr) {
                RequestPayload::Turn t;
                t.question = std::max<uint32_t>(1, estimateTokens(*question));
                t.answer =
                    std::max<uint32_t>(1, estimateTokens(value->get_ref<const std::string &>()));
                out.turns.push_back(t);
                question = nullptr;
            } else {
                question = nullptr; // wrong order: the pair is skipped (reference)
            }
        }
    }

    const Settings &settings_;
    TextInput in_;
    State state_ = State::Start;
    std::string_view line_;
    size_t pos_ = 0;
    std::string elem_;
    uint64_t elemLine_ = 0, elemCol_ = 0;
    uint64_t conversations_ = 0;
    bool usable_ = false;
};

// One conversation per lane; a lane that finished its conversation takes the next one.
class ShareGptSource final : public RequestSource {
  public:
    ShareGptSource(const Settings &s, const SourceContext &ctx)
        : settings_(s), cursor_(s, ctx, false), lanes_(s.users) {}

    uint32_t lanes() const override { return static_cast<uint32_t>(lanes_.size()); }

    bool next(uint32_t lane, Request &out) override {
        Lane &l = lanes_[lane];
        if (l.conversation == nullptr || l.turn >= l.conversation->turns.size()) {
            if (!cursor_.next(l.head)) {
                return false;
            }
            l.conversation = l.head.payload;
            l.turn = 0;
            l.history = 0;
            l.previousAnswer = 0;
        }
        const RequestPayload::Turn &t = l.conversation->turns[l.turn++];
        out = Request{};
        out.source = SourceKind::ShareGpt;
        out.user = lane;
        out.qos = l.head.qos;
        out.item = l.head.item;
        out.conversation = l.head.item;
        out.turn = l.turn;
        out.userRequest = l.requests++;
        // Context grows turn by turn: everything said before plus this question. The turn's
        // entry holds the KV of what is new since the previous turn (the previous answer and
        // this question); the earlier turns' entries are read (multi-turn reads).
        const uint64_t context = l.history + t.question;
        out.context = static_cast<uint32_t>(std::min<uint64_t>(context, kMaxContext));
        out.entryTokens = std::min<uint32_t>(l.previousAnswer + t.question, out.context);
        out.generation = std::min<uint32_t>(t.answer, kMaxGeneration);
        l.history += uint64_t{t.question} + t.answer;
        l.previousAnswer = t.answer;
        out.phase = out.context >= settings_.prefillOnlyThreshold ? RequestPhase::Prefill
                                                                  : RequestPhase::PrefillDecode;
        out.thinkNs = settings_.requestRate > 0
                          ? static_cast<uint64_t>(static_cast<double>(lanes_.size()) /
                                                  settings_.requestRate * 1e9)
                          : 0;
        return true;
    }

  private:
    struct Lane {
        Request head; // the conversation's item (qos, number)
        std::shared_ptr<const RequestPayload> conversation;
        size_t turn = 0;
        uint64_t history = 0;
        uint32_t previousAnswer = 0;
        uint64_t requests = 0;
    };
    const Settings &settings_;
    ItemCursor cursor_;
    std::vector<Lane> lanes_;
};

} // namespace

std::unique_ptr<ItemReader> makeShareGptReader(const Settings &s) {
    return std::make_unique<ShareGptReader>(s);
}

std::unique_ptr<RequestSource> makeShareGptSource(const Settings &s, const SourceContext &ctx) {
    return std::make_unique<ShareGptSource>(s, ctx);
}

} // namespace mlps::kvcache
