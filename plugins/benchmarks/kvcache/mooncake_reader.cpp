// mooncake input: JSON lines {timestamp (ms), input_length, output_length, hash_ids[]} (the
// Mooncake FAST'25 traces). Each hash id names one block_tokens block of the request's prefix;
// equal ids are reusable KV. Lines must be in time order.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "csv_fields.hpp"
#include "file_source.hpp"

namespace mlps::kvcache {

namespace {

using nlohmann::json;

class MooncakeReader final : public ItemReader {
  public:
    explicit MooncakeReader(const Settings &s) : in_(s.datasetPath) {}

    bool read(Request &out, double &timestampS) override {
        std::string_view line;
        for (;;) {
            if (!in_.next(line)) {
                if (lines_ == 0) {
                    inputError(in_.path(), 0, 0, "the file is empty (expected JSON lines)");
                }
                return false;
            }
            if (line.find_first_not_of(" \t") != std::string_view::npos) {
                break;
            }
        }
        json doc;
        try {
            doc = json::parse(line);
        } catch (const json::parse_error &e) {
            std::string what = e.what();
            const size_t at = what.find(": ", what.find("column"));
            inputError(in_.path(),
                       in_.lineNumber(),
                       e.byte,
                       "malformed JSON: " + (at == std::string::npos ? what : what.substr(at + 2)));
        }
        if (!doc.is_object()) {
            fail("expected a JSON object per line");
        }
        for (const auto &[key, value] : doc.items()) {
            if (key != "timestamp" && key != "input_length" && key != "output_length" &&
                key != "hash_ids") {
                fail("unknown field '" + key +
                     "' (known: timestamp, input_length, output_length, hash_ids)");
            }
        }
        timestampS = number(doc, "timestamp") / 1000.0;
        if (lines_ != 0) {
            checkMonotonic(in_, 0, previous_ * 1000.0, timestampS * 1000.0, "ms");
        }
        previous_ = timestampS;
        ++lines_;
        auto payload = std::make_shared<RequestPayload>();
        const auto ids = doc.find("hash_ids");
        if (ids == doc.end() || !ids->is_array()) {
            fail("'hash_ids': expected a list of block ids");
        }
        payload->blocks.reserve(ids->size());
        for (const auto &id : *ids) {
            if (!id.is_number_unsigned()) {
                fail("'hash_ids': expected whole numbers >= 0, found " + id.dump());
            }
            payload->blocks.push_back(id.get<uint64_t>());
        }
        out.context =
            static_cast<uint32_t>(std::clamp<double>(number(doc, "input_length"), 1, 1e9));
        out.generation =
            static_cast<uint32_t>(std::clamp<double>(number(doc, "output_length"), 0, 1e9));
        out.payload = std::move(payload);
        return true;
    }

    void rewind() override {
        in_.rewind();
        lines_ = 0;
    }

  private:
    [[noreturn]] void fail(const std::string &what) const {
        inputError(in_.path(), in_.lineNumber(), 0, what);
    }
    double number(const json &doc, const char *key) const {
        const auto v = doc.find(key);
        if (v == doc.end()) {
            fail(std::string("missing field '") + key + "'");
        }
        if (!v->is_number() || v->get<double>() < 0) {
            fail(std::string("'") + key + "': expected a number >= 0, found " + v->dump());
        }
        return v->get<double>();
    }

    TextInput in_;
    uint64_t lines_ = 0;
    double previous_ = 0;
};

} // namespace

std::unique_ptr<ItemReader> makeMooncakeReader(const Settings &s) {
    return std::make_unique<MooncakeReader>(s);
}

} // namespace mlps::kvcache
