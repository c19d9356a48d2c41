// trace input (replay): this project's op_log CSV (time_us,request,op,tier,key,bytes,phase) or
// the reference's --io-trace-log CSV (Timestamp,Operation,Object_Size_Bytes,Tier,Key,Phase),
// plain or .zst. One request = the operations of one op_log request number, or consecutive
// io_trace rows with the same Timestamp (an io_trace written by kvcache stamps every operation
// of a request with the request's time; the reference's rows each get their own).
#include <algorithm>

#include "csv_fields.hpp"
#include "file_source.hpp"

namespace mlps::kvcache {

namespace {

const std::vector<std::string_view> kOpLogColumns = {
    "time_us", "request", "op", "tier", "key", "bytes", "phase"};
const std::vector<std::string_view> kIoTraceColumns = {
    "Timestamp", "Operation", "Object_Size_Bytes", "Tier", "Key", "Phase"};

class TraceReader final : public ItemReader {
  public:
    TraceReader(const Settings &, const SourceContext &ctx, std::string path)
        : tiers_(ctx.tierNames), in_(std::move(path)), numbers_(in_) {}

    bool read(Request &out, double &timestampS) override {
        if (!headerRead_) {
            header();
        }
        if (!pending_) {
            if (!row()) {
                if (requests_ == 0) {
                    inputError(in_.path(), in_.lineNumber(), 0, "no operations: only a header");
                }
                return false;
            }
        }
        auto payload = std::make_shared<RequestPayload>();
        const std::string group = group_;
        timestampS = time_;
        payload->ops.push_back(std::move(op_));
        pending_ = false;
        while (row()) {
            if (group_ != group) {
                pending_ = true; // the first operation of the next request
                break;
            }
            payload->ops.push_back(std::move(op_));
        }
        ++requests_;
        out.context = 0;
        out.generation = 0;
        out.payload = std::move(payload);
        return true;
    }

    void rewind() override {
        in_.rewind();
        headerRead_ = false;
        pending_ = false;
        requests_ = 0;
        rows_ = 0;
    }

  private:
    void header() {
        std::string_view line;
        if (!in_.next(line) || line.empty()) {
            inputError(
                in_.path(), 0, 0, "the file is empty (expected an op_log or io_trace header)");
        }
        std::vector<CsvField> f;
        splitCsv(line, f);
        opLog_ = !f.empty() && f[0].text == "time_us";
        const auto &known = opLog_ ? kOpLogColumns : kIoTraceColumns;
        columns_ = mapColumns(in_,
                              line,
                              known,
                              std::vector<bool>(known.size(), true),
                              opLog_ ? "op_log" : "io_trace");
        headerRead_ = true;
    }

    uint32_t tierIndex(const CsvField &f, std::string_view name) const {
        if (!opLog_) {
            uint64_t n = 0;
            const auto [end, ec] = std::from_chars(
                name.data() + std::min<size_t>(5, name.size()), name.data() + name.size(), n);
            if (name.substr(0, 5) != "Tier-" || ec != std::errc() ||
                end != name.data() + name.size() || name.size() <= 5) {
                numbers_.fail(f, "Tier", "Tier-<index>");
            }
            if (!tiers_.empty() && n >= tiers_.size()) {
                inputError(in_.path(),
                           in_.lineNumber(),
                           f.column,
                           "Tier-" + std::to_string(n) + ": the spec has " +
                               std::to_string(tiers_.size()) + " tier(s)");
            }
            return static_cast<uint32_t>(n);
        }
        if (tiers_.empty()) {
            return 0; // names are checked against the spec's tiers when they are known
        }
        const auto it = std::find(tiers_.begin(), tiers_.end(), name);
        if (it == tiers_.end()) {
            inputError(in_.path(),
                       in_.lineNumber(),
                       f.column,
                       "tier '" + std::string(name) + "' is not one of the spec's tiers");
        }
        return static_cast<uint32_t>(it - tiers_.begin());
    }

