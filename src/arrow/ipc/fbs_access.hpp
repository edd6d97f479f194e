// Reading flatbuffer vectors of scalars and structs without trusting their alignment.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstring>
#include <type_traits>

namespace legolasflux::arrow::detail {

// Element i of a flatbuffer vector of structs or scalars, copied out. The verifier checks a vector's
// length field but not that its elements are aligned for their type; a corrupt file can place them
// anywhere, so they are never read in place.
template <class T>
T load_element(const flatbuffers::Vector<T>* v, flatbuffers::uoffset_t i) {
    static_assert(std::is_arithmetic_v<T> || std::is_enum_v<T>);
    T out;
    std::memcpy(&out, v->Data() + static_cast<size_t>(i) * sizeof(T), sizeof(T));
    return flatbuffers::EndianScalar(out);
}
template <class S>
S load_element(const flatbuffers::Vector<const S*>* v, flatbuffers::uoffset_t i) {
    static_assert(std::is_trivially_copyable_v<S>);
    S out;
    std::memcpy(static_cast<void*>(&out), v->Data() + static_cast<size_t>(i) * sizeof(S), sizeof(S));
    return out;
}

}  // namespace legolasflux::arrow::detail
