// A minimal JSON writer for benchmark reports and plans (objects and arrays of numbers, strings
// and nested values). Hand-written on purpose: a plugin is built exactly as a third party
// builds one, with the SDK and nothing else, and these small documents need no more than this.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace mlps {

class JsonArray;

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
        text_ += number(value);
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
    JsonObject &add(std::string_view key, const JsonArray &array);
    JsonObject &add(std::string_view key, int64_t value) {
        name(key);
        text_ += std::to_string(value);
        return *this;
    }
    std::string str() const { return "{" + text_ + "}"; }

    // `s` as a JSON string literal, quotes included.
    static std::string quoted(std::string_view s) {
        JsonObject o;
        o.quote(s);
        return o.text_;
    }
    static std::string number(double value) {
        if (!std::isfinite(value)) { // JSON has no NaN or infinity
            return "null";
        }
        char text[32];
        std::snprintf(text, sizeof text, "%.10g", value);
        return text;
    }

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

class JsonArray {
  public:
    JsonArray &add(double value) { return raw(JsonObject::number(value)); }
    JsonArray &add(uint64_t value) { return raw(std::to_string(value)); }
    JsonArray &add(std::string_view value) { return raw(JsonObject::quoted(value)); }
    JsonArray &add(const JsonObject &object) { return raw(object.str()); }
    std::string str() const { return "[" + text_ + "]"; }

  private:
    JsonArray &raw(const std::string &text) {
        if (!text_.empty()) {
            text_ += ",";
        }
        text_ += text;
        return *this;
    }
    std::string text_;
};

inline JsonObject &JsonObject::add(std::string_view key, const JsonArray &array) {
    name(key);
    text_ += array.str();
    return *this;
}

} // namespace mlps
