// A tiny, bounds-checked reader of FlatBuffers tables: just enough to read the few Arrow message
// fields the byte-level tests look at. It shares no code with the library (which uses flatc's
// generated headers), so a mistake in our reader cannot hide the same mistake in our writer.
//
// Wire format recap: a buffer starts with a uint32 offset to the root table; a table starts with an
// int32 soffset, table_pos - soffset = its vtable; a vtable is uint16 vtable_size, uint16
// table_size, then one uint16 offset per field slot (0 = absent, i.e. the default). Reference
// fields (tables, strings, vectors) hold a uint32 offset relative to the field's own position.
// Strings and vectors start with a uint32 element count.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "support/bytes.hpp"

namespace lftest {

class FbTable {
public:
    FbTable(std::span<const uint8_t> buf, uint64_t pos) : buf_(buf), pos_(pos) {
        const int32_t soffset = load_le<int32_t>(buf_, pos_, "table soffset");
        const int64_t vt = static_cast<int64_t>(pos_) - soffset;
        if (vt < 0) throw ParseFailure("vtable before buffer start");
        vtable_ = static_cast<uint64_t>(vt);
        vtable_size_ = load_le<uint16_t>(buf_, vtable_, "vtable size");
        need(buf_, vtable_, vtable_size_, "vtable");
        if (vtable_size_ < 4 || vtable_size_ % 2) throw ParseFailure("bad vtable size");
    }

    static FbTable root(std::span<const uint8_t> buf) { return FbTable(buf, load_le<uint32_t>(buf, 0, "root offset")); }

    uint64_t position() const { return pos_; }
    std::span<const uint8_t> buffer() const { return buf_; }

    // Absolute position of a field's bytes, if the field is present.
    std::optional<uint64_t> field(int slot) const {
        const uint64_t entry = 4 + 2 * static_cast<uint64_t>(slot);
        if (entry + 2 > vtable_size_) return std::nullopt;
        const uint16_t off = load_le<uint16_t>(buf_, vtable_ + entry, "vtable entry");
        if (off == 0) return std::nullopt;
        return pos_ + off;
    }
    bool has(int slot) const { return field(slot).has_value(); }

    template <class T>
    T scalar(int slot, T default_value) const {
        const auto p = field(slot);
        return p ? load_le<T>(buf_, *p, "scalar field") : default_value;
    }

    std::optional<FbTable> table(int slot) const {
        const auto p = field(slot);
        if (!p) return std::nullopt;
        return FbTable(buf_, deref(*p));
    }

    std::optional<std::string> string(int slot) const {
        const auto p = field(slot);
        if (!p) return std::nullopt;
        return string_at(deref(*p));
    }

    struct Vector {
        uint64_t first = 0;  // position of element 0
        uint32_t count = 0;
    };
    std::optional<Vector> vector(int slot) const {
        const auto p = field(slot);
        if (!p) return std::nullopt;
        const uint64_t v = deref(*p);
        Vector out{v + 4, load_le<uint32_t>(buf_, v, "vector length")};
        return out;
    }

    // Elements of a vector of tables (empty when absent).
    std::vector<FbTable> tables(int slot) const {
        std::vector<FbTable> out;
        if (const auto v = vector(slot)) {
            need(buf_, v->first, 4ull * v->count, "table vector");
            for (uint32_t i = 0; i < v->count; ++i) out.emplace_back(buf_, deref(v->first + 4ull * i));
        }
        return out;
    }

    // A vector of structs of `stride` bytes: the positions of its elements (empty when absent).
    std::vector<uint64_t> structs(int slot, uint64_t stride) const {
        std::vector<uint64_t> out;
        if (const auto v = vector(slot)) {
            need(buf_, v->first, stride * v->count, "struct vector");
            for (uint32_t i = 0; i < v->count; ++i) out.push_back(v->first + stride * i);
        }
        return out;
    }

    std::string string_at(uint64_t pos) const {
        const uint32_t n = load_le<uint32_t>(buf_, pos, "string length");
        need(buf_, pos + 4, uint64_t{n} + 1, "string bytes");
        if (buf_[pos + 4 + n] != 0) throw ParseFailure("string without NUL terminator");
        return std::string(reinterpret_cast<const char*>(buf_.data() + pos + 4), n);
    }

private:
    uint64_t deref(uint64_t at) const { return at + load_le<uint32_t>(buf_, at, "offset field"); }

    std::span<const uint8_t> buf_;
    uint64_t pos_ = 0;
    uint64_t vtable_ = 0;
    uint16_t vtable_size_ = 0;
};

}  // namespace lftest
