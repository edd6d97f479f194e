// Ownership across the Arrow C data and stream interfaces (legolasflux/arrow/c_data.hpp):
//   - release callbacks run exactly once, children can be moved out and released on their own,
//     and a hand-built foreign array (with its own release) is imported without a copy;
//   - malformed input is refused and still released; stream errors carry the producer's message.
// Run under ASan (LEGOLASFLUX_SANITIZE=address,undefined) these also prove the absence of leaks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "arrow/core_test_arrays.hpp"
#include "legolasflux/arrow/builder.hpp"
#include "legolasflux/arrow/c_data.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/errors.hpp"

namespace {

using namespace legolasflux::arrow;

// ---- a foreign producer --------------------------------------------------------------------------

// A producer as another library would write one: everything malloc'ed, one release per struct
// that frees its own allocations and releases its children, counting its calls.
struct Foreign {
    static inline int releases = 0;
    std::vector<void*> allocations;
    std::vector<const void*> buffers;
    std::vector<ArrowArray*> children;

    static void release(ArrowArray* a) {
        auto* self = static_cast<Foreign*>(a->private_data);
        for (ArrowArray* c : self->children) {
            if (c->release) c->release(c);
            std::free(c);
        }
        for (void* p : self->allocations) std::free(p);
        delete self;
        a->release = nullptr;
        ++releases;
    }

    template <class T>
    const T* add(const std::vector<T>& values) {
        void* p = std::malloc(std::max<size_t>(1, values.size() * sizeof(T)));
        std::memcpy(p, values.data(), values.size() * sizeof(T));
        allocations.push_back(p);
        buffers.push_back(p);
        return static_cast<const T*>(p);
    }

