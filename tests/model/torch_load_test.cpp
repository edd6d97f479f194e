// The torch.save reader of the model layer (torch_load.hpp) and its parts: the zip reader on
// hostile archives (every truncation, every flipped byte, offsets that point elsewhere, zip64), the
// pickle machine's values beyond tensors and dicts, key paths with dots, and what state_dict says.
// Files written by Python's torch are tests/cli/torch_load_test.cpp.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch_load.hpp"
#include "legolasflux/torch_save.hpp"
#include "model/torch_pickle.hpp"
#include "model/zip_reader.hpp"
#include "model/zip_writer.hpp"
#include "support/scratch.hpp"

namespace lf = legolasflux;
namespace ld = legolasflux::detail;
namespace fs = std::filesystem;

namespace {

// A string literal's bytes, NULs included.
template <size_t N>
std::string raw(const char (&s)[N]) {
    return std::string(s, N - 1);
}

std::vector<uint8_t> archive(bool zip64) {
    std::vector<uint8_t> out;
    ld::ZipWriter zip([&out](std::span<const uint8_t> b) { out.insert(out.end(), b.begin(), b.end()); }, zip64);
    const std::string a = "hello", b(300, 'x');
    zip.add("arc/a", std::span(reinterpret_cast<const uint8_t*>(a.data()), a.size()));
    zip.add("arc/data/0", std::span(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
    zip.finish();
    return out;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
    try {
        const ld::ZipReader zip(lf::arrow::Buffer::copy_of(std::span<const uint8_t>(bytes)));
        for (const auto& e : zip.entries()) (void)zip.read(e);
    } catch (const lf::Error& e) {
        return e.what();
    }
    return "no error";
}

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get32(const std::vector<uint8_t>& b, size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | b[at + static_cast<size_t>(i)];
    return v;
}

lf::SafeTensor tensor(std::string name, lf::SafetensorsDtype dtype, std::vector<int64_t> shape,
                      std::vector<uint8_t> bytes) {
    return {std::move(name), dtype, std::move(shape), lf::arrow::Buffer::copy_of(bytes)};
}

lf::TorchValue leaf(int64_t v) {
    lf::TorchValue out;
    out.kind = lf::TorchValue::Kind::Int;
    out.integer = v;
    return out;
}
lf::TorchValue dict(std::vector<lf::TorchItem> items) {
    lf::TorchValue out;
    out.kind = lf::TorchValue::Kind::Dict;
    out.items = std::move(items);
    return out;
}
lf::TorchValue tensor_value(const std::string& name, lf::arrow::Buffer data) {
    lf::TorchValue out;
    out.kind = lf::TorchValue::Kind::Tensor;
    out.tensor = {name, lf::SafetensorsDtype::U8, {data.size()}, data};
    return out;
}

}  // namespace

TEST(ZipReader, ReadsWhatTheWriterWritesWithAndWithoutZip64) {
    for (const bool zip64 : {false, true}) {
        SCOPED_TRACE(zip64);
        const auto bytes = archive(zip64);
        const ld::ZipReader zip(lf::arrow::Buffer::copy_of(std::span<const uint8_t>(bytes)));
        ASSERT_EQ(zip.entries().size(), 2u);
        EXPECT_EQ(zip.read(*zip.find("arc/a")).as_string_view(), "hello");
        EXPECT_EQ(zip.read(*zip.find("arc/data/0")).as_string_view(), std::string(300, 'x'));
        EXPECT_EQ(zip.find("arc/b"), nullptr);
        EXPECT_EQ(zip.find("arc/data/0")->offset % ld::kZipAlignment, 0u);
    }
}

TEST(ZipReader, EveryTruncationAndEveryFlippedByteIsAnErrorOrReads) {
    for (const bool zip64 : {false, true}) {
        const auto bytes = archive(zip64);
        for (size_t n = 0; n < bytes.size(); ++n)
            EXPECT_NE(error_of(std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n))),
                      "no error")
                << n;
        for (size_t i = 0; i < bytes.size(); ++i) {
            auto damaged = bytes;
            damaged[i] ^= 0xff;
            (void)error_of(damaged);  // a clear error or the entries, never a read outside the archive
        }
    }
    const auto bytes = archive(false);
    EXPECT_NE(error_of(std::vector<uint8_t>(bytes.begin(), bytes.end() - 1)).find("no end of central directory record"),
              std::string::npos);
}

