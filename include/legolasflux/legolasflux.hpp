// LegolasFlux for C++, the usual headers in one: model rows (model.hpp), their weights
// (weights.hpp), file integrity (integrity.hpp) and the errors (errors.hpp). Everything else is one
// feature, one header, included by name: checkpoints.hpp, read_into.hpp, safetensors.hpp,
// safetensors_model.hpp, safetensors_shards.hpp, torch_save.hpp, torch_load.hpp, sharded.hpp,
// temporaries.hpp, training_state.hpp, flux_text.hpp, npy.hpp; legolas/legolas.hpp (schemas),
// arrow/*.hpp (the Arrow format), and the optional LibTorch adapter, torch/*.hpp.
#pragma once

#include "legolasflux/errors.hpp"
#include "legolasflux/integrity.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/weights.hpp"
