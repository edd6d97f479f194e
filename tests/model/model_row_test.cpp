// write_model_row / read_model_row: one row, Julia's encoding, extension rows, errors.
#include <gtest/gtest.h>

#include <cstdio>

#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"

using namespace legolasflux;
namespace la = legolasflux::arrow;

namespace model_row_test {

struct ConfigV1 {
    int64_t seed = 5;
    float dropout_rate = 0.0f;
};
LEGOLAS_RECORD(ConfigV1, "digits-config", 1, seed, dropout_rate);

struct DigitsRowV1 : ModelV1 {
    ConfigV1 config;
    std::optional<int64_t> epoch;
    std::optional<float> accuracy;
};
LEGOLAS_RECORD_EXTENDS(DigitsRowV1, "digits.model", 1, ModelV1, config, epoch, accuracy);

}  // namespace model_row_test

using model_row_test::DigitsRowV1;

namespace {

std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           ("legolasflux_model_row_" + std::to_string(::getpid()) + "_" + name);
}

Weights test_weights() {
    // LegolasFlux.jl's test_weights(): reshape(Float32.(1:prod(s)), s) for each shape.
    const std::vector<std::vector<int64_t>> shapes = {{10, 1}, {10}, {10, 10}, {10}, {1, 10}, {1}};
    std::vector<FlatArray> arrays;
    for (const auto& s : shapes) {
        int64_t n = 1;
        for (auto d : s) n *= d;
        std::vector<float> v(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i + 1);
        arrays.push_back(FlatArray::from_values<float>(s, v));
    }
    return Weights(std::move(arrays));
}

}  // namespace

TEST(ModelRow, RoundTripsWeightsAndArchitectureVersion) {
    const auto path = temp_path("simple.arrow");
    ModelV1 row{test_weights(), 1};
    write_model_row(path, row);
    const ModelV1 back = read_model_row<ModelV1>(path);
    ASSERT_TRUE(back.weights.has_value());
    EXPECT_EQ(*back.weights, *row.weights);
    EXPECT_EQ(back.architecture_version, 1);
    const ModelRow any = read_model_row(path);
    EXPECT_EQ(legolas::to_string(any.schema_version), "legolas-flux.model@1");
    EXPECT_EQ(any.qualified_identifier, "legolas-flux.model@1");
    EXPECT_EQ(*any.weights, *row.weights);
    std::filesystem::remove(path);
}

// LegolasFlux.jl: ModelV1(; weights=missing) round trips, and Julia writes the column as Null.
TEST(ModelRow, MissingWeightsAreWrittenAsJuliaWritesThem) {
    const auto path = temp_path("missing.arrow");
    write_model_row(path, ModelV1{});
    const la::Table t = la::read_file(path);
    ASSERT_EQ(t.schema->fields.size(), 2u);
    EXPECT_EQ(t.schema->fields[0].name, "weights");
    EXPECT_EQ(t.schema->fields[0].type.id, la::TypeId::Null);
    EXPECT_TRUE(t.schema->fields[0].nullable);
    EXPECT_TRUE(t.schema->fields[0].metadata.empty());
    EXPECT_EQ(t.schema->fields[1].type, la::int64());
    EXPECT_TRUE(t.schema->fields[1].nullable);
    const ModelV1 back = read_model_row<ModelV1>(path);
    EXPECT_FALSE(back.weights.has_value());
    EXPECT_FALSE(back.architecture_version.has_value());
    std::filesystem::remove(path);
}

TEST(ModelRow, Float64WeightsKeepTheirElementType) {
    const auto path = temp_path("f64.arrow");
    ModelV1 row{Weights({FlatArray::from_values<double>({2}, std::vector<double>{0.1, 0.2})}), std::nullopt};
    write_model_row(path, row);
    const la::Table t = la::read_file(path);
    EXPECT_EQ(t.schema->fields[0].type, weights_type(ElementType::Float64));
    EXPECT_EQ(*read_model_row<ModelV1>(path).weights, *row.weights);
    std::filesystem::remove(path);
}

TEST(ModelRow, ExtensionRowsAreLabelledWithTheirOwnSchema) {
    const auto path = temp_path("digits.arrow");
    DigitsRowV1 row;
    row.weights = test_weights();
    row.config = {7, 0.25f};
    row.epoch = 3;
    row.accuracy = 0.5f;
    write_model_row(path, row);
    const la::Table t = la::read_file(path);
    EXPECT_EQ(la::find_metadata(t.schema->metadata, "legolas_schema_qualified").value_or(""),
              "digits.model@1>legolas-flux.model@1");
    std::vector<std::string> names;
    for (const auto& f : t.schema->fields) names.push_back(f.name);
    EXPECT_EQ(names, (std::vector<std::string>{"weights", "architecture_version", "config", "epoch", "accuracy"}));

    const DigitsRowV1 back = read_model_row<DigitsRowV1>(path);
    EXPECT_EQ(back.config.seed, 7);
    EXPECT_EQ(back.config.dropout_rate, 0.25f);
    EXPECT_EQ(back.epoch, 3);
    EXPECT_EQ(back.accuracy, 0.5f);
    EXPECT_EQ(*back.weights, *row.weights);
    // Read as its parent too, and untyped: the most derived registered schema.
    EXPECT_EQ(*read_model_row<ModelV1>(path).weights, *row.weights);
    EXPECT_EQ(legolas::to_string(read_model_row(path).schema_version), "digits.model@1");

    // Labelled as the parent on request (Julia's write_model_row(path, row) default).
    ModelWriteOptions as_parent;
    as_parent.schema_version = legolas::schema_version_of<ModelV1>();
    write_model_row(path, row, as_parent);
    EXPECT_EQ(legolas::to_string(read_model_row(path).schema_version), "legolas-flux.model@1");
    EXPECT_THROW(read_model_row<DigitsRowV1>(path), SchemaError);
    std::filesystem::remove(path);
}

