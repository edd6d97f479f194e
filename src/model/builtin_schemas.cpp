// declare_builtin_schemas (model.hpp): every schema this library defines, in one place.
#include "legolasflux/checkpoints.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/sharded.hpp"
#include "legolasflux/training_state.hpp"

namespace legolasflux {

void declare_builtin_schemas() {
    legolas::ensure_declared<ModelV1>();
    declare_checkpoint_index_schema();
    legolas::ensure_declared<TrainingStateV1>();
    legolas::ensure_declared<ShardV1>();
    legolas::ensure_declared<ShardIndexV1>();
}

}  // namespace legolasflux
