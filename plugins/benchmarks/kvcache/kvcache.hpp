// kvcache: the KV-cache offload benchmark (a native successor of the MLPerf Storage v3
// KV-cache benchmark). Synthetic users send inference requests; each request reads earlier
// turns' KV, writes its own context's KV and re-reads it for decode, through a multi-tier
// cache over the spec's tiers with waterfall LRU demotion.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlps/benchmark.hpp>

#include "engine.hpp"
#include "worker.hpp"

namespace mlps::kvcache {

class KvCache final : public BenchmarkPlugin {
  public:
    KvCache(const Host &host, const Config &config);
    ~KvCache() override;

    void prepare() override;
    void run(mlps_phase phase) override;
    std::string report() override;
    static std::string plan(const Host &host, const Config &config);
    // Checks the options and reads the source's input in full (a fast pass) without creating
    // anything: bad input stops the run before any tier exists (ABI 1.1 validate hook).
    static void validate(const Host &host, const Config &config);

  private:
    void runPass(Pass pass, mlps_phase phase);
    // Preconditioning, then RAG ingestion, before warm-up (preconditioning.cpp).
    void runSetupPasses();

    Host host_;
    std::unique_ptr<Engine> engine_;
    std::vector<std::unique_ptr<Worker>> workers_; // after engine_: destroyed before it
};

// report.cpp
std::string buildReport(Engine &engine, const std::vector<std::string> &tierPlugins);
// report_features.cpp: prefix cache, RAG, preconditioning and autoscaler sections.
void addFeatureReport(Engine &engine,
                      nlohmann::ordered_json &summary,
                      std::vector<std::string> &headline);
// ... and their part of the --dry-run plan ("features"), with any warnings.
void addFeaturePlan(const Host &host,
                    const Settings &settings,
                    const Planner &planner,
                    nlohmann::ordered_json &plan,
                    nlohmann::ordered_json &warnings);
// plan.cpp
std::string buildPlan(const Host &host, const Config &config);
// validate.cpp: the settings, checked, and the source's summary (a fast pass over its input).
struct Validated {
    Settings settings;
    SourceSummary source;
};
Validated validateOptions(const Host &host, const Config &config);

} // namespace mlps::kvcache
