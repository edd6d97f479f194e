// A model row's columns (other than its weights) as the Python values torch.load(weights_only=True)
// of torch 1.13 reads back: its unpickler refuses floats, bytes and any class but OrderedDict and
// torch's own, so numbers travel as 0-d tensors (TorchSaveOptions::with_columns).
#include <cstring>
#include <limits>

#include "legolasflux/errors.hpp"
#include "torch_save_internal.hpp"

namespace legolasflux::detail {
namespace {

namespace la = legolasflux::arrow;

// The dtype a number or bool of type `t` travels as; nullopt when `t` is not one.
std::optional<SafetensorsDtype> tensor_dtype(const la::DataType& t) {
    using D = SafetensorsDtype;
    if (t.id == la::TypeId::Bool) return D::BOOL;
    if (t.id == la::TypeId::FloatingPoint)
        return t.precision == la::Precision::Half ? D::F16 : t.precision == la::Precision::Single ? D::F32 : D::F64;
    if (t.id != la::TypeId::Int) return std::nullopt;
    if (!t.is_signed) return t.bit_width == 8 ? D::U8 : t.bit_width == 16 ? D::I32 : D::I64;  // torch: uint8 only
    return t.bit_width == 8 ? D::I8 : t.bit_width == 16 ? D::I16 : t.bit_width == 32 ? D::I32 : D::I64;
}

// Values [begin, end) of the number or bool array `a` as a storage of `dtype` (tensor_dtype's).
la::Buffer storage_of(const la::Array& a, int64_t begin, int64_t end, SafetensorsDtype dtype,
                      const std::string& where) {
    const int64_t n = end - begin;
    la::Buffer out = la::Buffer::allocate(n * dtype_size(dtype));
    uint8_t* dst = out.mutable_data();
    const la::DataType& t = a.type;
    if (t.id == la::TypeId::Bool) {
        for (int64_t i = 0; i < n; ++i) dst[i] = a.bool_value(begin + i) ? 1 : 0;
        return out;
    }
    const int width = t.id == la::TypeId::Int ? t.bit_width / 8 : t.fixed_width_bytes();
    const uint8_t* src = a.buffers[1].data() + (a.offset + begin) * width;
    if (width == dtype_size(dtype)) {
        std::memcpy(dst, src, static_cast<size_t>(n * width));
        return out;
    }
    // Unsigned integers wider than 8 bits, widened to a signed type of torch's.
    for (int64_t i = 0; i < n; ++i) {
        uint64_t v = 0;
        std::memcpy(&v, src + i * width, static_cast<size_t>(width));
        if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            throw UnsupportedError(where + ": the UInt64 value " + std::to_string(v) +
                                   " has no torch type (torch's integers are signed past 8 bits)");
        const int64_t s = static_cast<int64_t>(v);
        std::memcpy(dst + i * dtype_size(dtype), &s, static_cast<size_t>(dtype_size(dtype)));  // little endian
    }
    return out;
}

[[noreturn]] void refuse(const std::string& where, const la::DataType& t) {
    throw UnsupportedError(where + ": a " + la::to_string(t) +
                           " value has no form that torch.load(weights_only=True) reads (numbers, bools, strings, "
                           "lists and structs of them do)");
}

void pickle_value(PickledTensors& out, const la::Field& f, const la::Array& a, int64_t i, const std::string& where) {
    const la::DataType& t = f.type;
    if (f.dictionary) refuse(where, t);
    if (t.id == la::TypeId::Null || a.is_null(i)) return out.pickle.none();
    if (const auto dtype = tensor_dtype(t))
        return out.tensor(*dtype, {}, storage_of(a, i, i + 1, *dtype, where), where);
    switch (t.id) {
        case la::TypeId::Utf8:
        case la::TypeId::LargeUtf8:
        case la::TypeId::Utf8View: return out.pickle.string(a.bytes_value(i));
        case la::TypeId::List:
        case la::TypeId::LargeList:
        case la::TypeId::FixedSizeList: {
            const auto [begin, end] = a.list_range(i);
            const la::Field& item = t.children[0];
            const la::Array& items = *a.children[0];
            const auto found = item.dictionary ? std::nullopt : tensor_dtype(item.type);
            bool complete = found.has_value();
            for (int64_t k = begin; k < end && complete; ++k) complete = items.is_valid(k);
            if (complete) {
                const auto dtype = found.value_or(decltype(found)::value_type{});  // (g++ 12 warns on *found)
                return out.tensor(dtype, {end - begin}, storage_of(items, begin, end, dtype, where), where);
            }
            out.pickle.empty_list();
            if (begin == end) return;
            out.pickle.mark();
            for (int64_t k = begin; k < end; ++k)
                pickle_value(out, item, items, k, where + "[" + std::to_string(k - begin) + "]");
            out.pickle.append_items();
            return;
        }
        case la::TypeId::Struct: {
            out.pickle.empty_dict();
            if (t.children.empty()) return;
            out.pickle.mark();
            for (size_t k = 0; k < t.children.size(); ++k) {
                out.pickle.string(t.children[k].name);
                pickle_value(out, t.children[k], *a.children[k], a.offset + i, where + "." + t.children[k].name);
            }
            out.pickle.set_items();
            return;
        }
        default: refuse(where, t);
    }
}

// Another Weights column (an average of the weights, say): its arrays as a list of tensors.
void pickle_weights(PickledTensors& out, const la::Field& f, const la::Array& column, const std::string& where) {
    const std::optional<Weights> w = weights_from_arrow(f, column, 0);
    if (!w) return out.pickle.none();
    out.pickle.empty_list();
    if (w->size() == 0) return;
    out.pickle.mark();
    for (size_t k = 0; k < w->size(); ++k) {
        const FlatArray& a = (*w)[k];
        out.tensor(dtype_for(a.element_type), {a.size.rbegin(), a.size.rend()}, a.values,
                   where + "[" + std::to_string(k) + "]");
    }
    out.pickle.append_items();
}

}  // namespace

void pickle_columns(PickledTensors& out, const ModelRow& row) {
    const auto& fields = row.table.schema->fields;
    const auto& batch = row.table.batches.at(0);
    out.pickle.empty_dict();
    out.pickle.mark();
    for (size_t k = 0; k < fields.size(); ++k) {
        const la::Field& f = fields[k];
        if (f.name == kWeightsColumn || f.name == kWeightNamesColumn || f.name == kWeightDtypesColumn) continue;
        const std::string where = "column '" + f.name + "'";
        out.pickle.string(f.name);
        if (f.type.id != la::TypeId::Null && is_weights_field(f))
            pickle_weights(out, f, *batch.columns[k], where);
        else
            pickle_value(out, f, *batch.columns[k], 0, where);
    }
    out.pickle.set_items();
}

}  // namespace legolasflux::detail
