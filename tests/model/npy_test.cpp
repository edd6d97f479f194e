// .npy files: NumPy's own files (C and Fortran order, several dtypes, versions 1.0 and 2.0) read as
// Julia's arrays; ours read back by NumPy with the torch shape; damaged files refused in words.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "legolasflux/errors.hpp"
#include "legolasflux/npy.hpp"

namespace fs = std::filesystem;
using legolasflux::ElementType;
using legolasflux::FlatArray;

namespace {

fs::path scratch(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("legolasflux-npy-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir / name;
}

// Runs Debian's python3 (python3-numpy) on `code`; its stdout.
std::string python(const std::string& code) {
    const fs::path script = scratch("script.py"), out = scratch("out.txt");
    std::ofstream(script) << code;
    const std::string command = "/usr/bin/python3 " + script.string() + " >" + out.string();
    EXPECT_EQ(std::system(command.c_str()), 0) << "python3 with numpy failed on:\n" << code;
    std::ifstream in(out);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST(Npy, NumPysFilesAreJuliasArrays) {
    const fs::path c = scratch("c.npy"), f = scratch("f.npy"), i = scratch("i.npy"), v2 = scratch("v2.npy");
    python(
        "import numpy as np\n"
        "a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)\n"
        "np.save('" +
        c.string() +
        "', a)\n"
        "np.save('" +
        f.string() +
        "', np.asfortranarray(a))\n"
        "np.save('" +
        i.string() +
        "', np.array([[1, -2], [3, 4]], dtype=np.int64))\n"
        "np.lib.format.write_array(open('" +
        v2.string() + "', 'wb'), np.float64([0.5, 1.5]), version=(2, 0))\n");
    // C order (2, 3, 4): the same bytes as the Julia array of size (4, 3, 2).
    const FlatArray ca = legolasflux::read_npy(c);
    EXPECT_EQ(ca.element_type, ElementType::Float32);
    EXPECT_EQ(ca.size, (std::vector<int64_t>{4, 3, 2}));
    EXPECT_EQ(ca.data<float>()[1], 1.f);  // a[0, 0, 1]: Julia's [2, 1, 1]
    // Fortran order (2, 3, 4): the Julia array of size (2, 3, 4) — the element after a[0,0,0] is a[1,0,0].
    const FlatArray fa = legolasflux::read_npy(f);
    EXPECT_EQ(fa.size, (std::vector<int64_t>{2, 3, 4}));
    EXPECT_EQ(fa.data<float>()[1], 12.f);
    const FlatArray ia = legolasflux::read_npy(i);
    EXPECT_EQ(ia.element_type, ElementType::Int64);
    EXPECT_EQ(std::vector<int64_t>(ia.data<int64_t>().begin(), ia.data<int64_t>().end()),
              (std::vector<int64_t>{1, -2, 3, 4}));
    const FlatArray va = legolasflux::read_npy(v2);
    EXPECT_EQ(va.element_type, ElementType::Float64);
    EXPECT_EQ(va.data<double>()[1], 1.5);
}

TEST(Npy, NumPyReadsOursWithTheTorchShape) {
    const std::vector<float> values = {1, 2, 3, 4, 5, 6};
    const fs::path out = scratch("ours.npy");
    legolasflux::write_npy(out, FlatArray::from_values<float>({3, 2}, values));  // Julia (3, 2)
    const std::string printed =
        python("import numpy as np\na = np.load('" + out.string() + "')\nprint(a.dtype, a.shape, a.tolist())\n");
    EXPECT_EQ(printed, "float32 (2, 3) [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]\n");
    const FlatArray back = legolasflux::read_npy(out);
    EXPECT_EQ(back.size, (std::vector<int64_t>{3, 2}));
    EXPECT_TRUE(std::equal(values.begin(), values.end(), back.data<float>().begin()));
}

TEST(Npy, DamagedFilesSayWhatIsWrong) {
    const FlatArray a = FlatArray::from_values<float>({2}, std::vector<float>{1, 2});
    const std::string good = legolasflux::npy_bytes(a);
    const auto parse = [](const std::string& bytes) {
        legolasflux::parse_npy(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), "x.npy");
    };
    EXPECT_NO_THROW(parse(good));
    const auto message = [&](const std::string& bytes) {
        try {
            parse(bytes);
        } catch (const legolasflux::Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message("hello world"), "x.npy: not a NumPy .npy file (no \\x93NUMPY magic)");
    EXPECT_EQ(message(good.substr(0, good.size() - 1)), "x.npy: the .npy shape needs 8 bytes of data; the file has 7");
    std::string big_endian = good;
    big_endian.replace(big_endian.find("<f4"), 3, ">f4");
    EXPECT_EQ(message(big_endian), "x.npy: big-endian .npy data ('>f4'); save it little-endian");
    std::string object = good;
    object.replace(object.find("<f4"), 3, "|O8");
    EXPECT_EQ(message(object), "x.npy: .npy element type '|O8' (numeric types only)");
    std::string no_shape = good;
    no_shape.replace(no_shape.find("'shape'"), 7, "'shope'");
    EXPECT_NE(message(no_shape).find("malformed .npy header (unknown key 'shope')"), std::string::npos);
    std::string huge = good;
    huge[8] = '\xff', huge[9] = '\xff';
    EXPECT_NE(message(huge).find("the .npy header claims 65535 bytes"), std::string::npos);
}