TEST(ModelRow, WeightNamesAreAnExtraColumn) {
    const auto path = temp_path("names.arrow");
    ModelWriteOptions options;
    options.weight_names = {"0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"};
    write_model_row(path, ModelV1{test_weights(), 1}, options);
    std::vector<std::string> names;
    const ModelV1 back = read_model_row<ModelV1>(path, &names);
    EXPECT_EQ(names, options.weight_names);
    EXPECT_EQ(read_model_row(path).weight_names, options.weight_names);
    std::filesystem::remove(path);
}

// A row read without its type is written with the same options as a typed one: those of the file
// apply, the label and the extra columns are its table's own and may not be asked for.
TEST(ModelRow, UntypedRowsTakeTheOptionsOfTheFile) {
    const auto path = temp_path("untyped.arrow"), again = temp_path("untyped_again.arrow");
    write_model_row(path, ModelV1{test_weights(), 4}, {.weight_names = {"a", "b", "c", "d", "e", "f"}});
    const ModelRow row = read_model_row(path);

    ModelWriteOptions options;
    options.ipc.compression = la::Compression::Zstd;
    options.ipc.durable = false;
    options.threads = 2;
    write_model_row(again, row, options);
    la::IpcFileInfo info;
    la::read_file(again, {}, &info);
    EXPECT_TRUE(info.compressed);
    const ModelRow back = read_model_row(again);
    EXPECT_EQ(*back.weights, test_weights());
    EXPECT_EQ(back.weight_names, row.weight_names);

    const auto refused = [&](ModelWriteOptions o, const std::string& field) {
        std::filesystem::remove(again);
        try {
            write_model_row(again, row, o);
            ADD_FAILURE() << field << " was accepted";
        } catch (const InvalidArgument& e) {
            EXPECT_NE(std::string(e.what()).find("options." + field), std::string::npos) << e.what();
        }
        EXPECT_FALSE(std::filesystem::exists(again)) << field;
    };
    refused({.schema_version = legolas::schema_version_of<ModelV1>()}, "schema_version");
    refused({.weight_names = {"x"}}, "weight_names");
    refused({.weight_dtypes = {ElementType::Float32}}, "weight_dtypes");
    std::filesystem::remove(path);
}

TEST(ModelRow, TheJuliaFileReadsAsAModelRow) {
    const ModelRow row = read_model_row(LEGOLASFLUX_JULIA_FIXTURES "/test.digits-model.arrow");
    EXPECT_EQ(row.qualified_identifier, "digits.model@1>legolas-flux.model@1");
    // This test binary registers digits.model@1 (above), so that is the schema read.
    EXPECT_EQ(legolas::to_string(row.schema_version), "digits.model@1");
    ASSERT_TRUE(row.weights.has_value());
    EXPECT_EQ(row.weights->size(), 14u);
    EXPECT_FALSE(row.architecture_version.has_value());
    const DigitsRowV1 digits = read_model_row<DigitsRowV1>(LEGOLASFLUX_JULIA_FIXTURES "/test.digits-model.arrow");
    EXPECT_EQ(digits.config.seed, 5);
    EXPECT_EQ(digits.epoch, 1);
    EXPECT_EQ(digits.accuracy, 0.06f);
}

TEST(ModelRow, FilesWithMoreThanOneRowAreRejected) {
    const auto path = temp_path("two.arrow");
    legolas::write(path, std::vector<ModelV1>{ModelV1{test_weights(), 1}, ModelV1{test_weights(), 2}});
    try {
        (void)read_model_row(path);
        FAIL();
    } catch (const SchemaError& e) {
        EXPECT_NE(std::string(e.what()).find("exactly one row"), std::string::npos) << e.what();
    }
    std::filesystem::remove(path);
}

namespace {

// write_model_row hands the weights to the writer beside the table (their arrays written from
// their own memory); the file is byte for byte what writing the table with all values copied into
// one buffer gives, for every option that changes the layout.
TEST(ModelRow, GatheredWeightsWriteTheSameBytesAsOneBuffer) {
    DigitsRowV1 row;
    row.weights = test_weights();
    row.epoch = 3;
    for (const auto compression : {la::Compression::None, la::Compression::Lz4Frame, la::Compression::Zstd})
        for (const int alignment : {8, 64}) {
            ModelWriteOptions options;
            options.ipc.compression = compression;
            options.ipc.alignment = alignment;
            options.ipc.durable = false;
            options.weight_names = {"a", "b", "c", "d", "e", "f"};
            const auto gathered = temp_path("gathered.arrow"), copied = temp_path("copied.arrow");
            write_model_row(gathered, row, options);
            detail::write_model_table(copied, legolas::to_table(std::vector<DigitsRowV1>{legolas::make(row)}),
                                      legolas::schema_version_of<DigitsRowV1>(), options);
            const la::Buffer a = la::read_whole_file(gathered), b = la::read_whole_file(copied);
            EXPECT_TRUE(la::same_bytes(a, b))
                << "compression " << static_cast<int>(compression) << ", alignment " << alignment;
            EXPECT_EQ(read_model_row<DigitsRowV1>(gathered).weights, row.weights);
            std::remove(gathered.c_str());
            std::remove(copied.c_str());
        }
}

}  // namespace
