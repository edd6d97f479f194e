// write_torch_save: the zip archive checked by a reader written here from the zip specification
// (entries, local headers, CRC-32 computed bit by bit, 64-byte alignment, zip64 forms), atomic
// replacement, refusals; and Python's torch.load (/usr/bin/python3, python3-torch) reading what we
// write, zip64 included. The CLI's tests (tests/cli/torch_save_test.cpp) compare whole rows.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "legolasflux/errors.hpp"
#include "legolasflux/safetensors_model.hpp"
#include "legolasflux/torch_save.hpp"
#include "support/bytes.hpp"
#include "support/scratch.hpp"

using namespace legolasflux;
namespace la = legolasflux::arrow;
using D = SafetensorsDtype;

namespace {

uint64_t le(const lftest::Bytes& b, uint64_t at, int n) {
    if (at + n > b.size()) throw std::runtime_error("read past the end at " + std::to_string(at));
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{b[at + i]} << (8 * i);
    return v;
}

// The polynomial, one bit at a time: independent of the library's table.
uint32_t slow_crc32(const uint8_t* p, size_t n) {
    uint32_t c = 0xffffffff;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

struct ZipEntry {
    std::string name;
    uint64_t data_offset = 0;
    uint64_t size = 0;
    bool zip64 = false;
};

// Reads the end record (zip64 when marked), every central directory entry, and each entry's local
// header; checks what the two headers share, the CRC and the stored method.
std::vector<ZipEntry> parse_zip(const lftest::Bytes& b) {
    const uint64_t end = b.size() - 22;
    EXPECT_EQ(le(b, end, 4), 0x06054b50u) << "no end of central directory record without comment";
    uint64_t count = le(b, end + 10, 2), cd_size = le(b, end + 12, 4), cd_offset = le(b, end + 16, 4);
    if (cd_offset == 0xffffffff) {
        EXPECT_EQ(le(b, end - 20, 4), 0x07064b50u) << "zip64 locator";
        const uint64_t record = le(b, end - 12, 8);
        EXPECT_EQ(le(b, record, 4), 0x06064b50u);
        count = le(b, record + 32, 8);
        cd_size = le(b, record + 40, 8);
        cd_offset = le(b, record + 48, 8);
    }
    std::vector<ZipEntry> entries;
    uint64_t at = cd_offset;
    for (uint64_t i = 0; i < count; ++i) {
        EXPECT_EQ(le(b, at, 4), 0x02014b50u);
        ZipEntry e;
        const uint64_t method = le(b, at + 10, 2), crc = le(b, at + 16, 4);
        uint64_t csize = le(b, at + 20, 4), usize = le(b, at + 24, 4), offset = le(b, at + 42, 4);
        const uint64_t name_len = le(b, at + 28, 2), extra_len = le(b, at + 30, 2), comment_len = le(b, at + 32, 2);
        e.name.assign(b.begin() + at + 46, b.begin() + at + 46 + name_len);
        if (usize == 0xffffffff) {
            e.zip64 = true;
            const uint64_t x = at + 46 + name_len;
            EXPECT_EQ(le(b, x, 2), 1u);
            usize = le(b, x + 4, 8);
            csize = le(b, x + 12, 8);
            offset = le(b, x + 20, 8);
        }
        EXPECT_EQ(method, 0u) << e.name << ": stored";
        EXPECT_EQ(csize, usize) << e.name;
        e.size = usize;
        EXPECT_EQ(le(b, offset, 4), 0x04034b50u) << e.name;
        EXPECT_EQ(le(b, offset + 14, 4), crc) << e.name << ": local and central CRC";
        const uint64_t local_name = le(b, offset + 26, 2), local_extra = le(b, offset + 28, 2);
        EXPECT_EQ(std::string(b.begin() + offset + 30, b.begin() + offset + 30 + local_name), e.name);
        // The extra fields: each an id and a length; PyTorch's padding is "FB".
        bool padded = false;
        for (uint64_t x = offset + 30 + local_name; x < offset + 30 + local_name + local_extra;) {
            const uint64_t id = le(b, x, 2), len = le(b, x + 2, 2);
            padded |= id == ('F' | 'B' << 8);
            x += 4 + len;
        }
        EXPECT_TRUE(padded) << e.name;
        e.data_offset = offset + 30 + local_name + local_extra;
        EXPECT_LE(e.data_offset + e.size, cd_offset) << e.name;
        EXPECT_EQ(slow_crc32(b.data() + e.data_offset, e.size), crc) << e.name;
        entries.push_back(e);
        at += 46 + name_len + extra_len + comment_len;
    }
    EXPECT_EQ(at, cd_offset + cd_size);
    return entries;
}

SafeTensor tensor(std::string name, D dtype, std::vector<int64_t> shape, std::vector<uint8_t> bytes) {
    return {std::move(name), dtype, std::move(shape), la::Buffer::copy_of(bytes.data(), bytes.size())};
}

std::vector<SafeTensor> sample() {
    std::vector<float> w{1.5f, -2.0f, 0.25f, 3.0f, 4.0f, -0.5f};
    std::vector<uint8_t> wb(24);
    std::memcpy(wb.data(), w.data(), 24);
    std::vector<uint8_t> big(70000 * 2, 0x3c);  // 70000 float16 values: numel needs BININT
    return {tensor("fc.weight", D::F32, {2, 3}, wb),
            tensor("flag", D::BOOL, {}, {1}),
            tensor("steps", D::I64, {1}, {0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}),  // 2^32
            tensor("empty", D::F64, {0, 3}, {}),
            tensor("halves", D::F16, {7, 10000}, big),
            tensor("bf", D::BF16, {2}, {0x80, 0x3f, 0x00, 0xc0})};
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(TorchSave, ArchiveHasTorchsRecordsAlignedAndChecksummed) {
    for (const bool zip64 : {false, true}) {
        SCOPED_TRACE(zip64 ? "zip64" : "plain");
        const auto path = lftest::scratch_dir("torch_save") / "sample.pt";
        const auto tensors = sample();
        write_torch_save(path, tensors, {.durable = false, .force_zip64 = zip64});
        const lftest::Bytes b = lftest::load_bytes(path);
        const std::vector<ZipEntry> entries = parse_zip(b);
        ASSERT_EQ(entries.size(), tensors.size() + 2);
        EXPECT_EQ(entries.front().name, "archive/data.pkl");
        EXPECT_EQ(entries.back().name, "archive/version");
        EXPECT_EQ(std::string(b.begin() + entries.back().data_offset, b.begin() + entries.back().data_offset + 2),
                  "3\n");
        for (size_t k = 0; k < tensors.size(); ++k) {
            const ZipEntry& e = entries[k + 1];
            EXPECT_EQ(e.name, "archive/data/" + std::to_string(k));
            EXPECT_EQ(e.zip64, zip64);
            ASSERT_EQ(e.size, static_cast<uint64_t>(tensors[k].data.size())) << e.name;
            EXPECT_EQ(std::memcmp(b.data() + e.data_offset, tensors[k].data.data(), e.size), 0) << e.name;
        }
        for (const ZipEntry& e : entries) EXPECT_EQ(e.data_offset % 64, 0u) << e.name << " is not aligned";
        // The pickle: protocol 2, the state dict's class, every name, the rebuild function.
        const ZipEntry& pkl = entries.front();
        const std::string pickle(b.begin() + pkl.data_offset, b.begin() + pkl.data_offset + pkl.size);
        EXPECT_EQ(pickle.substr(0, 2), "\x80\x02");
        EXPECT_EQ(pickle.back(), '.');
        for (const std::string part : {"ccollections\nOrderedDict\n", "ctorch._utils\n_rebuild_tensor_v2\n",
                                       "ctorch\nBFloat16Storage\n", "fc.weight", "halves"})
            EXPECT_NE(pickle.find(part), std::string::npos) << part;
    }
}

TEST(TorchSave, RefusalsLeaveThePreviousFileAsItWas) {
    const auto path = lftest::scratch_dir("torch_save_refusals") / "keep.pt";
    write_torch_save(path, sample(), {.durable = false});
    const std::string before = slurp(path);
    std::vector<SafeTensor> twice = sample();
    twice.push_back(twice.front());
    EXPECT_THROW(write_torch_save(path, twice), InvalidArgument);
    try {
        write_torch_save(path, std::vector{tensor("counts", D::U16, {1}, {1, 0})});
        ADD_FAILURE() << "uint16 written";
    } catch (const UnsupportedError& e) {
        EXPECT_NE(std::string(e.what()).find("tensor 'counts'"), std::string::npos) << e.what();
    }
    EXPECT_THROW(write_torch_save(path, std::vector{tensor("short", D::F32, {2}, {1, 2, 3})}), InvalidArgument);
    EXPECT_EQ(slurp(path), before);
    EXPECT_THROW(write_torch_save(path.parent_path() / "missing" / "x.pt", sample()), IoError);
}

// Python's torch reads the files, zip64 forms included: names, dtypes, shapes and bytes.
TEST(TorchSave, PythonTorchLoadsEveryTensor) {
    const auto dir = lftest::scratch_dir("torch_save_python");
    const auto tensors = sample();
    write_torch_save(dir / "plain.pt", tensors, {.durable = false});
    write_torch_save(dir / "zip64.pth", tensors, {.durable = false, .force_zip64 = true});
    write_torch_save(dir / "empty.pt", std::vector<SafeTensor>{}, {.durable = false});  // an empty OrderedDict
    std::ofstream(dir / "read.py") << R"(import sys, torch
for path in sys.argv[1:]:
    for weights_only in (False, True):
        sd = torch.load(path, weights_only=weights_only)
        assert type(sd).__name__ == "OrderedDict", type(sd)
        for name, t in sd.items():
            raw = t.contiguous().view(-1).view(torch.uint8) if t.dtype != torch.bool else t.to(torch.uint8).view(-1)
            print(name, str(t.dtype), list(t.shape), t.is_contiguous(), bytes(raw.tolist()).hex())
)";
    const std::string out = (dir / "out").string();
    const std::string command = "/usr/bin/python3 " + (dir / "read.py").string() + " " + (dir / "plain.pt").string() +
                                " " + (dir / "zip64.pth").string() + " " + (dir / "empty.pt").string() + " >" + out +
                                " 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << slurp(out);
    const std::map<D, std::string> torch_dtype{{D::F32, "torch.float32"}, {D::BOOL, "torch.bool"},
                                               {D::I64, "torch.int64"},   {D::F64, "torch.float64"},
                                               {D::F16, "torch.float16"}, {D::BF16, "torch.bfloat16"}};
    std::string expected;
    for (int pass = 0; pass < 4; ++pass)
        for (const SafeTensor& t : tensors) {
            std::string shape, hex;
            for (int64_t d : t.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
            static const char* digits = "0123456789abcdef";
            for (uint8_t byte : t.data.span()) hex += std::string{digits[byte >> 4], digits[byte & 15]};
            expected += t.name + " " + torch_dtype.at(t.dtype) + " [" + shape + "] True " + hex + "\n";
        }
    EXPECT_EQ(slurp(out), expected);
}
