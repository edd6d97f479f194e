// The schemas of the digits example, as LegolasFlux.jl's examples/digits.jl declares them:
//   digits-config@1                             seed::Int = 5, dropout_rate::Float32 = 0
//   digits.model@1 > legolas-flux.model@1       config, epoch::Union{Missing,Int}, accuracy::Union{Missing,Float32}
#pragma once

#include <legolasflux/model.hpp>

#include "digits_model.hpp"

namespace digits {

LEGOLAS_RECORD(DigitsConfigV1, "digits-config", 1, seed, dropout_rate);

struct DigitsRowV1 : legolasflux::ModelV1 {
    DigitsConfigV1 config;
    std::optional<int64_t> epoch;
    std::optional<float> accuracy;
};
LEGOLAS_RECORD_EXTENDS(DigitsRowV1, "digits.model", 1, legolasflux::ModelV1, config, epoch, accuracy);

}  // namespace digits
