// legolasflux::flux: every Flux layer as a LibTorch module (conventions: flux_layer.hpp).
#pragma once

#include "legolasflux/torch/flux_activations.hpp"
#include "legolasflux/torch/flux_attention.hpp"
#include "legolasflux/torch/flux_basic.hpp"
#include "legolasflux/torch/flux_conv.hpp"
#include "legolasflux/torch/flux_layer.hpp"
#include "legolasflux/torch/flux_layers.hpp"
#include "legolasflux/torch/flux_model.hpp"
#include "legolasflux/torch/flux_normalise.hpp"
#include "legolasflux/torch/flux_options.hpp"
#include "legolasflux/torch/flux_pooling.hpp"
#include "legolasflux/torch/flux_recurrent.hpp"
