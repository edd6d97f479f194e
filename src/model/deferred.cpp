#include "deferred.hpp"

#include <memory>
#include <utility>

#include "gathered.hpp"
#include "legolasflux/arrow/decompress.hpp"
#include "legolasflux/model.hpp"

namespace legolasflux::detail {

namespace {

class Deferring final : public arrow::Decompressor {
public:
    explicit Deferring(Deferral& deferral) : deferral_(deferral) {}

    arrow::Buffer decompress(const arrow::CompressedBuffer& b) override {
        static const std::string prefix = std::string(kWeightsColumn) + ".";
        if (!b.values_unread || b.decoded_size <= 0 || b.decoded_size < deferral_.from || !b.path.starts_with(prefix))
            return arrow::decompress(b.codec, b.frame.span(), b.decoded_size);
        DeferredBuffer d{std::string(b.path), b.codec, b.frame, reserved_address_space(b.decoded_size)};
        deferral_.buffers.push_back(d);
        return d.placeholder;
    }

private:
    Deferral& deferral_;
};

}  // namespace

arrow::ReadOptions deferring(arrow::ReadOptions options, Deferral& deferral) {
    options.decompressor = std::make_shared<Deferring>(deferral);
    return options;
}

}  // namespace legolasflux::detail
