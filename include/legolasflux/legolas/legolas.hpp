// The legolas layer: versioned, extensible table schemas compatible with Julia's Legolas.jl 0.5.
#pragma once

#include "legolasflux/legolas/compliance.hpp"
#include "legolasflux/legolas/constraint.hpp"
#include "legolasflux/legolas/declaration.hpp"
#include "legolasflux/legolas/declaration_json.hpp"
#include "legolasflux/legolas/record.hpp"
#include "legolasflux/legolas/schema_version.hpp"
#include "legolasflux/legolas/table_io.hpp"
#include "legolasflux/legolas/value_traits.hpp"
