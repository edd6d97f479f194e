// The pickle machine of torch_pickle.hpp. Opcodes follow Python's pickle protocol (pickletools
// documents each); only those torch.save produces for tensors and containers are accepted.
#include "torch_pickle.hpp"

#include <bit>
#include <cstring>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "legolasflux/errors.hpp"

namespace legolasflux::torch::detail {
namespace {

// Limits against hostile pickles: a state dict of a large model has a few thousand entries.
constexpr size_t kMaxStack = 1'000'000;
constexpr size_t kMaxMemo = 10'000'000;
constexpr int64_t kMaxDims = 64;
constexpr size_t kMaxDepth = 1000;  // of the value returned: its destruction recurses that deep

class Machine {
public:
    Machine(std::string_view bytes, const std::string& where) : in_(bytes), where_(where) {}
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
                case 0x8a: push(long1()); break;                              // LONG1
                case 'G': push(binfloat()); break;                            // BINFLOAT
                case 'X': push(std::string(take(le<uint32_t>()))); break;     // BINUNICODE
                case 0x8c: push(std::string(take(byte()))); break;            // SHORT_BINUNICODE
                case 'T': push(std::string(take(le<uint32_t>()))); break;     // BINSTRING
                case 'U': push(std::string(take(byte()))); break;             // SHORT_BINSTRING
                case 't': push(PickleTuple{pop_mark()}); break;               // TUPLE
                case 0x85: tuple_of(1); break;                                // TUPLE1
                case 0x86: tuple_of(2); break;                                // TUPLE2
                case 0x87: tuple_of(3); break;                                // TUPLE3
                case 'q': memo_put(byte()); break;                            // BINPUT
                case 'r': memo_put(le<uint32_t>()); break;                    // LONG_BINPUT
                case 0x94: memo_put(memo_.size()); break;                     // MEMOIZE
                case 'h': memo_get(byte()); break;                            // BINGET
                case 'j': memo_get(le<uint32_t>()); break;                    // LONG_BINGET
                case 'c': {                                                   // GLOBAL
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
                case 'R': reduce(); break;           // REDUCE
                case 'b': (void)pop(); break;        // BUILD: sets attributes (an OrderedDict's _metadata); not needed
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
    int64_t long1() {
        const uint8_t n = byte();
        if (n > 8) fail("an integer of " + std::to_string(n) + " bytes");
        const auto bytes = take(n);
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
        if (n > 0 && n < 8 && (static_cast<uint8_t>(bytes[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign
        return static_cast<int64_t>(v);
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
        if constexpr (std::is_same_v<T, PickleList> || std::is_same_v<T, PickleDict> || std::is_same_v<T, PickleTuple>)
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
        const auto* args = std::get_if<PickleTuple>(&args_ptr->value);
        if (!global || !args) fail("REDUCE of " + describe(*callable) + " with " + describe(*args_ptr));
        const std::string qualified = global->module + "." + global->name;
        if (qualified == "collections.OrderedDict" && args->items.empty()) return push(PickleDict{});
        if (qualified == "torch._utils._rebuild_tensor_v2") {
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            if (args->items.size() < 4)
                fail("_rebuild_tensor_v2 with " + std::to_string(args->items.size()) + " arguments");
            const auto* storage = std::get_if<std::shared_ptr<PickleStorage>>(&args->items[0]->value);
            if (!storage) fail("_rebuild_tensor_v2 of " + describe(*args->items[0]) + ", not a storage");
            PickleTensor t{*storage, as_int(*args->items[1], "a tensor's storage offset"),
                           as_ints(*args->items[2], "a tensor's size"), as_ints(*args->items[3], "a tensor's stride")};
            if (t.sizes.size() != t.strides.size())
                fail("a tensor with " + std::to_string(t.sizes.size()) + " sizes and " +
                     std::to_string(t.strides.size()) + " strides");
            return push(std::move(t));
        }
        if (qualified == "torch._utils._rebuild_parameter" ||
            qualified == "torch._utils._rebuild_parameter_with_state") {
            if (args->items.empty() || !std::holds_alternative<PickleTensor>(args->items[0]->value))
                fail("_rebuild_parameter without a tensor");
            return push_ptr(args->items[0]);
        }
        push(PickleObject{qualified});
    }

    void persistent_load() {
        const PicklePtr pid = pop();
        const auto* t = std::get_if<PickleTuple>(&pid->value);
        // ('storage', torch.<T>Storage, key, location, numel)
        if (!t || t->items.size() != 5 || as_string(*t->items[0], "a persistent id's kind") != "storage")
            fail("a persistent id that is not a storage: " + describe(*pid));
        const auto* type = std::get_if<PickleGlobal>(&t->items[1]->value);
        if (!type || type->module != "torch") fail("a storage of type " + describe(*t->items[1]));
        auto storage = std::make_shared<PickleStorage>();
        storage->dtype = type->name;
        storage->key = as_string(*t->items[2], "a storage key");
        storage->numel = as_int(*t->items[4], "a storage's size");
        if (storage->numel < 0) fail("a storage of negative size");
        // The same key twice is the same storage (tensors sharing memory).
        auto [it, inserted] = storages_.try_emplace(storage->key, storage);
        if (!inserted && (it->second->dtype != storage->dtype || it->second->numel != storage->numel))
            fail("storage " + storage->key + " declared twice differently");
        push(it->second);
    }

    PicklePtr finish() {
        if (!marks_.empty() || stack_.size() != 1)
            fail("STOP with " + std::to_string(stack_.size()) + " values on the stack");
        check_acyclic(stack_.back());
        result_ = stack_.back();
        return result_;
    }

    static std::vector<const PickleValue*> children(const PickleValue& v) {
        std::vector<const PickleValue*> out;
        if (const auto* t = std::get_if<PickleTuple>(&v.value))
            for (const auto& c : t->items) out.push_back(c.get());
        else if (const auto* l = std::get_if<PickleList>(&v.value))
            for (const auto& c : l->items) out.push_back(c.get());
        else if (const auto* d = std::get_if<PickleDict>(&v.value))
            for (const auto& [k, c] : d->items) out.push_back(k.get()), out.push_back(c.get());
        return out;
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
    }

    std::string_view in_;
    size_t pos_ = 0;
    const std::string& where_;
    std::vector<PicklePtr> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint64_t, PicklePtr> memo_;
    std::map<std::string, std::shared_ptr<PickleStorage>> storages_;
    std::vector<std::weak_ptr<PickleValue>> containers_;  // every tuple, list and dict made
    PicklePtr result_;
};

}  // namespace

PicklePtr unpickle(std::string_view bytes, const std::string& where) { return Machine(bytes, where).run(); }

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
    };
    return std::visit(Visitor{}, value.value);
}

}  // namespace legolasflux::torch::detail
