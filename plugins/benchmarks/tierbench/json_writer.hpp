// A minimal JSON object writer for tierbench's report and plan. Hand-written on purpose: a
// plugin is built exactly as a third party builds one, with the SDK and nothing else, and
// these few flat objects of numbers and short strings need no more than this.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace mlps::tierbench {

class JsonObject {
  public:
    JsonObject &add(std::string_view key, std::string_view value) {
        name(key);
        quote(value);
        return *this;
    }
    JsonObject &add(std::string_view key, const char *value) {
        return add(key, std::string_view(value));
    }
    JsonObject &add(std::string_view key, uint64_t value) {
        name(key);
        text_ += std::to_string(value);
        return *this;
    }
    JsonObject &add(std::string_view key, uint32_t value) { return add(key, uint64_t{value}); }
    JsonObject &add(std::string_view key, double value) {
        name(key);
        if (!std::isfinite(value)) { // JSON has no NaN or infinity
            text_ += "null";
            return *this;
        }
        char number[32];
        std::snprintf(number, sizeof number, "%.10g", value);
        text_ += number;
        return *this;
    }
    JsonObject &add(std::string_view key, bool value) {
        name(key);
        text_ += value ? "true" : "false";
        return *this;
    }
    JsonObject &addNull(std::string_view key) {
        name(key);
        text_ += "null";
        return *this;
    }
    JsonObject &add(std::string_view key, const JsonObject &object) {
        name(key);
        text_ += object.str();
        return *this;
    }
    std::string str() const { return "{" + text_ + "}"; }

  private:
    void name(std::string_view key) {
        if (!text_.empty()) {
            text_ += ",";
        }
        quote(key);
        text_ += ":";
    }
    void quote(std::string_view s) {
        text_ += '"';
        for (const char c : s) {
            switch (c) {
            case '"':
                text_ += "\\\"";
                break;
            case '\\':
                text_ += "\\\\";
                break;
            case '\n':
                text_ += "\\n";
                break;
            case '\t':
                text_ += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    text_ += escaped;
                } else {
                    text_ += c;
                }
            }
        }
        text_ += '"';
    }

    std::string text_;
};

} // namespace mlps::tierbench