    // Moves this producer into `out`, with the given shape.
    void into(ArrowArray* out, int64_t length, int64_t null_count, int64_t offset) {
        out->length = length;
        out->null_count = null_count;
        out->offset = offset;
        out->n_buffers = static_cast<int64_t>(buffers.size());
        out->n_children = static_cast<int64_t>(children.size());
        out->buffers = buffers.data();
        out->children = children.empty() ? nullptr : children.data();
        out->dictionary = nullptr;
        out->release = release;
        out->private_data = this;
    }
};

// int32 [1, null, 3, 4, null] as slots 1..5 of a 6-slot buffer (offset 1), null_count not computed.
ArrowArray* foreign_ints(const int32_t** values = nullptr) {
    auto* f = new Foreign;
    f->add(std::vector<uint8_t>{0b011010});  // bits 1..5: 1, 0, 1, 1, 0
    const int32_t* v = f->add(std::vector<int32_t>{99, 1, 0, 3, 4, 0});
    if (values) *values = v;
    auto* out = static_cast<ArrowArray*>(std::malloc(sizeof(ArrowArray)));
    f->into(out, 5, -1, 1);
    return out;
}

// utf8 ["a", "", "xyz"] with no validity bitmap.
ArrowArray* foreign_strings() {
    auto* f = new Foreign;
    f->buffers.push_back(nullptr);
    f->add(std::vector<int32_t>{0, 1, 1, 4});
    f->add(std::vector<char>{'a', 'x', 'y', 'z'});
    auto* out = static_cast<ArrowArray*>(std::malloc(sizeof(ArrowArray)));
    f->into(out, 3, 0, 0);
    return out;
}

TEST(CDataForeign, AHandBuiltArrayIsImportedWithoutACopy) {
    Foreign::releases = 0;
    const int32_t* values = nullptr;
    ArrowArray* ints = foreign_ints(&values);
    ArrowArray* strings = foreign_strings();
    // The parent: a struct of 3 rows over children of 5 and 3 rows, at offset 0.
    auto* top = new Foreign;
    top->buffers.push_back(nullptr);
    top->children = {ints, strings};
    ArrowArray c;
    top->into(&c, 3, 0, 0);

    const Field f = field("s", struct_({field("n", int32()), field("t", utf8(), false)}));
    ArrayPtr a = import_array(&c, f);
    EXPECT_EQ(c.release, nullptr) << "the importer moved the struct";
    EXPECT_EQ(Foreign::releases, 0);
    const Array& n = *a->children[0];
    EXPECT_EQ(n.null_count, 2) << "computed from the bitmap";
    EXPECT_EQ(static_cast<const void*>(n.buffers[1].data()), static_cast<const void*>(values));
    EXPECT_EQ(n.values<int32_t>()[0], 1);
    EXPECT_TRUE(n.is_null(1));
    EXPECT_EQ(n.values<int32_t>()[3], 4);
    EXPECT_EQ(a->children[1]->bytes_value(2), "xyz");

    // Keep one buffer of one child: the whole producer stays alive with it.
    Buffer kept = a->children[1]->buffers[2];
    a.reset();
    EXPECT_EQ(Foreign::releases, 0);
    EXPECT_EQ(kept.as_string_view().substr(0, 4), "axyz");
    kept = Buffer();
    EXPECT_EQ(Foreign::releases, 3) << "the parent's release once, and it released its two children";
}

TEST(CDataForeign, MalformedArraysAreRefusedAndStillReleased) {
    Foreign::releases = 0;
    {
        // Offsets decrease: full validation refuses it.
        auto* f = new Foreign;
        f->buffers.push_back(nullptr);
        f->add(std::vector<int32_t>{0, 3, 1, 4});
        f->add(std::vector<char>{'a', 'b', 'c', 'd'});
        ArrowArray c;
        f->into(&c, 3, 0, 0);
        EXPECT_THROW(import_array(&c, field("t", utf8())), legolasflux::FormatError);
        EXPECT_EQ(c.release, nullptr);
        EXPECT_EQ(Foreign::releases, 1);
    }
    {
        // Two buffers for a string array.
        auto* f = new Foreign;
        f->buffers.push_back(nullptr);
        f->add(std::vector<int32_t>{0, 1});
        ArrowArray c;
        f->into(&c, 1, 0, 0);
        try {
            import_array(&c, field("t", utf8()));
            ADD_FAILURE() << "no error";
        } catch (const legolasflux::FormatError& e) {
            EXPECT_NE(std::string(e.what()).find("has 2 buffers"), std::string::npos) << e.what();
        }
        EXPECT_EQ(Foreign::releases, 2);
    }
    {
        // A null values buffer with rows to read.
        auto* f = new Foreign;
        f->buffers = {nullptr, nullptr};
        ArrowArray c;
        f->into(&c, 4, 0, 0);
        EXPECT_THROW(import_array(&c, field("n", int64())), legolasflux::FormatError);
        EXPECT_EQ(Foreign::releases, 3);
    }
    ArrowArray released{};
    EXPECT_THROW(import_array(&released, field("n", int64())), legolasflux::InvalidArgument);
}

// ---- our release callbacks -----------------------------------------------------------------------

// Wraps an exported struct's release to count its calls.
struct CountedRelease {
    static inline int calls = 0;
    static inline void (*original)(ArrowArray*) = nullptr;
    static void release(ArrowArray* a) {
        ++calls;
        original(a);
    }
    static void wrap(ArrowArray* a) {
        calls = 0;
        original = a->release;
        a->release = release;
    }
};

ArrayPtr sample_struct() {
    auto ints = make_primitive(int64(), std::vector<std::optional<int64_t>>{10, std::nullopt, 30, 40});
    auto strings = make_strings({"one", "two", "three", "four"});
    return make_struct(struct_({field("n", int64()), field("s", utf8())}), 4, {ints, strings});
}

TEST(CDataRelease, ImportReleasesTheExportExactlyOnceWhenTheLastBufferGoes) {
    const Field f = field("x", sample_struct()->type);
    ArrowArray c;
    export_array(sample_struct(), &c);
    CountedRelease::wrap(&c);
    ArrayPtr a = import_array(&c, f);
    Buffer kept = a->children[1]->buffers[2];
    a.reset();
    EXPECT_EQ(CountedRelease::calls, 0);
    EXPECT_EQ(kept.as_string_view().substr(0, 3), "one");
    kept = Buffer();
    EXPECT_EQ(CountedRelease::calls, 1);
}

TEST(CDataRelease, AChildMovedOutOutlivesItsReleasedParent) {
    // The export is the only owner of the arrays: releasing too much would be a use after free.
    ArrowArray c;
    export_array(sample_struct(), &c);
    ASSERT_EQ(c.n_children, 2);
    ArrowArray moved = *c.children[1];
    c.children[1]->release = nullptr;  // the spec's move
    c.release(&c);
    EXPECT_EQ(c.release, nullptr);
    ASSERT_NE(moved.release, nullptr) << "the parent must not release a moved child";
    EXPECT_EQ(std::string(static_cast<const char*>(moved.buffers[2]), 3), "one");
    CountedRelease::wrap(&moved);
    {
        const ArrayPtr s = import_array(&moved, field("s", utf8()));
        EXPECT_TRUE(array_equals(*s, *make_strings({"one", "two", "three", "four"})));
    }
    EXPECT_EQ(CountedRelease::calls, 1);
}

TEST(CDataRelease, ADictionaryAndNestedChildrenAreReleasedWithTheirParent) {
    auto dict = make_strings({"red", "green"});
    auto indices = make_dictionary(int8(), {0, 1, 1, 0}, dict);
    Field item = field("item", utf8());
    item.dictionary = DictionaryEncoding{0, int8(), false};
    const Field f = field("l", list(item));
    auto lists = make_list(f.type, {2, 2}, indices);
    ArrowArray c;
    export_array(lists, &c);
    ASSERT_NE(c.children[0]->dictionary, nullptr);
    CountedRelease::wrap(&c);
    {
        const ArrayPtr back = import_array(&c, f);
        EXPECT_TRUE(array_equals(*back, *lists));
        EXPECT_EQ(static_cast<const void*>(back->children[0]->dictionary->buffers[2].data()),
                  static_cast<const void*>(dict->buffers[2].data()));
    }
    EXPECT_EQ(CountedRelease::calls, 1);
}

TEST(CDataRelease, ExportRefusesAnInconsistentArray) {
    auto broken = legolasflux::arrow::testing::copy(make_primitive(int32(), std::vector<int32_t>{1, 2, 3}));
    broken->length = 100;
    ArrowArray c;
    c.release = nullptr;
    EXPECT_THROW(export_array(broken, &c), legolasflux::FormatError);
    EXPECT_EQ(c.release, nullptr);
}

// ---- streams -------------------------------------------------------------------------------------

Table sample_table(int batches) {
    auto schema = std::make_shared<Schema>();
    schema->fields = {field("x", sample_struct()->type)};
    Table t{schema, {}};
    for (int i = 0; i < batches; ++i) t.batches.push_back(RecordBatch{schema, 4, {sample_struct()}});
    return t;
}

TEST(CDataStream, OneBatchPerGetNextThenTheEnd) {
    const Table t = sample_table(3);
    ArrowArrayStream s;
    export_table(t, &s);
    ArrowSchema schema;
    ASSERT_EQ(s.get_schema(&s, &schema), 0);
    EXPECT_STREQ(schema.format, "+s");
    schema.release(&schema);
    for (int i = 0; i < 3; ++i) {
        ArrowArray a;
        ASSERT_EQ(s.get_next(&s, &a), 0);
        ASSERT_NE(a.release, nullptr) << "batch " << i;
        EXPECT_EQ(a.length, 4);
        a.release(&a);
    }
    for (int i = 0; i < 2; ++i) {
        ArrowArray end;
        end.release = +[](ArrowArray*) {};  // garbage the producer must overwrite
        ASSERT_EQ(s.get_next(&s, &end), 0);
        EXPECT_EQ(end.release, nullptr) << "the end of the stream is a released array, every time";
    }
    EXPECT_EQ(s.get_last_error(&s), nullptr);
    s.release(&s);
    EXPECT_EQ(s.release, nullptr);
}

TEST(CDataStream, ABatchThatCannotBeExportedIsAnErrorOfGetNext) {
    Table t = sample_table(2);
    auto broken = legolasflux::arrow::testing::copy(sample_struct());
    auto child = legolasflux::arrow::testing::copy(broken->children[0]);
    child->buffers[1] = child->buffers[1].slice(0, 8);  // 1 value of 8 bytes for 4 rows
    broken->children[0] = child;
    t.batches[1].columns[0] = broken;

    ArrowArrayStream s;
    export_table(t, &s);
    ArrowSchema schema;
    ASSERT_EQ(s.get_schema(&s, &schema), 0);
    schema.release(&schema);
    ArrowArray a;
    ASSERT_EQ(s.get_next(&s, &a), 0);
    a.release(&a);
    a.release = nullptr;
    EXPECT_EQ(s.get_next(&s, &a), EINVAL);
    EXPECT_EQ(a.release, nullptr);
    ASSERT_NE(s.get_last_error(&s), nullptr);
    const std::string message = s.get_last_error(&s);
    EXPECT_NE(message.find("record batch 1"), std::string::npos) << message;
    EXPECT_NE(message.find("too small"), std::string::npos) << message;
    s.release(&s);

    // Through the importer: the error names the call, the code and the producer's message.
    export_table(t, &s);
    try {
        import_table(&s);
        ADD_FAILURE() << "no error";
    } catch (const legolasflux::Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("get_next failed with error " + std::to_string(EINVAL)), std::string::npos) << what;
        EXPECT_NE(what.find(message), std::string::npos) << what;
    }
    EXPECT_EQ(s.release, nullptr) << "the importer released the stream";
}