TEST(ZipReader, OffsetsThatPointElsewhereAreFormatErrors) {
    const auto good = archive(false);
    const size_t end = good.size() - 22, directory = get32(good, end + 16);
    auto d = good;  // the central directory past the end records
    put32(d, end + 16, static_cast<uint32_t>(good.size()));
    EXPECT_NE(error_of(d).find("lies outside the file"), std::string::npos) << error_of(d);
    d = good;  // an entry's size past the directory
    put32(d, directory + 20, 1u << 30);
    put32(d, directory + 24, 1u << 30);
    EXPECT_NE(error_of(d).find("runs past the central directory"), std::string::npos) << error_of(d);
    d = good;  // its local header elsewhere
    put32(d, directory + 42, 7);
    EXPECT_NE(error_of(d).find("is not where the directory says"), std::string::npos) << error_of(d);
    d = good;  // compressed: listed, not read
    d[directory + 10] = 8;
    EXPECT_NE(error_of(d).find("is compressed (method 8)"), std::string::npos) << error_of(d);
    d = good;  // one byte of data changed
    d[64] ^= 1;
    EXPECT_NE(error_of(d).find("arc/a is damaged (CRC mismatch)"), std::string::npos) << error_of(d);
    d = good;  // more entries than the directory can hold
    d[end + 10] = 0xfe;
    EXPECT_NE(error_of(d).find("cannot fit a central directory"), std::string::npos) << error_of(d);

    const auto big = archive(true);
    const size_t locator = big.size() - 22 - 20;
    ASSERT_EQ(get32(big, locator), 0x07064b50u);
    d = big;  // the zip64 end record's offset beyond its locator
    put32(d, locator + 8, static_cast<uint32_t>(big.size()));
    EXPECT_NE(error_of(d).find("zip64 end record is not where its locator says"), std::string::npos) << error_of(d);
}

TEST(TorchLoad, ReadsWhatWriteTorchSaveWrites) {
    const auto dir = lftest::scratch_dir("torch_load_roundtrip");
    const std::vector<lf::SafeTensor> tensors = {
        tensor("encoder.weight", lf::SafetensorsDtype::F32, {2, 1}, {0, 0, 128, 63, 0, 0, 0, 64}),
        tensor("encoder.bias", lf::SafetensorsDtype::BF16, {1}, {128, 63}),
        tensor("steps", lf::SafetensorsDtype::I64, {}, {7, 0, 0, 0, 0, 0, 0, 0}),
        tensor("mask", lf::SafetensorsDtype::BOOL, {3}, {1, 0, 1}),
        tensor("empty", lf::SafetensorsDtype::F16, {0, 4}, {}),
    };
    for (const bool zip64 : {false, true}) {
        SCOPED_TRACE(zip64);
        const fs::path path = dir / (zip64 ? "zip64.pt" : "plain.pt");
        lf::write_torch_save(path, tensors, {.durable = false, .force_zip64 = zip64});
        EXPECT_EQ(lf::torch_file_kind(path), lf::TorchFileKind::Zip);
        const lf::TorchFile file = lf::read_torch_file(path);
        EXPECT_EQ(file.format, "zip");
        const auto got = lf::state_dict(file.root, "", path.string());
        ASSERT_EQ(got.size(), tensors.size());
        for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].name, tensors[i].name);
            EXPECT_EQ(got[i].dtype, tensors[i].dtype);
            EXPECT_EQ(got[i].shape, tensors[i].shape);
            EXPECT_TRUE(lf::arrow::same_bytes(got[i].data, tensors[i].data)) << got[i].name;
        }
        EXPECT_EQ(lf::state_dict_keys(file.root), std::vector<std::string>{""});
    }
    std::ofstream(dir / "text.pt") << "PK\x03\x04 and nothing else";
    EXPECT_THROW(lf::read_torch_file(dir / "text.pt"), lf::FormatError);
    EXPECT_EQ(lf::torch_file_kind(dir / "text.pt"), lf::TorchFileKind::Unknown);
    EXPECT_THROW(lf::read_torch_file(dir / "missing.pt"), lf::IoError);
}

TEST(TorchLoad, KeyPathsTakeTheLongestKeyFirst) {
    const auto t = tensor_value("", lf::arrow::Buffer::copy_of(std::string("ab")));
    // {"model": {"encoder.0": {"weight": t}, "encoder": {"0.weight": 2}}, "epoch": 3}
    const lf::TorchValue root =
        dict({{"model", dict({{"encoder.0", dict({{"weight", t}})}, {"encoder", dict({{"0.weight", leaf(2)}})}})},
              {"epoch", leaf(3)}});
    EXPECT_EQ(lf::torch_value_at(root, "model.encoder.0.weight", "f").kind, lf::TorchValue::Kind::Tensor);
    EXPECT_EQ(lf::torch_value_at(root, "model.encoder.0", "f").items.at(0).key, "weight");
    // "encoder" then "0.weight": the only way through.
    EXPECT_EQ(lf::torch_value_at(root, "model.encoder", "f").items.at(0).key, "0.weight");
    EXPECT_EQ(lf::torch_value_at(root, "epoch", "f").integer, 3);
    try {
        (void)lf::torch_value_at(root, "model.decoder", "f.pt");
        ADD_FAILURE();
    } catch (const lf::InvalidArgument& e) {
        EXPECT_STREQ(e.what(),
                     "f.pt: no key 'model.decoder': 'model' has no key 'decoder' (its keys: 'encoder.0', 'encoder')");
    }
    EXPECT_THROW((void)lf::torch_value_at(root, "epoch.x", "f"), lf::InvalidArgument);
    EXPECT_EQ(lf::state_dict_keys(root), std::vector<std::string>{"model.encoder.0"});
}

