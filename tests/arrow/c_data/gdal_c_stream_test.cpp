// GDAL as an independent producer of the Arrow C stream interface: OGR_L_GetArrowStream (GDAL >= 3.6,
// Debian 12's libgdal32) hands out a layer's features as an ArrowArrayStream, and our importer
// (legolasflux/arrow/c_data.hpp) must read GDAL's schema, batches, nulls, strings, dates,
// timestamps, booleans and WKB geometries with their extension metadata exactly.
//
// The layers are CSV files the test writes (with a .csvt file naming each column's OGR type), read
// by GDAL's CSV driver through the generic OGRLayer::GetArrowStream, in batches of two features so
// that a stream of several batches is exercised. GDAL 3.6 cannot consume an Arrow stream
// (OGRLayer::WriteArrowBatch came with 3.8), so this is one direction only.
//
// libgdal32 is loaded at run time with dlopen and its C API declared here (the few functions used,
// as GDAL's ogr_api.h and gdal.h declare them), so that the test needs the library, which
// scripts/setup.sh installs, and not the 65 packages that libgdal-dev's headers pull in. Without
// the library the test is skipped and says so.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "legolasflux/arrow/c_data.hpp"

namespace {

using namespace legolasflux::arrow;

// GDAL's C API: opaque handles; GDAL_OF_VECTOR from gdal.h.
struct Gdal {
    using AllRegister = void (*)();
    using OpenEx = void* (*)(const char* path, unsigned flags, const char* const* drivers,
                             const char* const* open_options, const char* const* sibling_files);
    using DatasetGetLayer = void* (*)(void* dataset, int index);
    using LayerGetArrowStream = bool (*)(void* layer, ArrowArrayStream* out, char** options);
    using Close = void (*)(void* dataset);
    using GetLastErrorMsg = const char* (*)();
    static constexpr unsigned kOfVector = 0x04;

    void* library = nullptr;
    AllRegister all_register = nullptr;
    OpenEx open_ex = nullptr;
    DatasetGetLayer get_layer = nullptr;
    LayerGetArrowStream get_arrow_stream = nullptr;
    Close close = nullptr;
    GetLastErrorMsg last_error = nullptr;
    std::string missing;  // why GDAL cannot be used, when it cannot

    static const Gdal& instance() {
        static const Gdal gdal = load();
        return gdal;
    }

private:
    static Gdal load() {
        Gdal g;
        // Never unloaded: GDAL registers drivers and atexit handlers.
        g.library = ::dlopen("libgdal.so.32", RTLD_NOW | RTLD_LOCAL);
        if (!g.library) g.library = ::dlopen("libgdal.so", RTLD_NOW | RTLD_LOCAL);
        if (!g.library) {
            g.missing = std::string("GDAL (Debian 12: libgdal32, installed by scripts/setup.sh) is not installed: ") +
                        ::dlerror();
            return g;
        }
        const auto symbol = [&](auto& fn, const char* name) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(g.library, name));
            if (!fn && g.missing.empty()) g.missing = std::string("GDAL has no ") + name + " (it needs GDAL >= 3.6)";
        };
        symbol(g.all_register, "GDALAllRegister");
        symbol(g.open_ex, "GDALOpenEx");
        symbol(g.get_layer, "GDALDatasetGetLayer");
        symbol(g.get_arrow_stream, "OGR_L_GetArrowStream");
        symbol(g.close, "GDALClose");
        symbol(g.last_error, "CPLGetLastErrorMsg");
        if (g.missing.empty()) g.all_register();
        return g;
    }
};

