// torch.save files into value trees (torch_load.hpp): the zip archive and the legacy stream of
// pickles, both run through the pickle machine of torch_pickle.hpp, then every tensor checked
// against its storage and given its bytes.
#include "legolasflux/torch_load.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <unordered_map>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"
#include "torch_pickle.hpp"
#include "zip_reader.hpp"

namespace legolasflux {
namespace {

using detail::PicklePtr;
using detail::PickleStorage;
using detail::PickleValue;

constexpr int64_t kGiB = int64_t{1} << 30;

struct StorageType {
    std::string_view name;
    int size;                               // bytes per element
    std::optional<SafetensorsDtype> dtype;  // nullopt: a storage we skip over but do not read
};
constexpr StorageType kStorageTypes[] = {
    {"DoubleStorage", 8, SafetensorsDtype::F64}, {"FloatStorage", 4, SafetensorsDtype::F32},
    {"HalfStorage", 2, SafetensorsDtype::F16},   {"BFloat16Storage", 2, SafetensorsDtype::BF16},
    {"LongStorage", 8, SafetensorsDtype::I64},   {"IntStorage", 4, SafetensorsDtype::I32},
    {"ShortStorage", 2, SafetensorsDtype::I16},  {"CharStorage", 1, SafetensorsDtype::I8},
    {"ByteStorage", 1, SafetensorsDtype::U8},    {"BoolStorage", 1, SafetensorsDtype::BOOL},
    {"UntypedStorage", 1, SafetensorsDtype::U8}, {"ComplexFloatStorage", 8, std::nullopt},
    {"ComplexDoubleStorage", 16, std::nullopt},  {"ComplexHalfStorage", 4, std::nullopt},
    {"QInt8Storage", 1, std::nullopt},           {"QUInt8Storage", 1, std::nullopt},
    {"QInt32Storage", 4, std::nullopt},          {"QUInt4x2Storage", 1, std::nullopt},
    {"QUInt2x4Storage", 1, std::nullopt},
};

const StorageType& storage_type(const std::string& name) {
    for (const StorageType& t : kStorageTypes)
        if (t.name == name) return t;
    throw UnsupportedError("storages of type torch." + name + " are not supported");
}

// A key as text: strings as they are, other keys as Python writes them.
std::string key_text(const PickleValue& v, bool nested = false) {
    if (const auto* s = std::get_if<std::string>(&v.value)) return nested ? "'" + *s + "'" : *s;
    if (const auto* i = std::get_if<int64_t>(&v.value)) return std::to_string(*i);
    if (const auto* b = std::get_if<bool>(&v.value)) return *b ? "True" : "False";
    if (std::holds_alternative<detail::PickleNone>(v.value)) return "None";
    if (const auto* d = std::get_if<double>(&v.value)) {
        char buf[32];
        const auto r = std::to_chars(buf, buf + sizeof buf, *d);
        return std::string(buf, r.ptr);
    }
    if (const auto* t = std::get_if<detail::PickleTuple>(&v.value)) {
        std::string s = "(";
        for (size_t k = 0; k < t->items.size(); ++k) s += (k ? ", " : "") + key_text(*t->items[k], true);
        return s + (t->items.size() == 1 ? ",)" : ")");
    }
    return "<" + detail::describe(v) + ">";
}

// Decimal digits of a little-endian two's-complement integer.
std::string decimal(const std::string& bytes) {
    std::vector<uint8_t> mag(bytes.begin(), bytes.end());
    const bool negative = !mag.empty() && (mag.back() & 0x80);
    if (negative) {  // two's complement: invert and add one
        int carry = 1;
        for (uint8_t& b : mag) {
            const int v = static_cast<uint8_t>(~b) + carry;
            b = static_cast<uint8_t>(v);
            carry = v >> 8;
        }
    }
    std::string digits;
    while (std::any_of(mag.begin(), mag.end(), [](uint8_t b) { return b != 0; })) {
        int rem = 0;
        for (size_t i = mag.size(); i-- > 0;) {
            const int cur = rem * 256 + mag[i];
            mag[i] = static_cast<uint8_t>(cur / 10);
            rem = cur % 10;
        }
        digits.insert(digits.begin(), static_cast<char>('0' + rem));
    }
    if (digits.empty()) digits = "0";
    return negative ? "-" + digits : digits;
}

// The pickled tree as TorchValues, each tensor given its bytes by `record` (a storage's whole
// bytes by its key).
class Builder {
public:
    Builder(std::function<arrow::Buffer(const std::string&)> record, int64_t max_copied, size_t max_nodes)
        : record_(std::move(record)), copy_budget_(max_copied), node_budget_(max_nodes) {}

