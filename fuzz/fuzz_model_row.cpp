// read_model_row, untyped, on the bytes of a model file: the one-row Legolas table of the most
// derived registered schema, validated, with its weights decoded. Every value of every weight array
// is then read and converted, and the row is read again as a typed record when its schema allows.
// Mutated bytes fail the checksums our writer records (of the weight values and of the rest of the
// file), so the deep checks run on a read that skips verification; the verifying read (the default) runs too, under the
// bare contract, and must give the same row when it succeeds.
#include <cmath>
#include <cstring>
#include <optional>

#include "fuzz_common.hpp"
#include "fuzz_schemas.hpp"
#include "legolasflux/read_into.hpp"

namespace {

using namespace legolasflux;

ModelReadOptions unverified() {
    ModelReadOptions o;
    o.verify_checksums = false;
    o.verify_metadata = false;
    return o;
}

void touch_weights(const Weights& w) {
    for (const FlatArray& a : w.arrays) {
        if (a.element_type != w.element_type)
            lffuzz::finding("a weight array's element type differs from its Weights'");
        if (a.element_count() * element_size(a.element_type) != a.byte_count())
            lffuzz::finding("a weight array's size does not match its bytes");
        double sum = 0;
        for (double v : a.to_doubles()) sum += std::isfinite(v) ? v : 0;
        (void)a.converted_to(ElementType::Float32);
        (void)sum;
    }
}

template <legolas::Record R>
void read_typed(const ModelRow& row, const arrow::Buffer& bytes) {
    if (!legolas::default_registry().descends_from(row.schema_version, legolas::schema_version_of<R>())) return;
    lffuzz::check(
        [&] {
            ModelRow again = detail::read_model_table(bytes, legolas::schema_version_of<R>(), unverified());
            return legolas::from_row<R>(again.table, 0);
        },
        [&](const R& r) {
            if (r.weights.has_value() != row.weights.has_value())
                lffuzz::finding("typed and untyped reads disagree on weights");
            if (r.weights && !(*r.weights == *row.weights))
                lffuzz::finding("typed and untyped reads give different weights");
        });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    lffuzz::declare_schemas();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const arrow::Buffer bytes = lffuzz::input_buffer(data, size);
    std::optional<ModelRow> unchecked;
    lffuzz::check([&] { return read_model_row(bytes, unverified()); },
                  [&](ModelRow row) {
                      if (row.table.num_rows() != 1)
                          lffuzz::finding("read_model_row returned a table without exactly one row");
                      lffuzz::exercise(row.table);
                      if (row.weights) touch_weights(*row.weights);
                      read_typed<ModelV1>(row, bytes);
                      read_typed<lffuzz::TrainedModelV1>(row, bytes);
                      unchecked = std::move(row);
                  });
    // Opened for reading the weights into place: compressed values that claim 8 MiB and more are
    // left undecoded (placeholders that fault if anything reads them), then decoded part by part.
    lffuzz::check(
        [&] { return open_model_row(bytes, unverified()); },
        [&](const OpenModelRow& open) {
            if (!open.arrays) {
                if (unchecked && unchecked->weights) lffuzz::finding("open_model_row lost the weights");
                return;
            }
            int64_t total = 0;
            for (const ArrayLayout& a : *open.arrays) total += a.byte_count;
            if (total > (int64_t{64} << 20)) return;  // claims beyond what a fuzzer can hold
            std::vector<std::vector<uint8_t>> into;
            for (const ArrayLayout& a : *open.arrays) into.emplace_back(static_cast<size_t>(a.byte_count));
            std::vector<std::span<uint8_t>> spans(into.begin(), into.end());
            lffuzz::check(
                [&] {
                    read_weights_into(open, spans);
                    return 0;
                },
                [&](int) {
                    if (!unchecked || !unchecked->weights || unchecked->weights->size() != into.size())
                        lffuzz::finding("read_weights_into read weights read_model_row refused");
                    for (size_t i = 0; i < into.size(); ++i)
                        if (std::memcmp(into[i].data(), (*unchecked->weights)[i].values.data(), into[i].size()) != 0)
                            lffuzz::finding("read_weights_into and read_model_row give different values");
                });
        });
    lffuzz::check([&] { return read_model_row(bytes); },
                  [&](const ModelRow& row) {
                      if (!unchecked)
                          lffuzz::finding("read_model_row accepted with checksums what it rejected without");
                      if (row.weights.has_value() != unchecked->weights.has_value() ||
                          (row.weights && !(*row.weights == *unchecked->weights)))
                          lffuzz::finding("read_model_row with and without checksums gives different weights");
                  });
    return 0;
}