std::filesystem::path scratch(const std::string& name) {
    auto dir = std::filesystem::path(LEGOLASFLUX_BINARY_DIR) / "tests" / "gdal_scratch" / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

// Opens `path` with GDAL and imports its first layer's Arrow stream, handing each imported batch
// to `visit`. GDAL asks consumers to release each batch before asking for the next one, and the
// stream before closing the dataset: a batch's buffers are released with the last reference to
// them, and `visit` keeps none (it copies the values out).
template <class Visit>
Schema read_layer(const std::filesystem::path& path, const std::vector<std::string>& options, Visit&& visit) {
    const Gdal& gdal = Gdal::instance();
    void* dataset = gdal.open_ex(path.c_str(), Gdal::kOfVector, nullptr, nullptr, nullptr);
    if (!dataset) throw std::runtime_error("GDAL cannot open " + path.string() + ": " + gdal.last_error());
    void* layer = gdal.get_layer(dataset, 0);
    std::vector<std::string> owned = options;
    std::vector<char*> c_options;
    for (auto& o : owned) c_options.push_back(o.data());
    c_options.push_back(nullptr);
    ArrowArrayStream stream{};
    if (!layer || !gdal.get_arrow_stream(layer, &stream, c_options.data())) {
        gdal.close(dataset);
        throw std::runtime_error("OGR_L_GetArrowStream failed: " + std::string(gdal.last_error()));
    }
    Schema schema;
    try {
        ArrowSchema c_schema{};
        if (stream.get_schema(&stream, &c_schema) != 0)
            throw std::runtime_error(std::string("get_schema: ") + stream.get_last_error(&stream));
        schema = import_schema(&c_schema);
        const auto shared = std::make_shared<const Schema>(schema);
        for (;;) {
            ArrowArray c_array{};
            if (stream.get_next(&stream, &c_array) != 0)
                throw std::runtime_error(std::string("get_next: ") + stream.get_last_error(&stream));
            if (!c_array.release) break;
            visit(import_record_batch(&c_array, shared));  // dropped (and released) before the next call
        }
    } catch (...) {
        stream.release(&stream);
        gdal.close(dataset);
        throw;
    }
    stream.release(&stream);
    gdal.close(dataset);
    return schema;
}

// One column's slots, across batches, as optional values (nullopt for null).
template <class T, class Get>
void append(std::vector<std::optional<T>>& out, const Array& a, Get&& get) {
    for (int64_t i = 0; i < a.length; ++i) out.push_back(a.is_null(i) ? std::nullopt : std::optional<T>(get(a, i)));
}

template <class T>
T fixed(const Array& a, int64_t i) {
    return a.values<T>()[i];
}

std::string bytes(const Array& a, int64_t i) { return std::string(a.bytes_value(i)); }

template <class T>
using Column = std::vector<std::optional<T>>;

}  // namespace