    TorchValue build(const PickleValue& v, const std::string& path) {
        if (node_budget_-- == 0)
            throw FormatError("values shared through the pickle's memo expand to more values than the file can hold");
        TorchValue out;
        using K = TorchValue::Kind;
        auto children = [&](K kind, const std::vector<PicklePtr>& items) {
            out.kind = kind;
            for (size_t k = 0; k < items.size(); ++k) add(out, std::to_string(k), *items[k], path);
        };
        if (std::holds_alternative<detail::PickleNone>(v.value)) {
            out.kind = K::None;
        } else if (const auto* b = std::get_if<bool>(&v.value)) {
            out.kind = K::Bool, out.boolean = *b;
        } else if (const auto* i = std::get_if<int64_t>(&v.value)) {
            out.kind = K::Int, out.integer = *i;
        } else if (const auto* big = std::get_if<detail::PickleBigInt>(&v.value)) {
            out.kind = K::BigInt, out.text = decimal(big->bytes);
        } else if (const auto* d = std::get_if<double>(&v.value)) {
            out.kind = K::Float, out.number = *d;
        } else if (const auto* s = std::get_if<std::string>(&v.value)) {
            out.kind = K::String, out.text = *s;
        } else if (const auto* bytes = std::get_if<detail::PickleBytes>(&v.value)) {
            out.kind = K::Bytes, out.text = bytes->bytes;
        } else if (const auto* g = std::get_if<detail::PickleGlobal>(&v.value)) {
            out.kind = K::Object, out.text = g->module + "." + g->name;
        } else if (const auto* t = std::get_if<detail::PickleTuple>(&v.value)) {
            children(K::Tuple, t->items);
        } else if (const auto* l = std::get_if<detail::PickleList>(&v.value)) {
            children(K::List, l->items);
        } else if (const auto* set = std::get_if<detail::PickleSet>(&v.value)) {
            children(K::Set, set->items);
        } else if (const auto* dict = std::get_if<detail::PickleDict>(&v.value)) {
            out.kind = K::Dict;
            for (const auto& [key, value] : dict->items) add(out, key_text(*key), *value, path);
        } else if (const auto* o = std::get_if<detail::PickleObject>(&v.value)) {
            out.kind = K::Object, out.text = o->type;
            // __dict__, or (__dict__, slots) as copyreg gives it.
            const PickleValue* state = o->state.get();
            if (const auto* pair = state ? std::get_if<detail::PickleTuple>(&state->value) : nullptr;
                pair && pair->items.size() == 2)
                state = pair->items[0].get();
            if (const auto* attrs = state ? std::get_if<detail::PickleDict>(&state->value) : nullptr)
                for (const auto& [key, value] : attrs->items) add(out, key_text(*key), *value, path);
            // Without attributes, what it was made from says what it is: torch.device('cuda', 0).
            const auto* args = o->args ? std::get_if<detail::PickleTuple>(&o->args->value) : nullptr;
            if (out.items.empty() && args && !args->items.empty()) add(out, "args", *o->args, path);
        } else if (const auto* storage = std::get_if<std::shared_ptr<PickleStorage>>(&v.value)) {
            out.kind = K::Object, out.text = "torch." + (*storage)->dtype;  // a storage itself, not a tensor
        } else if (const auto* tensor = std::get_if<detail::PickleTensor>(&v.value)) {
            out.kind = K::Tensor;
            out.tensor = materialize(*tensor, path);
        }
        return out;
    }

private:
    void add(TorchValue& parent, std::string key, const PickleValue& v, const std::string& path) {
        const std::string child_path = path.empty() ? key : path + "." + key;
        TorchValue child = build(v, child_path);
        parent.items.push_back({std::move(key), std::move(child)});
    }

