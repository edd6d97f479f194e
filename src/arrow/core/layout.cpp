#include "layout.hpp"

#include <initializer_list>

namespace legolasflux::arrow::detail {

namespace {

constexpr BufferSpec kValidity{BufferKind::Validity, 1};

int natural_align(int bytes) { return bytes >= 8 ? 8 : bytes >= 4 ? 4 : bytes >= 2 ? 2 : 1; }

Layout make(LayoutKind kind, ChildCount children, std::initializer_list<BufferSpec> buffers) {
    Layout l;
    l.kind = kind;
    l.children = children;
    for (const BufferSpec& b : buffers) l.buffers[l.n_buffers++] = b;
    return l;
}

// Offsets (and for list views sizes) of `width` bytes follow the validity bitmap; binary and
// string arrays add the data bytes they address.
Layout with_offsets(LayoutKind kind, ChildCount children, int width) {
    Layout l = make(kind, children, {kValidity, {BufferKind::Offsets, width}});
    if (kind == LayoutKind::VarBinary) l.buffers[l.n_buffers++] = {BufferKind::Data, 1};
    if (kind == LayoutKind::ListView) l.buffers[l.n_buffers++] = {BufferKind::Sizes, width};
    l.offset_width = width;
    return l;
}

}  // namespace

Layout layout_of(const DataType& type) {
    switch (type.id) {
        case TypeId::Null: return make(LayoutKind::Null, ChildCount::None, {});
        case TypeId::Bool: {
            Layout l = make(LayoutKind::Bitmap, ChildCount::None, {kValidity, {BufferKind::Values, 1}});
            l.value_width = 1;
            return l;
        }
        case TypeId::Int:
        case TypeId::FloatingPoint:
        case TypeId::Decimal:
        case TypeId::Date:
        case TypeId::Time:
        case TypeId::Timestamp:
        case TypeId::Duration:
        case TypeId::Interval:
        case TypeId::FixedSizeBinary: {
            const int width = type.fixed_width_bytes();
            const int align = type.id == TypeId::FixedSizeBinary ? 1 : natural_align(width);
            Layout l = make(LayoutKind::FixedWidth, ChildCount::None, {kValidity, {BufferKind::Values, align}});
            l.value_width = width;
            return l;
        }
        case TypeId::Utf8:
        case TypeId::Binary: return with_offsets(LayoutKind::VarBinary, ChildCount::None, 4);
        case TypeId::LargeUtf8:
        case TypeId::LargeBinary: return with_offsets(LayoutKind::VarBinary, ChildCount::None, 8);
        case TypeId::Utf8View:
        case TypeId::BinaryView: {
            Layout l = make(LayoutKind::BinaryView, ChildCount::None, {kValidity, {BufferKind::Views, 8}});
            l.value_width = 16;
            return l;
        }
        case TypeId::List:
        case TypeId::Map: return with_offsets(LayoutKind::List, ChildCount::One, 4);
        case TypeId::LargeList: return with_offsets(LayoutKind::List, ChildCount::One, 8);
        case TypeId::ListView: return with_offsets(LayoutKind::ListView, ChildCount::One, 4);
        case TypeId::LargeListView: return with_offsets(LayoutKind::ListView, ChildCount::One, 8);
        case TypeId::FixedSizeList: return make(LayoutKind::FixedSizeList, ChildCount::One, {kValidity});
        case TypeId::Struct: return make(LayoutKind::Struct, ChildCount::PerField, {kValidity});
        case TypeId::Union:
            if (type.union_mode == UnionMode::Dense) {
                Layout l = make(LayoutKind::DenseUnion, ChildCount::PerField,
                                {{BufferKind::TypeIds, 1}, {BufferKind::Offsets, 4}});
                l.offset_width = 4;
                return l;
            }
            return make(LayoutKind::SparseUnion, ChildCount::PerField, {{BufferKind::TypeIds, 1}});
        case TypeId::RunEndEncoded: return make(LayoutKind::RunEndEncoded, ChildCount::Two, {});
    }
    return {};
}

const char* buffer_name(BufferKind kind) {
    // In BufferKind's order.
    static constexpr const char* kNames[] = {"validity", "values", "offsets", "sizes", "data", "views", "type ids"};
    return kNames[static_cast<int>(kind)];
}

}  // namespace legolasflux::arrow::detail
