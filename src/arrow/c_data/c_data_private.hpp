// Ownership rules the C data interface sets for every one of its structs (ArrowSchema, ArrowArray,
// ArrowArrayStream), kept once for export and import.
#pragma once

#include <string>

#include "legolasflux/arrow/c_data.hpp"
#include "legolasflux/errors.hpp"

namespace legolasflux::arrow::detail {

// The release callback of an exported node whose private data (a `Private`) owns its children and
// dictionary. A child the consumer moved out is marked released in place and released by its new
// owner, so it is skipped here.
template <class Node, class Private>
void release_node(Node* node) {
    if (!node || !node->release) return;
    auto* p = static_cast<Private*>(node->private_data);
    for (Node& c : p->children)
        if (c.release) c.release(&c);
    if (p->dictionary.release) p->dictionary.release(&p->dictionary);
    delete p;
    node->release = nullptr;
    node->private_data = nullptr;
}

// A struct taken from a producer: moved out of `from` (which the spec then marks released) and
// released exactly once, when this goes, on every path.
template <class Struct>
struct Taken {
    Struct s;
    Taken(Struct* from, const char* name) {
        if (!from) throw InvalidArgument(std::string(name) + " pointer is null");
        if (!from->release) throw InvalidArgument(std::string(name) + " is already released");
        s = *from;
        from->release = nullptr;
    }
    ~Taken() {
        if (s.release) s.release(&s);
    }
    Taken(const Taken&) = delete;
    Taken& operator=(const Taken&) = delete;
};

}  // namespace legolasflux::arrow::detail