    SafeTensor materialize(const detail::PickleTensor& t, const std::string& path) {
        const PickleStorage& st = *t.storage;
        const StorageType& type = storage_type(st.dtype);
        if (!type.dtype)
            throw UnsupportedError("`" + path + "` is a tensor of torch." + st.dtype +
                                   ", which is not read (F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL are)");
        SafeTensor out{path, *type.dtype, t.sizes, {}};
        std::string cache_key = st.key + "/" + std::to_string(st.offset + t.offset);
        for (size_t d = 0; d < t.sizes.size(); ++d)
            cache_key += "/" + std::to_string(t.sizes[d]) + ":" + std::to_string(t.strides[d]);
        if (const auto it = cache_.find(cache_key); it != cache_.end()) {
            out.data = it->second;
            return out;
        }
        const arrow::Buffer bytes = record_(st.key);
        const int64_t size = type.size;
        if (st.offset + st.numel > bytes.size() / size)  // offset and numel are checked non-negative
            throw FormatError("storage " + st.key + " of `" + path + "` claims " +
                              std::to_string(st.offset + st.numel) + " elements, but its data holds " +
                              std::to_string(bytes.size()) + " bytes");
        // The tensor's largest element index must lie inside its storage; no overflow on the way.
        if (t.offset < 0) throw FormatError("`" + path + "` has a negative storage offset");
        int64_t last = t.offset, count = 1;
        bool empty = false, contiguous = true;
        for (size_t d = 0; d < t.sizes.size(); ++d) {
            if (t.sizes[d] < 0 || t.strides[d] < 0) throw FormatError("`" + path + "` has a negative size or stride");
            if (t.sizes[d] == 0) empty = true;
            if (__builtin_mul_overflow(count, t.sizes[d], &count) || count > (int64_t{1} << 56))
                throw FormatError("`" + path + "` has too many elements");
        }
        if (!empty) {
            int64_t expected = 1;
            for (size_t d = t.sizes.size(); d-- > 0;) {
                int64_t extent = 0;
                if (__builtin_mul_overflow(t.sizes[d] - 1, t.strides[d], &extent) ||
                    __builtin_add_overflow(last, extent, &last))
                    throw FormatError("`" + path + "` reaches past any storage");
                if (t.sizes[d] != 1 && t.strides[d] != expected) contiguous = false;
                expected *= t.sizes[d];
            }
            if (last >= st.numel)
                throw FormatError("`" + path + "` reaches element " + std::to_string(last) + " of storage " + st.key +
                                  ", which has " + std::to_string(st.numel));
        }
        const int64_t base = (st.offset + t.offset) * size;
        if (empty || contiguous) {
            out.data = bytes.slice(empty ? 0 : base, empty ? 0 : count * size);
        } else {
            if (count * size > copy_budget_)
                throw FormatError("`" + path + "` is a strided view of " + std::to_string(count * size) +
                                  " bytes, more than this file's tensors may be copied into (" +
                                  std::to_string(copy_budget_) + " bytes left; TorchReadOptions::max_copied_bytes)");
            copy_budget_ -= count * size;
            out.data = gather(bytes.data() + base, t.sizes, t.strides, count, size);
        }
        cache_.emplace(std::move(cache_key), out.data);
        return out;
    }

    static arrow::Buffer gather(const uint8_t* base, const std::vector<int64_t>& sizes,
                                const std::vector<int64_t>& strides, int64_t count, int64_t size) {
        arrow::Buffer out = arrow::Buffer::allocate(count * size);
        uint8_t* dst = out.mutable_data();
        std::vector<int64_t> index(sizes.size(), 0);
        int64_t at = 0;  // element offset of `index`
        for (int64_t n = 0; n < count; ++n) {
            std::memcpy(dst + n * size, base + at * size, static_cast<size_t>(size));
            for (size_t d = sizes.size(); d-- > 0;) {  // the next index, row-major
                if (++index[d] < sizes[d]) {
                    at += strides[d];
                    break;
                }
                at -= (sizes[d] - 1) * strides[d];
                index[d] = 0;
            }
        }
        return out;
    }

