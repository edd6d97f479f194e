#include "legolasflux/arrow/buffer.hpp"

#include <cstdlib>
#include <new>

#include "legolasflux/errors.hpp"

namespace legolasflux::arrow {

Buffer Buffer::allocate(int64_t size) {
    if (size < 0) throw InvalidArgument("cannot allocate a buffer of negative size " + std::to_string(size));
    // Padded to 64 bytes so that SIMD-width reads past the end stay inside the allocation.
    const size_t padded = (static_cast<size_t>(size) + 63) & ~size_t{63};
    void* memory = std::aligned_alloc(64, padded == 0 ? 64 : padded);
    if (memory == nullptr) throw std::bad_alloc();
    std::memset(memory, 0, padded == 0 ? 64 : padded);
    std::shared_ptr<const void> owner(memory, [](const void* p) { std::free(const_cast<void*>(p)); });
    return Buffer(std::move(owner), static_cast<const uint8_t*>(memory), size);
}

Buffer Buffer::copy_of(const void* data, int64_t size) {
    Buffer b = allocate(size);
    if (size > 0) std::memcpy(b.mutable_data(), data, static_cast<size_t>(size));
    return b;
}

Buffer Buffer::from_vector(std::vector<uint8_t> bytes) {
    auto owner = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
    const uint8_t* data = owner->data();
    const auto size = static_cast<int64_t>(owner->size());
    return Buffer(std::shared_ptr<const void>(owner, data), data, size);
}

}  // namespace legolasflux::arrow
