// LegolasFlux for C++: everything but the optional LibTorch adapter (legolasflux/torch/…).
#pragma once

#include "legolasflux/errors.hpp"
#include "legolasflux/integrity.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/weights.hpp"
