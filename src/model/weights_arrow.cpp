#include <cstring>

#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/weights.hpp"
#include "weights_internal.hpp"

namespace legolasflux {
namespace {

using arrow::DataType;
using arrow::Field;
using arrow::TypeId;

arrow::KeyValueMetadata extension(std::string_view name) {
    return {{"ARROW:extension:name", std::string(name)}, {"ARROW:extension:metadata", ""}};
}

// The element type a `vec` item field stores: its Arrow type's, or BFloat16 for UInt16 items named
// so by our extension.
std::optional<ElementType> element_type_of(const Field& item) {
    const DataType& t = item.type;
    if (const auto ext = item.extension_name(); ext && *ext == kBFloat16Extension) {
        if (t.id != TypeId::Int || t.bit_width != 16 || t.is_signed)
            throw FormatError("weights: the " + std::string(kBFloat16Extension) + " extension is on " +
                              arrow::to_string(t) + " values; it stores bfloat16 as uint16");
        return ElementType::BFloat16;
    }
    switch (t.id) {
        case TypeId::Bool: return ElementType::Bool;
        case TypeId::FloatingPoint:
            return t.precision == arrow::Precision::Half     ? ElementType::Float16
                   : t.precision == arrow::Precision::Single ? ElementType::Float32
                                                             : ElementType::Float64;
        case TypeId::Int:
            switch (t.bit_width) {
                case 8: return t.is_signed ? ElementType::Int8 : ElementType::UInt8;
                case 16: return t.is_signed ? ElementType::Int16 : ElementType::UInt16;
                case 32: return t.is_signed ? ElementType::Int32 : ElementType::UInt32;
                case 64: return t.is_signed ? ElementType::Int64 : ElementType::UInt64;
                default: return std::nullopt;
            }
        default: return std::nullopt;
    }
}

bool is_list(const DataType& t) { return t.id == TypeId::List || t.id == TypeId::LargeList; }

// A FlatArray struct's `vec` and `size` children: by name when named, else by position (Julia
// matches them by position).
std::pair<int, int> vec_and_size(const DataType& flat) {
    int vec = -1, size = -1;
    for (size_t i = 0; i < flat.children.size(); ++i) {
        if (flat.children[i].name == "vec") vec = static_cast<int>(i);
        if (flat.children[i].name == "size") size = static_cast<int>(i);
    }
    if (vec < 0 || size < 0) return {0, 1};
    return {vec, size};
}

[[noreturn]] void malformed(const std::string& what) { throw FormatError("weights: " + what); }

}  // namespace

arrow::DataType arrow_type(ElementType type) {
    switch (type) {
        case ElementType::Bool: return arrow::boolean();
        case ElementType::Int8: return arrow::int8();
        case ElementType::Int16: return arrow::int16();
        case ElementType::Int32: return arrow::int32();
        case ElementType::Int64: return arrow::int64();
        case ElementType::UInt8: return arrow::uint8();
        case ElementType::UInt16: return arrow::uint16();
        case ElementType::UInt32: return arrow::uint32();
        case ElementType::UInt64: return arrow::uint64();
        case ElementType::Float16: return arrow::float16();
        case ElementType::Float32: return arrow::float32();
        case ElementType::Float64: return arrow::float64();
        case ElementType::BFloat16: return arrow::uint16();
    }
    return arrow::null();
}

DataType weights_type(ElementType type, bool large_vec) {
    // Only a field carries metadata: BFloat16 is told from UInt16 by its item field.
    const Field vec_item =
        arrow::field("", arrow_type(type), false,
                     type == ElementType::BFloat16 ? extension(kBFloat16Extension) : arrow::KeyValueMetadata{});
    const DataType vec = large_vec ? arrow::large_list(vec_item) : arrow::list(vec_item);
    const DataType flat =
        arrow::struct_({arrow::field("vec", vec, false),
                        arrow::field("size", arrow::list(arrow::field("", arrow::int64(), false)), false)});
    return arrow::struct_(
        {arrow::field("weights", arrow::list(arrow::field("", flat, false, extension(kFlatArrayExtension))), false)});
}

Field weights_field(std::string name, ElementType type, bool nullable, bool large_vec) {
    return arrow::field(std::move(name), weights_type(type, large_vec), nullable, extension(kWeightsExtension));
}

bool is_weights_field(const Field& field) {
    if (field.type.id == TypeId::Null) return true;
    auto ext = field.extension_name();
    return ext && *ext == kWeightsExtension;
}

namespace {

arrow::ArrayPtr to_arrow(std::span<const Weights* const> rows, BFloat16Storage bfloat16,
                         std::vector<detail::Gathered>* gathered);

// The rows with BFloat16 ones widened to Float32, which holds every bfloat16 exactly.
arrow::ArrayPtr widened_to_arrow(std::span<const Weights* const> rows, std::vector<detail::Gathered>* gathered) {
    std::vector<Weights> widened;
    widened.reserve(rows.size());
    std::vector<const Weights*> pointers;
    for (const Weights* w : rows) {
        if (!w || w->element_type != ElementType::BFloat16) {
            pointers.push_back(w);
            continue;
        }
        std::vector<FlatArray> arrays;
        arrays.reserve(w->size());
        for (const auto& a : w->arrays) arrays.push_back(a.converted_to(ElementType::Float32));
        widened.emplace_back(ElementType::Float32, std::move(arrays));
        pointers.push_back(&widened.back());
    }
    // The arrays' buffers are shared: the column (or the gathered parts) keeps them alive.
    return to_arrow(pointers, BFloat16Storage::Native, gathered);
}

arrow::ArrayPtr to_arrow(std::span<const Weights* const> rows, BFloat16Storage bfloat16,
                         std::vector<detail::Gathered>* gathered) {
    if (bfloat16 == BFloat16Storage::Float32)
        for (const Weights* w : rows)
            if (w && w->element_type == ElementType::BFloat16) return widened_to_arrow(rows, gathered);
    std::optional<ElementType> type;
    int64_t arrays = 0, values = 0, dims = 0;
    for (const Weights* w : rows) {
        if (!w) continue;
        if (type && *type != w->element_type)
            throw InvalidArgument("rows of one weights column must share an element type; found " +
                                  std::string(element_type_name(*type)) + " and " +
                                  std::string(element_type_name(w->element_type)));
        type = w->element_type;
        arrays += static_cast<int64_t>(w->size());
        for (const auto& a : w->arrays) {
            values += a.element_count();
            dims += static_cast<int64_t>(a.size.size());
        }
    }
    const ElementType t = type.value_or(ElementType::Float32);
    const bool large = values > INT32_MAX;
    const DataType column_type = weights_type(t, large);
    const DataType& list_type = column_type.children[0].type;
    const DataType& flat_type = list_type.children[0].type;
    const int w = element_size(t);

    // The values of every array, one after another (Bool bit-packed, as Arrow stores it).
    arrow::Buffer value_buffer;
    if (t == ElementType::Bool) {
        value_buffer = arrow::Buffer::allocate((values + 7) / 8);
        int64_t bit = 0;
        for (const Weights* row : rows)
            if (row)
                for (const auto& a : row->arrays)
                    for (int64_t i = 0; i < a.element_count(); ++i, ++bit)
                        if (a.values.data()[i]) value_buffer.mutable_data()[bit >> 3] |= uint8_t(1u << (bit & 7));
    } else if (arrays == 1) {
        for (const Weights* row : rows)
            if (row) value_buffer = row->arrays[0].values;  // no copy
    } else if (gathered) {
        std::vector<arrow::Buffer> parts;
        for (const Weights* row : rows)
            if (row)
                for (const auto& a : row->arrays) parts.push_back(a.values);
        gathered->push_back(detail::gather(std::move(parts)));
        value_buffer = gathered->back().stand_in;
    } else {
        value_buffer = arrow::Buffer::allocate(values * w);
        uint8_t* out = value_buffer.mutable_data();
        for (const Weights* row : rows)
            if (row)
                for (const auto& a : row->arrays) {
                    if (a.byte_count()) std::memcpy(out, a.values.data(), static_cast<size_t>(a.byte_count()));
                    out += a.byte_count();
                }
    }
    auto vec_values = std::make_shared<arrow::Array>();
    vec_values->type = arrow_type(t);
    vec_values->length = values;
    vec_values->buffers = {arrow::Buffer(), value_buffer};

    std::vector<int64_t> vec_lengths, size_lengths, size_values, list_lengths;
    std::vector<bool> valid;
    bool any_null = false;
    for (const Weights* row : rows) {
        valid.push_back(row != nullptr);
        any_null |= row == nullptr;
        list_lengths.push_back(row ? static_cast<int64_t>(row->size()) : 0);
        if (!row) continue;
        for (const auto& a : row->arrays) {
            vec_lengths.push_back(a.element_count());
            size_lengths.push_back(static_cast<int64_t>(a.size.size()));
            size_values.insert(size_values.end(), a.size.begin(), a.size.end());
        }
    }
    (void)dims;
    auto vec = arrow::make_list(flat_type.children[0].type, vec_lengths, vec_values);
    auto size =
        arrow::make_list(flat_type.children[1].type, size_lengths, arrow::make_primitive(arrow::int64(), size_values));
    auto flat = arrow::make_struct(flat_type, arrays, {vec, size});
    auto list = arrow::make_list(list_type, list_lengths, flat, any_null ? valid : std::vector<bool>{});
    return arrow::make_struct(column_type, static_cast<int64_t>(rows.size()), {list},
                              any_null ? valid : std::vector<bool>{});
}

}  // namespace

arrow::ArrayPtr weights_to_arrow(std::span<const Weights* const> rows, BFloat16Storage bfloat16) {
    return to_arrow(rows, bfloat16, nullptr);
}

arrow::ArrayPtr detail::weights_to_arrow_gathered(std::span<const Weights* const> rows, BFloat16Storage bfloat16,
                                                  std::vector<detail::Gathered>& gathered) {
    return to_arrow(rows, bfloat16, &gathered);
}

std::optional<Weights> weights_from_arrow(const Field& field, const arrow::Array& column, int64_t row) {
    if (column.type.id == TypeId::Null || column.is_null(row)) return std::nullopt;
    const DataType& t = column.type;
    if (t.id != TypeId::Struct || t.children.size() != 1 || !is_list(t.children[0].type))
        malformed("column '" + field.name + "' is not a Weights struct {weights: list<FlatArray>}");
    const arrow::Array& list = *column.children[0];
    const int64_t list_row = column.offset + row;  // a struct's slot i is its children's slot offset + i
    if (list.is_null(list_row)) return std::nullopt;
    const DataType& flat_t = t.children[0].type.children[0].type;
    if (flat_t.id != TypeId::Struct || flat_t.children.size() != 2)
        malformed("a FlatArray is not a struct {vec, size}");
    const auto [vi, si] = vec_and_size(flat_t);
    const DataType& vec_t = flat_t.children[static_cast<size_t>(vi)].type;
    const DataType& size_t_ = flat_t.children[static_cast<size_t>(si)].type;
    if (!is_list(vec_t) || !is_list(size_t_)) malformed("FlatArray vec and size must be lists");
    const auto element = element_type_of(vec_t.children[0]);
    if (!element) malformed("unsupported element type " + arrow::to_string(vec_t.children[0].type));
    const DataType& dim_t = size_t_.children[0].type;
    if (dim_t.id != TypeId::Int || dim_t.bit_width != 64 || !dim_t.is_signed)
        malformed("FlatArray size must be a list of int64, found " + arrow::to_string(size_t_));

    const arrow::Array& flat = *list.children[0];
    const arrow::Array& vec = *flat.children[static_cast<size_t>(vi)];
    const arrow::Array& size = *flat.children[static_cast<size_t>(si)];
    const arrow::Array& values = *vec.children[0];
    const arrow::Array& dims = *size.children[0];

    const auto [first, last] = list.list_range(list_row);
    std::vector<FlatArray> arrays;
    arrays.reserve(static_cast<size_t>(last - first));
    const int w = element_size(*element);
    for (int64_t k = first; k < last; ++k) {
        const int64_t index = k - first;
        const int64_t slot = flat.offset + k;  // vec and size are children of the FlatArray struct
        if (flat.is_null(k) || vec.is_null(slot) || size.is_null(slot))
            malformed("array " + std::to_string(index) + " is null");
        const auto [v0, v1] = vec.list_range(slot);
        const auto [d0, d1] = size.list_range(slot);
        std::vector<int64_t> shape(static_cast<size_t>(d1 - d0));
        for (int64_t d = d0; d < d1; ++d) {
            if (dims.is_null(d)) malformed("array " + std::to_string(index) + " has a null dimension");
            shape[static_cast<size_t>(d - d0)] = dims.values<int64_t>()[d];
        }
        int64_t count = 1;
        for (int64_t d : shape)
            if (d < 0 || __builtin_mul_overflow(count, d, &count))
                malformed("array " + std::to_string(index) + " has an invalid size " + format_julia_size(shape));
        if (count != v1 - v0)
            malformed("array " + std::to_string(index) + " has size " + format_julia_size(shape) + " (" +
                      std::to_string(count) + " values) but holds " + std::to_string(v1 - v0) + " values");
        if (values.null_count > 0)
            for (int64_t v = v0; v < v1; ++v)
                if (values.is_null(v)) malformed("array " + std::to_string(index) + " has a null value");
        arrow::Buffer bytes;
        if (*element == ElementType::Bool) {
            bytes = arrow::Buffer::allocate(count);
            for (int64_t v = 0; v < count; ++v) bytes.mutable_data()[v] = values.bool_value(v0 + v) ? 1 : 0;
        } else {
            const int64_t start = (values.offset + v0) * w;
            bytes = values.buffers[1].slice(start, count * w);
            if (reinterpret_cast<uintptr_t>(bytes.data()) % static_cast<uintptr_t>(w) != 0)
                bytes = arrow::Buffer::copy_of(bytes.data(), bytes.size());
        }
        arrays.emplace_back(*element, std::move(shape), std::move(bytes));
    }
    return Weights(*element, std::move(arrays));
}

}  // namespace legolasflux
