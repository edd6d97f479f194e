// The pickle machine of torch_pickle.hpp. Opcodes follow Python's pickle protocol (pickletools
// documents each); those of protocols 2 to 5 that build values are accepted, not those that read
// text (protocol 0), extension registries or out-of-band buffers.
#include "torch_pickle.hpp"

#include <bit>
#include <cstring>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "legolasflux/errors.hpp"

namespace legolasflux::detail {
namespace {

// Limits against hostile pickles: a state dict of a large model has a few thousand entries.
constexpr size_t kMaxStack = 1'000'000;
constexpr size_t kMaxMemo = 10'000'000;
constexpr int64_t kMaxDims = 64;
constexpr size_t kMaxDepth = 1000;     // of the value returned: its destruction recurses that deep
constexpr uint64_t kMaxBigInt = 1024;  // bytes of an integer beyond int64 (LONG4)

bool is_set_class(const std::string& qualified) {
    return qualified == "builtins.set" || qualified == "__builtin__.set" || qualified == "builtins.frozenset" ||
           qualified == "__builtin__.frozenset";
}

class Machine {
public:
    Machine(std::string_view bytes, const std::string& where) : in_(bytes), where_(where) {}
    size_t consumed() const noexcept { return pos_; }
    // The memo lets a pickle put a list or dict into itself; shared ownership alone would then
    // never free it. Every container that the returned value does not hold is emptied here, which
    // breaks such cycles, and frees values nested however deep without recursing (the returned
    // value has no cycle and a bounded depth: finish() checks).
    ~Machine() { break_cycles(); }
    Machine(const Machine&) = delete;
    Machine& operator=(const Machine&) = delete;