    std::function<arrow::Buffer(const std::string&)> record_;
    int64_t copy_budget_;
    size_t node_budget_;
    std::unordered_map<std::string, arrow::Buffer> cache_;
};

int64_t copy_budget(const TorchReadOptions& options, const arrow::Buffer& file) {
    return options.max_copied_bytes > 0 ? options.max_copied_bytes : file.size() + kGiB;
}

// Every record lies under one folder, the archive's name (the file's stem when it was saved).
std::string archive_prefix(const detail::ZipReader& zip) {
    if (zip.entries().empty()) throw FormatError("an empty zip archive, not a file saved by torch.save");
    const std::string& first = zip.entries().front().name;
    return first.substr(0, first.find('/') + 1);
}

bool is_torchscript(const detail::ZipReader& zip, const std::string& prefix) {
    for (const auto& e : zip.entries())
        if (e.name == prefix + "constants.pkl" || e.name.starts_with(prefix + "code/")) return true;
    return false;
}

TorchValue read_zip(const arrow::Buffer& file, const TorchReadOptions& options) {
    const detail::ZipReader zip(file);
    const std::string prefix = archive_prefix(zip);
    const std::string& first = zip.entries().front().name;
    const auto* pickle = zip.find(prefix + "data.pkl");
    if (is_torchscript(zip, prefix))
        throw UnsupportedError(
            "a TorchScript archive (torch.jit.save), not a torch.save file: its module's tensors are read by "
            "the torch adapter (`legolasflux convert` runs legolasflux-torch for it)");
    if (!pickle || prefix.empty())
        throw FormatError("a zip archive without the data.pkl record of torch.save (entries: " + first + ", …)");
    if (const auto* order = zip.find(prefix + "byteorder")) {
        const auto text = zip.read(*order).as_string_view();
        if (text != "little")
            throw UnsupportedError("saved with byte order '" + std::string(text) +
                                   "'; only little-endian files are read");
    }
    const arrow::Buffer pickle_bytes = zip.read(*pickle);
    const PicklePtr root = detail::unpickle(pickle_bytes.as_string_view(), prefix + "data.pkl");
    auto record = [&zip, &prefix](const std::string& key) {
        const auto* e = zip.find(prefix + "data/" + key);
        if (!e) throw FormatError("the archive has no record data/" + key + " for storage " + key);
        return zip.read(*e);
    };
    Builder builder(record, copy_budget(options, file), 4 * pickle_bytes.span().size() + 1000);
    return builder.build(*root, "");
}

// The legacy stream's storages, in their keys' list order: an 8-byte element count, then the bytes.
std::map<std::string, arrow::Buffer> legacy_storages(const arrow::Buffer& file, size_t at, const PickleValue& keys,
                                                     const std::map<std::string, std::string>& dtypes) {
    const auto* list = std::get_if<detail::PickleList>(&keys.value);
    if (!list) throw FormatError("the list of storage keys is " + detail::describe(keys));
    std::map<std::string, arrow::Buffer> out;
    const auto size = static_cast<size_t>(file.size());
    for (const auto& item : list->items) {
        const auto* key = std::get_if<std::string>(&item->value);
        if (!key) throw FormatError("a storage key is " + detail::describe(*item));
        const auto dtype = dtypes.find(*key);
        if (dtype == dtypes.end()) throw FormatError("storage " + *key + " is listed but no value uses it");
        if (size - at < 8) throw FormatError("the file ends before storage " + *key + " (truncated?)");
        uint64_t count = 0;
        for (int i = 7; i >= 0; --i) count = (count << 8) | file.data()[at + static_cast<size_t>(i)];
        at += 8;
        const auto element = static_cast<uint64_t>(storage_type(dtype->second).size);
        if (count > (size - at) / element)
            throw FormatError("storage " + *key + " claims " + std::to_string(count) + " elements but the file has " +
                              std::to_string(size - at) + " bytes left (truncated?)");
        if (!out.emplace(*key, file.slice(static_cast<int64_t>(at), static_cast<int64_t>(count * element))).second)
            throw FormatError("storage " + *key + " is listed twice");
        at += count * element;
    }
    return out;
}

// Every storage the tree refers to, by key, with its dtype.
void collect_storages(const PickleValue& v, std::map<std::string, std::string>& out) {
    std::vector<const PickleValue*> todo{&v};
    while (!todo.empty()) {
        const PickleValue* p = todo.back();
        todo.pop_back();
        auto note = [&out](const PickleStorage& s) { out.emplace(s.key, s.dtype); };
        if (const auto* t = std::get_if<detail::PickleTensor>(&p->value)) note(*t->storage);
        if (const auto* s = std::get_if<std::shared_ptr<PickleStorage>>(&p->value)) note(**s);
        for (const PickleValue* c : detail::children(*p)) todo.push_back(c);
    }
}

TorchValue read_legacy(const arrow::Buffer& file, const TorchReadOptions& options) {
    const std::string_view bytes = file.as_string_view();
    size_t at = 0;
    auto next = [&](const char* what) {
        size_t used = 0;
        PicklePtr v = detail::unpickle(bytes.substr(at), std::string("the legacy format's ") + what, &used);
        at += used;
        return v;
    };
    // 0x1950a86a20f9469cfc6c, little-endian
    static const std::string kMagic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
    const PicklePtr magic = next("magic number");
    const auto* big = std::get_if<detail::PickleBigInt>(&magic->value);
    if (!big || big->bytes != kMagic)
        throw FormatError(
            "a pickle that does not start with torch.save's magic number: not a file saved by torch.save");
    const PicklePtr version = next("protocol version");
    const auto* v = std::get_if<int64_t>(&version->value);
    if (!v || *v != 1001)
        throw UnsupportedError("torch.save's legacy format of protocol " + (v ? std::to_string(*v) : "?") +
                               " (only 1001 is read)");
    const PicklePtr info = next("system information");
    if (const auto* dict = std::get_if<detail::PickleDict>(&info->value))
        for (const auto& [key, value] : dict->items)
            if (key_text(*key) == "little_endian" && std::holds_alternative<bool>(value->value) &&
                !std::get<bool>(value->value))
                throw UnsupportedError("saved on a big-endian machine; only little-endian files are read");
    const PicklePtr root = next("object");
    const size_t object_size = at;
    const PicklePtr keys = next("storage keys");
    std::map<std::string, std::string> dtypes;
    collect_storages(*root, dtypes);
    const auto storages = legacy_storages(file, at, *keys, dtypes);
    auto record = [&storages](const std::string& key) {
        const auto it = storages.find(key);
        if (it == storages.end()) throw FormatError("storage " + key + " is used but not in the file");
        return it->second;
    };
    Builder builder(record, copy_budget(options, file), 4 * object_size + 1000);
    return builder.build(*root, "");
}

}  // namespace

TorchFileKind torch_file_kind(const std::filesystem::path& path) {
    const arrow::Buffer file = arrow::read_whole_file(path);
    const auto head = file.span().first(std::min<size_t>(file.span().size(), 8));
    if (!head.empty() && head[0] == 0x80) return TorchFileKind::Legacy;
    if (!detail::looks_like_zip(head)) return TorchFileKind::Unknown;
    try {
        const detail::ZipReader zip(file);
        return is_torchscript(zip, archive_prefix(zip)) ? TorchFileKind::TorchScript : TorchFileKind::Zip;
    } catch (const Error&) {
        return TorchFileKind::Unknown;
    }
}

TorchFile read_torch_file(const arrow::Buffer& file, const TorchReadOptions& options) {
    const auto head = file.span().first(std::min<size_t>(file.span().size(), 8));
    if (detail::looks_like_zip(head)) return {read_zip(file, options), "zip"};
    if (!head.empty() && head[0] == 0x80) return {read_legacy(file, options), "legacy"};
    if (file.as_string_view().starts_with("ARROW1"))
        throw FormatError("an Arrow file, not a file saved by torch.save (is its extension wrong?)");
    throw FormatError(file.size() == 0 ? std::string("an empty file, not a file saved by torch.save")
                                       : "not a file saved by torch.save (neither a zip archive nor a pickle)");
}

TorchFile read_torch_file(const std::filesystem::path& path, const TorchReadOptions& options) {
    const arrow::Buffer file = arrow::read_whole_file(path);
    const std::string where = path.string();
    try {
        return read_torch_file(file, options);
    } catch (const UnsupportedError& e) {
        throw UnsupportedError(where + ": " + e.what());
    } catch (const FormatError& e) {
        throw FormatError(where + ": " + e.what());
    }
}

}  // namespace legolasflux
