// The Legolas schemas the Legolas fuzz target reads against, and the seed generator writes rows of:
// every kind of value a record can hold (integers, floats, strings, lists, nested and optional
// records), a parent with a child that narrows and extends it, a required field, and checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "legolasflux/legolas/legolas.hpp"
#include "legolasflux/model.hpp"

namespace lffuzz {

struct ConfigV1 {
    int64_t seed = 0;
    float dropout_rate = 0;
};
LEGOLAS_RECORD(ConfigV1, "fuzz.config", 1, seed, dropout_rate);

struct RunV1 {
    int32_t epoch = 0;
    uint16_t batch = 0;
    double loss = 0;
    bool done = false;
    std::string name;
    std::vector<float> curve;
    std::vector<std::optional<int64_t>> maybe_ints;
    std::vector<std::string> tags;
    std::vector<std::vector<int32_t>> nested;
    ConfigV1 config;
    std::optional<ConfigV1> maybe_config;
    std::vector<ConfigV1> configs;
    std::optional<std::string> note;
};
LEGOLAS_RECORD(RunV1, "fuzz.run", 1, epoch, batch, loss, done, name, curve, maybe_ints, tags, nested, config,
               maybe_config, configs, note);
inline void legolas_check(legolasflux::legolas::tag<RunV1>, const RunV1& r) {
    legolasflux::legolas::check(r.epoch >= 0, "epoch >= 0");
}

struct LabeledRunV1 : RunV1 {
    std::optional<std::string> label;
};
LEGOLAS_RECORD_EXTENDS(LabeledRunV1, "fuzz.labeled-run", 1, RunV1, LEGOLAS_REQUIRED(label));

// A model row as a team would extend it.
struct TrainedModelV1 : legolasflux::ModelV1 {
    std::optional<int64_t> epoch;
    std::optional<float> accuracy;
    std::optional<std::string> commit_sha;
};
LEGOLAS_RECORD_EXTENDS(TrainedModelV1, "fuzz.trained-model", 1, legolasflux::ModelV1, epoch, accuracy, commit_sha);

// Registers every schema above (a record is declared on first use).
inline void declare_schemas() {
    using legolasflux::legolas::ensure_declared;
    ensure_declared<ConfigV1>();
    ensure_declared<RunV1>();
    ensure_declared<LabeledRunV1>();
    ensure_declared<legolasflux::ModelV1>();
    ensure_declared<TrainedModelV1>();
}

}  // namespace lffuzz
