#include "workload.hpp"

#include <algorithm>
#include <cstdio>

namespace mlps::kvcache {

namespace {

constexpr uint64_t kPurposeUsers = 1;
constexpr uint64_t kPurposeUserStream = 2;
constexpr uint64_t kPurposeFeatures = 40;

void appendUser(uint32_t user, std::string &out) {
    char text[24];
    std::snprintf(text, sizeof text, "user_%04u", user);
    out += text;
}

} // namespace

std::vector<User> makeUsers(const Settings &s, uint64_t seed, uint32_t rank) {
    Rng rng(streamSeed(seed, kPurposeUsers, rank));
    double weights = 0;
    for (const auto &p : s.profiles) {
        weights += p.weight;
    }
    std::vector<User> users(s.users);
    for (uint32_t i = 0; i < s.users; ++i) {
        User &u = users[i];
        u.id = i;
        double pick = rng.uniform() * weights;
        int profile = 0;
        while (profile < kProfiles - 1 && pick >= s.profiles[profile].weight) {
            pick -= s.profiles[profile].weight;
            ++profile;
        }
        u.profile = static_cast<Profile>(profile);
        const double r = rng.uniform();
        double edge = 0;
        int qos = kQosClasses - 1;
        for (int q = 0; q < kQosClasses; ++q) {
            edge += s.qos[q].share;
            if (r < edge) {
                qos = q;
                break;
            }
        }
        u.qos = static_cast<Qos>(qos);
        const ProfileRanges &p = s.profiles[profile];
        u.contextLength = static_cast<uint32_t>(rng.randint(p.contextLo, p.contextHi));
        u.generationLength = static_cast<uint32_t>(rng.randint(p.genLo, p.genHi));
        u.thinkS = rng.uniform(p.thinkLo, p.thinkHi);
        u.rng = Rng(streamSeed(seed, kPurposeUserStream, (uint64_t{rank} << 32) | i));
    }
    return users;
}

void nextRequest(User &u, const Settings &s, Request &out) {
    out = Request{};
    out.user = u.id;
    out.qos = u.qos;
    out.userRequest = u.requests++;
    out.thinkNs = static_cast<uint64_t>(u.thinkS * u.rng.uniform(0.8, 1.2) * 1e9);
    const int64_t L = u.contextLength;
    const int64_t G = u.generationLength;
    out.context = static_cast<uint32_t>(u.rng.randint(std::max<int64_t>(1, L / 4), L));
    out.generation = static_cast<uint32_t>(u.rng.randint(std::max<int64_t>(1, G / 4), G));
    if (s.decodeOnly) {
        out.phase = RequestPhase::Decode;
        const uint64_t entries = uint64_t{s.users} * s.prepopulatePerUser;
        out.prepop = static_cast<uint32_t>(u.rng.next() % (entries == 0 ? 1 : entries));
        return;
    }
    out.phase =
        out.context >= s.prefillOnlyThreshold ? RequestPhase::Prefill : RequestPhase::PrefillDecode;
    if (!s.multiTurn) {
        return;
    }
    if (u.turn > 0 && (u.rng.uniform() < s.endConversation || u.turn >= s.maxTurns)) {
        u.turn = 0;
    }
    if (u.turn == 0) {
        ++u.conversations;
    }
    ++u.turn;
    out.conversation = u.conversations - 1;
    out.turn = u.turn;
}

void drawRequestFeatures(
    const Settings &s, uint64_t seed, uint32_t rank, uint32_t lane, uint64_t draw, Request &r) {
    const FeatureSettings &f = s.features;
    r.systemPrompt = 0;
    r.ragDoc = 0;
    if ((!f.prefix.enabled && !f.rag.enabled) || r.source == SourceKind::Mooncake ||
        r.source == SourceKind::Trace || r.phase == RequestPhase::Decode) {
        return;
    }
    Rng rng(streamSeed(
        seed, kPurposeFeatures, (uint64_t{rank} << 40) ^ (uint64_t{lane} << 20) ^ mix64(draw)));
    // Always the same number of draws, whatever is enabled: turning one feature off does not
    // change the other's choices.
    const double prefixRoll = rng.uniform();
    const uint64_t prompt = rng.next();
    const double ragRoll = rng.uniform();
    const uint64_t doc = rng.next();
    r.ragDraw = rng.next();
    if (f.prefix.enabled && prefixRoll < f.prefix.probability) {
        r.systemPrompt = 1 + static_cast<uint32_t>(prompt % f.prefix.prompts);
    }
    if (f.rag.enabled && f.rag.docs > 0 && ragRoll < f.rag.probability) {
        r.ragDoc = 1 + static_cast<uint32_t>(doc % f.rag.docs);
    }
}

void turnKey(uint32_t user, uint64_t conversation, uint32_t turn, std::string &out) {
    out = "conv_";
    appendUser(user, out);
    out += '_';
    out += std::to_string(conversation);
    out += "_turn_";
    out += std::to_string(turn);
}

void turnKeyOf(const Request &r, uint32_t turn, std::string &out) {
    if (r.source == SourceKind::ShareGpt) {
        out = "sharegpt_";
        out += std::to_string(r.conversation);
        out += "_turn_";
        out += std::to_string(turn);
        return;
    }
    turnKey(r.user, r.conversation, turn, out);
}

void blockKey(uint64_t hashId, std::string &out) {
    out = "block_";
    out += std::to_string(hashId);
}

void prepopKey(uint32_t index, std::string &out) {
    out = "prepop_";
    out += std::to_string(index);
}

void requestKey(const Request &r, const Settings &s, std::string &out) {
    if (r.phase == RequestPhase::Decode) {
        prepopKey(r.prepop, out);
    } else if (r.source == SourceKind::BurstGpt) {
        // The reference's trace_user_{idx % 1000}_req_{id:04d}: every row is a new entry.
        char text[64];
        std::snprintf(text,
                      sizeof text,
                      "trace_user_%llu_req_%04llu",
                      static_cast<unsigned long long>(r.item % 1000),
                      static_cast<unsigned long long>(r.item));
        out = text;
    } else if (s.multiTurn && r.turn > 0) {
        turnKeyOf(r, r.turn, out);
    } else {
        out.clear();
        appendUser(r.user, out);
        char text[32];
        std::snprintf(
            text, sizeof text, "_req_%06llu", static_cast<unsigned long long>(r.userRequest));
        out += text;
    }
}

} // namespace mlps::kvcache
