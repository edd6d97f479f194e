// Buffer: an immutable view of bytes whose lifetime is shared. A buffer may own a heap allocation, a
// slice of a larger buffer, or a region of a memory-mapped file; whoever holds a Buffer keeps the
// underlying memory alive.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace legolasflux::arrow {

class Buffer {
public:
    Buffer() = default;
    // A view of `size` bytes at `data`, kept alive by `owner` (may be null for static memory).
    Buffer(std::shared_ptr<const void> owner, const uint8_t* data, int64_t size)
        : owner_(std::move(owner)), data_(data), size_(size) {}

    // A fresh zero-filled allocation, 64-byte aligned and padded to a multiple of 64 bytes.
    static Buffer allocate(int64_t size);
    // A fresh aligned copy of `size` bytes.
    static Buffer copy_of(const void* data, int64_t size);
    static Buffer copy_of(std::string_view bytes) { return copy_of(bytes.data(), static_cast<int64_t>(bytes.size())); }
    template <class T>
    static Buffer copy_of(std::span<const T> values) {
        return copy_of(values.data(), static_cast<int64_t>(values.size_bytes()));
    }
    template <class T>
    static Buffer copy_of(const std::vector<T>& values) {
        return copy_of(std::span<const T>(values));
    }
    // Takes over a vector's storage without copying.
    static Buffer from_vector(std::vector<uint8_t> bytes);

    const uint8_t* data() const noexcept { return data_; }
    int64_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const std::shared_ptr<const void>& owner() const noexcept { return owner_; }

    // Writable access, for buffers this process has just allocated and not yet shared.
    uint8_t* mutable_data() const noexcept { return const_cast<uint8_t*>(data_); }

    // A view of [offset, offset + length); the caller has checked the bounds.
    Buffer slice(int64_t offset, int64_t length) const { return Buffer(owner_, data_ + offset, length); }

    std::string_view as_string_view() const noexcept {
        return {reinterpret_cast<const char*>(data_), static_cast<size_t>(size_)};
    }
    std::span<const uint8_t> span() const noexcept { return {data_, static_cast<size_t>(size_)}; }

private:
    std::shared_ptr<const void> owner_;
    const uint8_t* data_ = nullptr;
    int64_t size_ = 0;
};

// Bytes are equal (ownership and address are not compared).
inline bool same_bytes(const Buffer& a, const Buffer& b) {
    return a.size() == b.size() &&
           (a.size() == 0 || std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size())) == 0);
}

}  // namespace legolasflux::arrow
