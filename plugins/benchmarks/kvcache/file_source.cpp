#include "file_source.hpp"

#include <algorithm>
#include <cmath>

namespace mlps::kvcache {

ItemCursor::ItemCursor(const Settings &s, const SourceContext &ctx, bool timed)
    : settings_(s), ctx_(ctx), timed_(timed), reader_(makeItemReader(s, ctx)) {}

bool ItemCursor::next(Request &out) {
    while (!done_) {
        double ts = 0;
        out = Request{};
        if (!reader_->read(out, ts)) {
            // End of a pass: another one, unless the cycles are done (or this rank got
            // nothing in a whole pass, which would loop forever).
            ++cycle_;
            if ((settings_.replayCycles != 0 && cycle_ >= settings_.replayCycles) ||
                thisCycle_ == 0) {
                done_ = true;
                return false;
            }
            reader_->rewind();
            index_ = 0;
            thisCycle_ = 0;
            cycleBaseNs_ = lastAtNs_;
            haveFirst_ = false;
            continue;
        }
        const uint64_t index = index_++;
        if (!haveFirst_) {
            haveFirst_ = true;
            firstS_ = ts;
        }
        if (index % ctx_.world != ctx_.rank) {
            continue;
        }
        ++thisCycle_;
        out.source = settings_.source;
        out.item = counter_++;
        out.qos = itemQos(settings_, ctx_.seed, out.item);
        if (timed_) {
            // Speedup 0 (no pacing) runs closed; the recorded time still stamps the logs.
            const double speedup = settings_.traceSpeedup > 0 ? settings_.traceSpeedup : 1.0;
            const double offsetS = std::max(0.0, ts - firstS_) / speedup;
            out.atNs = cycleBaseNs_ + static_cast<uint64_t>(std::llround(offsetS * 1e9));
            lastAtNs_ = out.atNs;
        }
        out.phase = out.context >= settings_.prefillOnlyThreshold ? RequestPhase::Prefill
                                                                  : RequestPhase::PrefillDecode;
        return true;
    }
    return false;
}

} // namespace mlps::kvcache