TEST(GdalArrowStream, ACsvLayerArrivesWithItsTypesNullsAndValues) {
    const Gdal& gdal = Gdal::instance();
    if (!gdal.missing.empty()) GTEST_SKIP() << gdal.missing;
    const auto dir = scratch("csv");
    // Row 2 leaves every field but the ids empty: nulls for numbers, dates and booleans, an empty
    // string (not a null) for the string column, as GDAL's CSV driver reads them.
    std::ofstream(dir / "table.csv") << "id,count,big,ratio,name,day,when,flag\n"
                                        "1,10,9000000000,0.5,alpha,2024-02-29,2024-02-29 12:34:56,1\n"
                                        "2,,-1,,,,,0\n"
                                        "3,-7,0,-2.25,gamma \xc3\xbc,1970-01-01,1970-01-01 00:00:00,\n";
    std::ofstream(dir / "table.csvt")
        << "\"Integer\",\"Integer\",\"Integer64\",\"Real\",\"String\",\"Date\",\"DateTime\",\"Integer(Boolean)\"\n";

    Column<int64_t> fid, big;
    Column<int32_t> id, count, day;
    Column<double> ratio;
    Column<std::string> name;
    Column<int64_t> when;
    Column<bool> flag;
    std::vector<int64_t> lengths;
    const Schema schema = read_layer(dir / "table.csv", {"MAX_FEATURES_IN_BATCH=2"}, [&](const RecordBatch& b) {
        ASSERT_EQ(b.columns.size(), 9u);
        lengths.push_back(b.length);
        append(fid, *b.columns[0], fixed<int64_t>);
        append(id, *b.columns[1], fixed<int32_t>);
        append(count, *b.columns[2], fixed<int32_t>);
        append(big, *b.columns[3], fixed<int64_t>);
        append(ratio, *b.columns[4], fixed<double>);
        append(name, *b.columns[5], bytes);
        append(day, *b.columns[6], fixed<int32_t>);
        append(when, *b.columns[7], fixed<int64_t>);
        append(flag, *b.columns[8], [](const Array& a, int64_t i) { return a.bool_value(i); });
    });

    // OGR adds its feature id (never null); every attribute column is nullable.
    const Schema expected{{field("OGC_FID", int64(), false), field("id", int32()), field("count", int32()),
                           field("big", int64()), field("ratio", float64()), field("name", utf8()),
                           field("day", date32()), field("when", timestamp(TimeUnit::Millisecond)),
                           field("flag", boolean())}};
    EXPECT_EQ(schema, expected) << to_string(schema);
    EXPECT_EQ(lengths, (std::vector<int64_t>{2, 1}));
    EXPECT_EQ(fid, (Column<int64_t>{1, 2, 3}));
    EXPECT_EQ(id, (Column<int32_t>{1, 2, 3}));
    EXPECT_EQ(count, (Column<int32_t>{10, std::nullopt, -7}));
    EXPECT_EQ(big, (Column<int64_t>{9000000000, -1, 0}));
    EXPECT_EQ(ratio, (Column<double>{0.5, std::nullopt, -2.25}));
    EXPECT_EQ(name, (Column<std::string>{"alpha", "", "gamma \xc3\xbc"}));
    // 2024-02-29 is day 19782 of the Unix epoch; 12:34:56 on it is 1709210096 s.
    EXPECT_EQ(day, (Column<int32_t>{19782, std::nullopt, 0}));
    EXPECT_EQ(when, (Column<int64_t>{1709210096000, std::nullopt, 0}));
    EXPECT_EQ(flag, (Column<bool>{true, false, std::nullopt}));
}

TEST(GdalArrowStream, GeometriesArriveAsWkbWithTheirExtensionName) {
    const Gdal& gdal = Gdal::instance();
    if (!gdal.missing.empty()) GTEST_SKIP() << gdal.missing;
    const auto dir = scratch("wkt");
    std::ofstream(dir / "shapes.csv") << "WKT,label\n\"POINT (1 2)\",a\n,b\n\"LINESTRING (0 0,1 1)\",c\n";
    std::ofstream(dir / "shapes.csvt") << "\"WKT\",\"String\"\n";

    Column<std::string> wkb, label;
    const Schema schema = read_layer(dir / "shapes.csv", {"MAX_FEATURES_IN_BATCH=2"}, [&](const RecordBatch& b) {
        ASSERT_EQ(b.columns.size(), 4u);
        append(label, *b.columns[2], bytes);
        append(wkb, *b.columns[3], bytes);
    });
    ASSERT_EQ(schema.fields.size(), 4u) << to_string(schema);
    EXPECT_EQ(schema.fields[3].name, "geom_WKT");
    EXPECT_EQ(schema.fields[3].type, binary());
    EXPECT_EQ(find_metadata(schema.fields[3].metadata, "ARROW:extension:name"),
              std::optional<std::string_view>("ogc.wkb"));
    EXPECT_EQ(label, (Column<std::string>{"a", "b", "c"}));

    // Little-endian WKB (byte order 1, the geometry type as uint32, counts, then the coordinates),
    // built in the host's order: this machine's, x86-64 or arm64, is little-endian.
    const auto wkb_of = [](uint32_t type, std::vector<uint32_t> counts, std::vector<double> coordinates) {
        std::string out(1, '\x01');
        out.append(reinterpret_cast<const char*>(&type), 4);
        for (uint32_t c : counts) out.append(reinterpret_cast<const char*>(&c), 4);
        for (double c : coordinates) out.append(reinterpret_cast<const char*>(&c), 8);
        return out;
    };
    EXPECT_EQ(wkb, (Column<std::string>{wkb_of(1, {}, {1, 2}), std::nullopt, wkb_of(2, {2}, {0, 0, 1, 1})}));
}