    PicklePtr run() {
        for (;;) {
            const uint8_t op = byte();
            switch (op) {
                case 0x80: (void)byte(); break;                               // PROTO
                case 0x95: (void)take(8); break;                              // FRAME: a hint only
                case '.': return finish();                                    // STOP
                case '(': marks_.push_back(stack_.size()); break;             // MARK
                case ')': push(PickleTuple{}); break;                         // EMPTY_TUPLE
                case ']': push(PickleList{}); break;                          // EMPTY_LIST
                case '}': push(PickleDict{}); break;                          // EMPTY_DICT
                case 'N': push(PickleNone{}); break;                          // NONE
                case 0x88: push(true); break;                                 // NEWTRUE
                case 0x89: push(false); break;                                // NEWFALSE
                case 'K': push(static_cast<int64_t>(byte())); break;          // BININT1
                case 'M': push(static_cast<int64_t>(le<uint16_t>())); break;  // BININT2
                case 'J': push(static_cast<int64_t>(le<int32_t>())); break;   // BININT
                case 0x8a: integer(byte()); break;                            // LONG1
                case 0x8b: {                                                  // LONG4
                    const int32_t n = le<int32_t>();
                    if (n < 0 || static_cast<uint64_t>(n) > kMaxBigInt)
                        fail("LONG4 of " + std::to_string(n) + " bytes");
                    integer(static_cast<uint64_t>(n));
                    break;
                }
                case 'B': push(PickleBytes{std::string(take(le<uint32_t>()))}); break;   // BINBYTES
                case 'C': push(PickleBytes{std::string(take(byte()))}); break;           // SHORT_BINBYTES
                case 0x8e: push(PickleBytes{std::string(take(le<uint64_t>()))}); break;  // BINBYTES8
                case 0x96: push(PickleBytes{std::string(take(le<uint64_t>()))}); break;  // BYTEARRAY8
                case 0x8d: push(std::string(take(le<uint64_t>()))); break;               // BINUNICODE8
                case 0x8f: push(PickleSet{}); break;                                     // EMPTY_SET
                case 0x90: {                                                             // ADDITEMS
                    auto items = pop_mark();
                    auto* set = std::get_if<PickleSet>(&top("ADDITEMS")->value);
                    if (!set) fail("ADDITEMS on " + describe(*top("ADDITEMS")));
                    set->items.insert(set->items.end(), items.begin(), items.end());
                    break;
                }
                case 0x91: push(PickleSet{pop_mark()}); break;             // FROZENSET
                case '0': (void)pop(); break;                              // POP
                case '1': (void)pop_mark(); break;                         // POP_MARK
                case '2': push_ptr(top("DUP")); break;                     // DUP
                case 'G': push(binfloat()); break;                         // BINFLOAT
                case 'X': push(std::string(take(le<uint32_t>()))); break;  // BINUNICODE
                case 0x8c: push(std::string(take(byte()))); break;         // SHORT_BINUNICODE
                case 'T': push(std::string(take(le<uint32_t>()))); break;  // BINSTRING
                case 'U': push(std::string(take(byte()))); break;          // SHORT_BINSTRING
                case 't': push(PickleTuple{pop_mark()}); break;            // TUPLE
                case 0x85: tuple_of(1); break;                             // TUPLE1
                case 0x86: tuple_of(2); break;                             // TUPLE2
                case 0x87: tuple_of(3); break;                             // TUPLE3
                case 'q': memo_put(byte()); break;                         // BINPUT
                case 'r': memo_put(le<uint32_t>()); break;                 // LONG_BINPUT
                case 0x94: memo_put(memo_.size()); break;                  // MEMOIZE
                case 'h': memo_get(byte()); break;                         // BINGET
                case 'j': memo_get(le<uint32_t>()); break;                 // LONG_BINGET
                case 'c': {                                                // GLOBAL
                    std::string module(line()), name(line());
                    push(PickleGlobal{std::move(module), std::move(name)});
                    break;
                }
                case 0x93: {  // STACK_GLOBAL
                    const PicklePtr name = pop(), module = pop();
                    push(
                        PickleGlobal{as_string(*module, "STACK_GLOBAL module"), as_string(*name, "STACK_GLOBAL name")});
                    break;
                }
                case 'a': {  // APPEND
                    const PicklePtr item = pop();
                    list_at_top("APPEND").push_back(item);
                    break;
                }
                case 'e': {  // APPENDS
                    auto items = pop_mark();
                    auto& list = list_at_top("APPENDS");
                    list.insert(list.end(), items.begin(), items.end());
                    break;
                }
                case 's': {  // SETITEM
                    const PicklePtr value = pop(), key = pop();
                    dict_at_top("SETITEM").push_back({key, value});
                    break;
                }
                case 'u': {  // SETITEMS
                    auto items = pop_mark();
                    if (items.size() % 2) fail("SETITEMS with an odd number of items");
                    auto& dict = dict_at_top("SETITEMS");
                    for (size_t i = 0; i < items.size(); i += 2) dict.push_back({items[i], items[i + 1]});
                    break;
                }
                case 'R': reduce(); break;  // REDUCE
                case 0x81: {                // NEWOBJ: cls.__new__(cls, *args)
                    PicklePtr args = pop();
                    new_object(pop(), std::move(args));
                    break;
                }
                case 0x92: {  // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
                    (void)pop();
                    PicklePtr args = pop();
                    new_object(pop(), std::move(args));
                    break;
                }
                case 'b': build(); break;            // BUILD
                case 'Q': persistent_load(); break;  // BINPERSID
                default: fail("unsupported pickle opcode 0x" + hex(op) + " at byte " + std::to_string(pos_ - 1));
            }
        }
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw FormatError(where_ + ": not a pickle torch.save writes: " + what);
    }

    static std::string hex(uint8_t b) {
        const char* digits = "0123456789abcdef";
        return {digits[b >> 4], digits[b & 15]};
    }

