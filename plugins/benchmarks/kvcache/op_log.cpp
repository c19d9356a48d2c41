#include "op_log.hpp"

#include <cerrno>
#include <cstring>

#include <mlps/plugin.hpp>

namespace mlps::kvcache {

OpLog::~OpLog() {
    close();
}

void OpLog::open(const std::string &path) {
    close();
    file_ = std::fopen(path.c_str(), "w");
    if (file_ == nullptr) {
        throw Error("option 'op_log': cannot create " + path + ": " + std::strerror(errno),
                    MLPS_E_INVALID,
                    errno);
    }
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
    std::fputs("time_us,request,op,tier,key,bytes,phase\n", file_);
}

void OpLog::write(uint64_t timeUs,
                  uint64_t request,
                  const Plan &plan,
                  size_t firstStep,
                  const std::string *tierNames) {
    if (file_ == nullptr) {
        return;
    }
    for (size_t i = firstStep; i < plan.steps.size(); ++i) {
        const Step &s = plan.steps[i];
        const Placement &p = *s.target;
        const char *op = "read";
        std::string tier = tierNames[p.tier];
        switch (s.kind) {
        case StepKind::Read:
            break;
        case StepKind::Write:
            op = "write";
            break;
        case StepKind::Delete:
            op = "delete";
            break;
        case StepKind::Move:
            op = s.phase == OpPhase::Promote ? "promote" : "demote";
            tier += '>';
            tier += tierNames[s.dest->tier];
            break;
        }
        std::fprintf(file_,
                     "%llu,%llu,%s,%s,%s,%llu,%s\n",
                     static_cast<unsigned long long>(timeUs),
                     static_cast<unsigned long long>(request),
                     op,
                     tier.c_str(),
                     p.key.c_str(),
                     static_cast<unsigned long long>(p.size),
                     opPhaseName(s.phase));
    }
}

void OpLog::close() {
    if (file_ != nullptr) {
        std::fclose(file_);
        file_ = nullptr;
    }
}

} // namespace mlps::kvcache