TEST(TorchLoad, StateDictsSayWhatElseIsThere) {
    const auto bytes = lf::arrow::Buffer::copy_of(std::string("abcd"));
    const auto a = tensor_value("", bytes), b = tensor_value("", bytes.slice(2, 2));
    // Tied: the same bytes at the same address and shape, kept once at its first name.
    const lf::TorchValue sd = dict({{"a", a}, {"b", b}, {"a_again", a}});
    const auto got = lf::state_dict(sd, "", "f");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].name, "a");
    EXPECT_EQ(got[1].name, "b");

    const lf::TorchValue ckpt = dict({{"model", sd}, {"epoch", leaf(3)}});
    try {
        (void)lf::state_dict(ckpt, "", "f.pt");
        ADD_FAILURE();
    } catch (const lf::FormatError& e) {
        EXPECT_STREQ(e.what(),
                     "f.pt: the top level is a dict, not a state dict (a dict of tensors): its keys are 'model', "
                     "'epoch'; not tensors: 'model' (a dict of 3 items), 'epoch' (an int); state dicts in it: "
                     "'model' (3 tensors)");
    }
    EXPECT_EQ(lf::state_dict(ckpt, "model", "f.pt").size(), 2u);
    lf::TorchValue module;
    module.kind = lf::TorchValue::Kind::Object;
    module.text = "my.Net";
    module.items = {{"_parameters", sd}};
    try {
        (void)lf::state_dict(dict({{"net", module}}), "net", "f.pt");
        ADD_FAILURE();
    } catch (const lf::FormatError& e) {
        EXPECT_NE(std::string(e.what()).find("f.pt: 'net' is a pickled Python object of class my.Net"),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("torch.save(model.state_dict(), path)"), std::string::npos) << e.what();
    }
}

TEST(TorchPickle, ObjectsSetsBytesAndBigIntegersAreValuesNotCode) {
    using namespace ld;
    // GLOBAL 'my.mod Net', EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, SHORT_BINUNICODE 'k', BININT1 5, SETITEM, BUILD, STOP
    const std::string newobj =
        raw("\x80\x02"
            "cmy.mod\nNet\n)\x81}\x8c\x01kK\x05sb.");
    const auto v = unpickle(newobj, "t");
    const auto* o = std::get_if<PickleObject>(&v->value);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->type, "my.mod.Net");
    ASSERT_NE(o->state, nullptr);
    EXPECT_EQ(describe(*o->state), "a dict");
    // NEWOBJ_EX: class, args, kwargs.
    const auto ex = unpickle(raw("cmy.mod\nNet\n)}\x92."), "t");
    EXPECT_EQ(describe(*ex), "a my.mod.Net object");
    // EMPTY_SET, MARK, 1, 2, ADDITEMS; MARK 3 FROZENSET; SHORT_BINBYTES; LONG1 of 9 bytes
    EXPECT_EQ(describe(*unpickle(raw("\x8f(K\x01K\x02\x90."), "t")), "a set");
    EXPECT_EQ(describe(*unpickle(raw("(K\x03\x91."), "t")), "a set");
    const auto bytes = unpickle(raw("C\x03"
                                    "abc."),
                                "t");
    EXPECT_EQ(std::get<PickleBytes>(bytes->value).bytes, "abc");
    const auto big = unpickle(raw("\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01."), "t");
    EXPECT_EQ(std::get<PickleBigInt>(big->value).bytes.size(), 9u);
    // An object whose state holds itself: BUILD with a dict that refers back through the memo.
    const std::string cycle = raw("cm\nC\n)\x81q\x00}\x8c\x01sh\x00sb.");
    try {
        (void)unpickle(cycle, "t");
        ADD_FAILURE();
    } catch (const lf::FormatError& e) {
        EXPECT_NE(std::string(e.what()).find("contains itself"), std::string::npos) << e.what();
    }
    // Nothing is called: a REDUCE of os.system is an object like any other.
    const auto reduce = unpickle(raw("cos\nsystem\n\x8c\x02ls\x85R."), "t");
    EXPECT_EQ(describe(*reduce), "a os.system object");
    const auto file_bytes = [](const std::string& pickle) {
        // A zip archive of the pickle alone, as torch.save lays it out.
        std::vector<uint8_t> out;
        ld::ZipWriter zip([&out](std::span<const uint8_t> b) { out.insert(out.end(), b.begin(), b.end()); });
        zip.add("x/data.pkl", std::span(reinterpret_cast<const uint8_t*>(pickle.data()), pickle.size()));
        zip.finish();
        return lf::arrow::Buffer::from_vector(std::move(out));
    };
    const lf::TorchFile file =
        lf::read_torch_file(file_bytes(raw("\x80\x02"
                                           "cos\nsystem\n\x8c\x02ls\x85R.")));
    EXPECT_EQ(file.root.kind, lf::TorchValue::Kind::Object);
    EXPECT_EQ(file.root.text, "os.system");
    ASSERT_EQ(file.root.items.size(), 1u);
    EXPECT_EQ(file.root.items[0].key, "args");
    EXPECT_EQ(file.root.items[0].value.items.at(0).value.text, "ls");
}