    std::string_view take(uint64_t n) {
        if (n > in_.size() - pos_)
            fail("truncated (" + std::to_string(n) + " bytes wanted at byte " + std::to_string(pos_) + ")");
        const auto out = in_.substr(pos_, n);
        pos_ += n;
        return out;
    }
    uint8_t byte() { return static_cast<uint8_t>(take(1)[0]); }
    template <class T>
    T le() {
        T v;
        std::memcpy(&v, take(sizeof(T)).data(), sizeof(T));  // pickle integers are little-endian, as are we
        return v;
    }
    std::string_view line() {
        const size_t end = in_.find('\n', pos_);
        if (end == std::string_view::npos || end - pos_ > 1024) fail("a GLOBAL name without its newline");
        const size_t n = end - pos_;
        return take(n + 1).substr(0, n);
    }
    // LONG1 and LONG4: little-endian two's complement of `n` bytes.
    void integer(uint64_t n) {
        const auto bytes = take(n);
        if (n > 8) return push(PickleBigInt{std::string(bytes)});
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
        if (n > 0 && n < 8 && (static_cast<uint8_t>(bytes[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign
        push(static_cast<int64_t>(v));
    }
    double binfloat() {
        uint64_t bits = 0;
        for (char c : take(8)) bits = (bits << 8) | static_cast<uint8_t>(c);  // big-endian
        return std::bit_cast<double>(bits);
    }

    template <class T>
    void push(T value) {
        if (stack_.size() >= kMaxStack) fail("too deep");
        auto p = std::make_shared<PickleValue>(PickleValue{std::move(value)});
        if constexpr (std::is_same_v<T, PickleList> || std::is_same_v<T, PickleDict> ||
                      std::is_same_v<T, PickleTuple> || std::is_same_v<T, PickleSet> || std::is_same_v<T, PickleObject>)
            containers_.push_back(p);
        stack_.push_back(std::move(p));
    }
    void push_ptr(PicklePtr p) {
        if (stack_.size() >= kMaxStack) fail("too deep");
        stack_.push_back(std::move(p));
    }
    PicklePtr pop() {
        if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
            fail("stack underflow at byte " + std::to_string(pos_));
        PicklePtr p = std::move(stack_.back());
        stack_.pop_back();
        return p;
    }
    std::vector<PicklePtr> pop_mark() {
        if (marks_.empty()) fail("no MARK");
        const size_t mark = marks_.back();
        marks_.pop_back();
        std::vector<PicklePtr> items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(mark)),
                                     std::make_move_iterator(stack_.end()));
        stack_.resize(mark);
        return items;
    }
    void tuple_of(size_t n) {
        std::vector<PicklePtr> items(n);
        for (size_t i = n; i-- > 0;) items[i] = pop();
        push(PickleTuple{std::move(items)});
    }
    PicklePtr& top(const char* op) {
        if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
            fail(std::string(op) + " on an empty stack");
        return stack_.back();
    }
    std::vector<PicklePtr>& list_at_top(const char* op) {
        auto* list = std::get_if<PickleList>(&top(op)->value);
        if (!list) fail(std::string(op) + " on " + describe(*top(op)));
        return list->items;
    }
    std::vector<std::pair<PicklePtr, PicklePtr>>& dict_at_top(const char* op) {
        auto* dict = std::get_if<PickleDict>(&top(op)->value);
        if (!dict) fail(std::string(op) + " on " + describe(*top(op)));
        return dict->items;
    }
    void memo_put(uint64_t index) {
        if (index >= kMaxMemo) fail("memo index " + std::to_string(index) + " too large");
        memo_[index] = top("PUT");
    }
    void memo_get(uint64_t index) {
        const auto it = memo_.find(index);
        if (it == memo_.end()) fail("memo index " + std::to_string(index) + " was never stored");
        push_ptr(it->second);
    }
    std::string as_string(const PickleValue& v, const char* what) const {
        const auto* s = std::get_if<std::string>(&v.value);
        if (!s) fail(std::string(what) + " is " + describe(v) + ", not a string");
        return *s;
    }
    int64_t as_int(const PickleValue& v, const char* what) const {
        const auto* i = std::get_if<int64_t>(&v.value);
        if (!i) fail(std::string(what) + " is " + describe(v) + ", not an integer");
        return *i;
    }
    std::vector<int64_t> as_ints(const PickleValue& v, const char* what) const {
        const auto* t = std::get_if<PickleTuple>(&v.value);
        if (!t) fail(std::string(what) + " is " + describe(v) + ", not a tuple");
        if (static_cast<int64_t>(t->items.size()) > kMaxDims) fail(std::string(what) + " has too many dimensions");
        std::vector<int64_t> out;
        for (const auto& item : t->items) out.push_back(as_int(*item, what));
        return out;
    }

    void reduce() {
        const PicklePtr args_ptr = pop(), callable = pop();
        const auto* global = std::get_if<PickleGlobal>(&callable->value);
        const auto* tuple = std::get_if<PickleTuple>(&args_ptr->value);
        if (!global || !tuple) fail("REDUCE of " + describe(*callable) + " with " + describe(*args_ptr));
        const auto& args = tuple->items;
        const std::string qualified = global->module + "." + global->name;
        if (qualified == "collections.OrderedDict") return ordered_dict(args);
        if (is_set_class(qualified) && args.size() <= 1) {
            if (args.empty()) return push(PickleSet{});
            const auto* list = std::get_if<PickleList>(&args[0]->value);
            if (!list) fail(qualified + " of " + describe(*args[0]));
            return push(PickleSet{list->items});
        }
        if (qualified == "_codecs.encode" && args.size() == 2) return push(PickleBytes{latin1(*args[0])});
        if (qualified == "torch.Size" && args.size() == 1 && std::holds_alternative<PickleTuple>(args[0]->value))
            return push_ptr(args[0]);
        // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]);
        // _rebuild_tensor(storage, storage_offset, size, stride) in files of PyTorch before 1.0.
        if (qualified == "torch._utils._rebuild_tensor_v2" || qualified == "torch._utils._rebuild_tensor")
            return push(tensor(args));
        if (qualified == "torch._utils._rebuild_parameter" ||
            qualified == "torch._utils._rebuild_parameter_with_state") {
            if (args.empty() || !std::holds_alternative<PickleTensor>(args[0]->value))
                fail("_rebuild_parameter without a tensor");
            return push_ptr(args[0]);
        }
        push(PickleObject{qualified, args_ptr, nullptr});
    }

    void ordered_dict(const std::vector<PicklePtr>& args) {
        PickleDict dict;
        if (args.size() > 1) fail("collections.OrderedDict with " + std::to_string(args.size()) + " arguments");
        if (args.size() == 1) {  // OrderedDict([(key, value), ...])
            const auto* list = std::get_if<PickleList>(&args[0]->value);
            if (!list) fail("collections.OrderedDict of " + describe(*args[0]));
            for (const auto& pair : list->items) {
                const auto* t = std::get_if<PickleTuple>(&pair->value);
                if (!t || t->items.size() != 2) fail("collections.OrderedDict of " + describe(*pair) + ", not a pair");
                dict.items.push_back({t->items[0], t->items[1]});
            }
        }
        push(std::move(dict));
    }

    // Python 3's bytes as protocol 2 pickles them: _codecs.encode(text, "latin1"), the text holding
    // each byte as the code point of that number (UTF-8 of at most two bytes).
    std::string latin1(const PickleValue& text) const {
        const std::string s = as_string(text, "_codecs.encode's text");
        std::string out;
        for (size_t i = 0; i < s.size(); ++i) {
            const auto b = static_cast<uint8_t>(s[i]);
            if (b < 0x80)
                out.push_back(s[i]);
            else if ((b == 0xc2 || b == 0xc3) && i + 1 < s.size() && (static_cast<uint8_t>(s[i + 1]) & 0xc0) == 0x80)
                out.push_back(static_cast<char>(((b & 0x03) << 6) | (static_cast<uint8_t>(s[++i]) & 0x3f)));
            else
                fail("_codecs.encode of text that is not latin-1");
        }
        return out;
    }

    PickleTensor tensor(const std::vector<PicklePtr>& args) const {
        if (args.size() < 4) fail("_rebuild_tensor_v2 with " + std::to_string(args.size()) + " arguments");
        const auto* storage = std::get_if<std::shared_ptr<PickleStorage>>(&args[0]->value);
        if (!storage) fail("_rebuild_tensor_v2 of " + describe(*args[0]) + ", not a storage");
        PickleTensor t{*storage, as_int(*args[1], "a tensor's storage offset"), as_ints(*args[2], "a tensor's size"),
                       as_ints(*args[3], "a tensor's stride")};
        if (t.sizes.size() != t.strides.size())
            fail("a tensor with " + std::to_string(t.sizes.size()) + " sizes and " + std::to_string(t.strides.size()) +
                 " strides");
        return t;
    }

    void new_object(const PicklePtr& cls, PicklePtr args) {
        const auto* global = std::get_if<PickleGlobal>(&cls->value);
        if (!global) fail("NEWOBJ of " + describe(*cls));
        const std::string qualified = global->module + "." + global->name;
        if (qualified == "collections.OrderedDict") return push(PickleDict{});
        if (is_set_class(qualified)) return push(PickleSet{});
        push(PickleObject{qualified, std::move(args), nullptr});
    }

    // An object's attributes (__setstate__ or its __dict__): kept for objects, so that what a
    // pickled module holds can be shown; ignored on the values we rebuild (an OrderedDict's
    // _metadata, a parameter's hooks).
    void build() {
        PicklePtr state = pop();
        if (auto* object = std::get_if<PickleObject>(&top("BUILD")->value)) object->state = std::move(state);
    }

    void persistent_load() {
        const PicklePtr pid = pop();
        const auto* t = std::get_if<PickleTuple>(&pid->value);
        if (!t || t->items.empty()) fail("a persistent id that is not a tuple: " + describe(*pid));
        const std::string kind = as_string(*t->items[0], "a persistent id's kind");
        // The legacy format's ('module', class, source_file, source) for the class of a pickled nn.Module.
        if (kind == "module" && t->items.size() == 4 && std::holds_alternative<PickleGlobal>(t->items[1]->value))
            return push_ptr(t->items[1]);
        // ('storage', torch.<T>Storage, key, location, numel[, view_metadata]): the zip archive's
        // have five items, the legacy format's six.
        if (kind != "storage" || (t->items.size() != 5 && t->items.size() != 6))
            fail("a persistent id that is not a storage: " + describe(*pid));
        const auto* type = std::get_if<PickleGlobal>(&t->items[1]->value);
        if (!type || type->module != "torch") fail("a storage of type " + describe(*t->items[1]));
        auto storage = std::make_shared<PickleStorage>();
        storage->dtype = type->name;
        storage->key = as_string(*t->items[2], "a storage key");
        storage->numel = as_int(*t->items[4], "a storage's size");
        if (storage->numel < 0) fail("a storage of negative size");
        auto root = declare(storage);
        if (t->items.size() == 5 || std::holds_alternative<PickleNone>(t->items[5]->value)) return push(root);
        // view_metadata (view_key, offset, view_size): elements [offset, offset + view_size) of the root.
        const auto* view = std::get_if<PickleTuple>(&t->items[5]->value);
        if (!view || view->items.size() != 3) fail("a storage view of " + describe(*t->items[5]));
        auto part = std::make_shared<PickleStorage>(*root);
        const std::string view_key = as_string(*view->items[0], "a storage view's key");
        part->offset = as_int(*view->items[1], "a storage view's offset");
        part->numel = as_int(*view->items[2], "a storage view's size");
        if (part->offset < 0 || part->numel < 0 || part->offset > root->numel ||
            part->numel > root->numel - part->offset)
            fail("storage view " + view_key + " lies outside storage " + root->key);
        auto [it, inserted] = views_.try_emplace(view_key, part);
        if (!inserted &&
            (it->second->key != part->key || it->second->offset != part->offset || it->second->numel != part->numel))
            fail("storage view " + view_key + " declared twice differently");
        push(it->second);
    }

    // The same key twice is the same storage (tensors sharing memory).
    std::shared_ptr<PickleStorage> declare(const std::shared_ptr<PickleStorage>& storage) {
        auto [it, inserted] = storages_.try_emplace(storage->key, storage);
        if (!inserted && (it->second->dtype != storage->dtype || it->second->numel != storage->numel))
            fail("storage " + storage->key + " declared twice differently");
        return it->second;
    }

    PicklePtr finish() {
        if (!marks_.empty() || stack_.size() != 1)
            fail("STOP with " + std::to_string(stack_.size()) + " values on the stack");
        check_acyclic(stack_.back());
        result_ = stack_.back();
        return result_;
    }

    // Depth-first without recursion: a value on the current path reached again is a cycle.
    void check_acyclic(const PicklePtr& root) const {
        enum class Color { OnPath, Done };
        std::unordered_map<const PickleValue*, Color> color;
        struct Frame {
            const PickleValue* value;
            std::vector<const PickleValue*> next;
        };
        std::vector<Frame> path;
        path.push_back({root.get(), children(*root)});
        color[root.get()] = Color::OnPath;
        while (!path.empty()) {
            if (path.back().next.empty()) {
                color[path.back().value] = Color::Done;
                path.pop_back();
                continue;
            }
            const PickleValue* child = path.back().next.back();
            path.back().next.pop_back();
            const auto [it, fresh] = color.try_emplace(child, Color::OnPath);
            if (!fresh) {
                if (it->second == Color::OnPath) fail("a value that contains itself");
                continue;
            }
            if (path.size() >= kMaxDepth) fail("values nested more than " + std::to_string(kMaxDepth) + " deep");
            path.push_back({child, children(*child)});
        }
    }

    void break_cycles() noexcept {
        try {
            std::unordered_set<const PickleValue*> kept;
            if (result_) {
                std::vector<const PickleValue*> todo{result_.get()};
                while (!todo.empty()) {
                    const PickleValue* v = todo.back();
                    todo.pop_back();
                    if (kept.insert(v).second)
                        for (const PickleValue* c : children(*v)) todo.push_back(c);
                }
            }
            // Hold every other container first, so that emptying one destroys no other (no
            // recursion however deep they nest); they go when `held` does, empty.
            std::vector<PicklePtr> held;
            for (const auto& weak : containers_)
                if (PicklePtr p = weak.lock(); p && !kept.count(p.get())) held.push_back(std::move(p));
            for (const PicklePtr& p : held) empty(*p);
        } catch (...) {  // out of memory: empty them all, which needs none
            for (const auto& weak : containers_)
                if (PicklePtr p = weak.lock()) empty(*p);
        }
    }
    static void empty(PickleValue& v) noexcept {
        if (auto* t = std::get_if<PickleTuple>(&v.value)) std::vector<PicklePtr>().swap(t->items);
        if (auto* l = std::get_if<PickleList>(&v.value)) std::vector<PicklePtr>().swap(l->items);
        if (auto* d = std::get_if<PickleDict>(&v.value)) std::vector<std::pair<PicklePtr, PicklePtr>>().swap(d->items);
        if (auto* s = std::get_if<PickleSet>(&v.value)) std::vector<PicklePtr>().swap(s->items);
        if (auto* o = std::get_if<PickleObject>(&v.value)) o->args.reset(), o->state.reset();
    }

    std::string_view in_;
    size_t pos_ = 0;
    const std::string& where_;
    std::vector<PicklePtr> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint64_t, PicklePtr> memo_;
    std::map<std::string, std::shared_ptr<PickleStorage>> storages_, views_;
    std::vector<std::weak_ptr<PickleValue>> containers_;  // every tuple, list and dict made
    PicklePtr result_;
};

}  // namespace

PicklePtr unpickle(std::string_view bytes, const std::string& where, size_t* consumed) {
    Machine machine(bytes, where);
    PicklePtr value = machine.run();
    if (consumed) *consumed = machine.consumed();
    return value;
}

std::vector<const PickleValue*> children(const PickleValue& v) {
    std::vector<const PickleValue*> out;
    if (const auto* t = std::get_if<PickleTuple>(&v.value))
        for (const auto& c : t->items) out.push_back(c.get());
    else if (const auto* l = std::get_if<PickleList>(&v.value))
        for (const auto& c : l->items) out.push_back(c.get());
    else if (const auto* d = std::get_if<PickleDict>(&v.value))
        for (const auto& [k, c] : d->items) out.push_back(k.get()), out.push_back(c.get());
    else if (const auto* s = std::get_if<PickleSet>(&v.value))
        for (const auto& c : s->items) out.push_back(c.get());
    else if (const auto* o = std::get_if<PickleObject>(&v.value)) {
        if (o->args) out.push_back(o->args.get());
        if (o->state) out.push_back(o->state.get());
    }
    return out;
}

std::string describe(const PickleValue& value) {
    struct Visitor {
        std::string operator()(const PickleNone&) const { return "None"; }
        std::string operator()(bool) const { return "a bool"; }
        std::string operator()(int64_t) const { return "an integer"; }
        std::string operator()(double) const { return "a float"; }
        std::string operator()(const std::string&) const { return "a string"; }
        std::string operator()(const PickleGlobal& g) const { return "the global " + g.module + "." + g.name; }
        std::string operator()(const PickleTuple&) const { return "a tuple"; }
        std::string operator()(const PickleList&) const { return "a list"; }
        std::string operator()(const PickleDict&) const { return "a dict"; }
        std::string operator()(const std::shared_ptr<PickleStorage>&) const { return "a storage"; }
        std::string operator()(const PickleTensor&) const { return "a tensor"; }
        std::string operator()(const PickleObject& o) const { return "a " + o.type + " object"; }
        std::string operator()(const PickleSet&) const { return "a set"; }
        std::string operator()(const PickleBytes&) const { return "bytes"; }
        std::string operator()(const PickleBigInt&) const { return "an integer beyond 64 bits"; }
    };
    return std::visit(Visitor{}, value.value);
}

}  // namespace legolasflux::detail