// A foreign stream: one good batch, then an I/O error.
struct FailingStream {
    static inline int releases = 0;
    int calls = 0;
    static int get_schema(ArrowArrayStream*, ArrowSchema* out) {
        export_schema(Schema{{field("s", utf8(), false)}, {}, Endianness::Little}, out);
        return 0;
    }
    static int get_next(ArrowArrayStream* s, ArrowArray* out) {
        auto* self = static_cast<FailingStream*>(s->private_data);
        if (self->calls++ > 0) return EIO;
        auto* top = new Foreign;
        top->buffers.push_back(nullptr);
        top->children = {foreign_strings()};
        top->into(out, 3, 0, 0);
        return 0;
    }
    static const char* last_error(ArrowArrayStream*) { return "disk on fire"; }
    static void release(ArrowArrayStream* s) {
        delete static_cast<FailingStream*>(s->private_data);
        s->release = nullptr;
        ++releases;
    }
};

TEST(CDataStream, AForeignStreamsErrorCarriesItsMessage) {
    FailingStream::releases = 0;
    Foreign::releases = 0;
    ArrowArrayStream s{FailingStream::get_schema, FailingStream::get_next, FailingStream::last_error,
                       FailingStream::release, new FailingStream};
    try {
        import_table(&s);
        ADD_FAILURE() << "no error";
    } catch (const legolasflux::Error& e) {
        EXPECT_NE(std::string(e.what()).find("disk on fire"), std::string::npos) << e.what();
    }
    EXPECT_EQ(FailingStream::releases, 1);
    EXPECT_EQ(Foreign::releases, 2) << "the batch read before the error, and its child";
}

}  // namespace