    // The next operation into op_/group_/time_; false at the end of the file.
    bool row() {
        std::string_view line;
        do {
            if (!in_.next(line)) {
                return false;
            }
        } while (line.empty());
        splitCsv(line, fields_);
        if (fields_.size() != columns_.size()) {
            inputError(in_.path(),
                       in_.lineNumber(),
                       0,
                       "expected " + std::to_string(columns_.size()) + " fields, found " +
                           std::to_string(fields_.size()));
        }
        const auto at = [&](size_t k) -> const CsvField & { return fields_[columns_[k]]; };
        ReplayOp op;
        double t = 0;
        if (opLog_) {
            t = static_cast<double>(numbers_.unsignedAt(at(0), "time_us")) / 1e6;
            group_.assign(at(1).text);
            numbers_.unsignedAt(at(1), "request");
            const std::string_view kind = at(2).text;
            const std::string_view tier = at(3).text;
            if (kind == "read" || kind == "write" || kind == "delete") {
                op.kind = kind == "read"    ? ReplayOp::Kind::Read
                          : kind == "write" ? ReplayOp::Kind::Write
                                            : ReplayOp::Kind::Delete;
                op.tier = tierIndex(at(3), tier);
            } else if (kind == "demote" || kind == "promote") {
                const size_t gt = tier.find('>');
                if (gt == std::string_view::npos) {
                    numbers_.fail(at(3), "tier", "'from>to' for a move");
                }
                op.kind = ReplayOp::Kind::Move;
                op.tier = tierIndex(at(3), tier.substr(0, gt));
                op.dest = tierIndex(at(3), tier.substr(gt + 1));
            } else {
                numbers_.fail(at(2), "op", "read, write, demote, promote or delete");
            }
            op.key.assign(at(4).text);
            op.bytes = numbers_.unsignedAt(at(5), "bytes");
            const std::string_view phase = at(6).text;
            static const char *const phases[] = {
                "prefill", "decode", "multi_turn", "evict", "promote", "prepopulate"};
            int p = 0;
            while (p < 6 && phase != phases[p]) {
                ++p;
            }
            if (p == 6) {
                numbers_.fail(at(6),
                              "phase",
                              "prefill, decode, multi_turn, evict, promote or "
                              "prepopulate");
            }
            op.phase = static_cast<OpPhase>(p);
        } else {
            t = numbers_.realAt(at(0), "Timestamp");
            group_.assign(at(0).text);
            const std::string_view kind = at(1).text;
            if (kind == "Read") {
                op.kind = ReplayOp::Kind::Read;
            } else if (kind == "Write") {
                op.kind = ReplayOp::Kind::Write;
            } else if (kind == "Delete") {
                op.kind = ReplayOp::Kind::Delete;
            } else {
                numbers_.fail(at(1), "Operation", "Read, Write or Delete");
            }
            op.bytes = numbers_.unsignedAt(at(2), "Object_Size_Bytes");
            op.tier = tierIndex(at(3), at(3).text);
            op.key.assign(at(4).text);
            const std::string_view phase = at(5).text;
            op.phase =
                phase == "Prefill"  ? OpPhase::Prefill
                : phase == "Decode" ? OpPhase::Decode
                : phase == "Evict"
                    ? OpPhase::Evict
                    : (numbers_.fail(at(5), "Phase", "Prefill, Decode or Evict"), OpPhase::Decode);
        }
        if (op.key.empty()) {
            inputError(in_.path(), in_.lineNumber(), at(4).column, "empty key");
        }
        if (rows_ != 0) {
            checkMonotonic(in_, at(0).column, time_, t, "s");
        }
        time_ = t;
        ++rows_;
        op_ = std::move(op);
        return true;
    }

    std::vector<std::string> tiers_;
    TextInput in_;
    CsvNumbers numbers_;
    bool headerRead_ = false;
    bool opLog_ = false;
    std::vector<int> columns_;
    std::vector<CsvField> fields_;
    bool pending_ = false;
    ReplayOp op_;
    std::string group_;
    double time_ = 0;
    uint64_t requests_ = 0;
    uint64_t rows_ = 0;
};

} // namespace

std::unique_ptr<ItemReader> makeTraceReader(const Settings &s, const SourceContext &ctx) {
    return std::make_unique<TraceReader>(s, ctx, s.datasetPath);
}

} // namespace mlps::kvcache
