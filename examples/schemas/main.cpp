// The README's "Schemas" section, compiled and run: declaring schema versions (as record types
// and on a registry), extending them, validating tables and writing and reading tagged files.
// Exits non-zero when something the README says does not hold.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

// [declare]
#include "legolasflux/legolas/legolas.hpp"

namespace example {

struct ConfigV1 {
    int64_t seed = 0;
    float dropout_rate = 0;
};
LEGOLAS_RECORD(ConfigV1, "example.config", 1, seed, dropout_rate);

struct RunV1 {
    std::optional<int64_t> epoch;  // may be missing
    std::string name;              // required
    std::vector<float> losses;     // list of float32
    ConfigV1 config;               // struct {seed: int64, dropout_rate: float32}
};
LEGOLAS_RECORD(RunV1, "example.run", 1, epoch, name, losses, config);

}  // namespace example
// [/declare]

// [extend]
namespace example {

struct BarV1 {
    std::optional<int8_t> x;
    std::string y;
    std::optional<std::string> z;
};
LEGOLAS_RECORD(BarV1, "example.bar", 1, x, y, LEGOLAS_REQUIRED(z));

// Legolas' custom field assignment `z::String = ismissing(z) ? string(y, '_', x) : z`.
inline void legolas_assign(legolasflux::legolas::tag<BarV1>, BarV1& r) {
    if (!r.z) r.z = r.y + "_" + (r.x ? std::to_string(*r.x) : "missing");
}

struct BazV1 : BarV1 {
    int64_t k = 0;
};
LEGOLAS_RECORD_EXTENDS(BazV1, "example.baz", 1, BarV1, LEGOLAS_REQUIRED(x), k);

// Legolas' `@check`.
inline void legolas_check(legolasflux::legolas::tag<BazV1>, const BazV1& r) {
    legolasflux::legolas::check(r.k >= 0, "k >= 0");
}

}  // namespace example
// [/extend]

// [registry]
using namespace legolasflux::legolas;
namespace arrow = legolasflux::arrow;

void declare_measurements(Registry& registry) {
    registry.declare(
        {SchemaVersion{"example.measurement", 1},
         std::nullopt,
         {{"id", exact(arrow::int64())}, {"values", list_of(any_float())}, {"note", optional(any_string())}}});
}
// [/registry]

// [validate]
void check(const arrow::Schema& schema) {
    const SchemaVersion sv{"example.baz", 1};
    for (const Violation& v : find_violations(schema, sv)) std::cerr << v.to_string() << "\n";
    validate(schema, sv);  // throws SchemaError listing every violation
}
// [/validate]

// [round-trip]
void round_trip(const std::filesystem::path& path) {
    // Typed rows: columns in declared order, metadata legolas_schema_qualified = "example.baz@1>example.bar@1".
    std::vector<example::BazV1> rows(1);
    rows[0].x = 1;
    rows[0].y = "a";
    rows[0] = make(rows[0]);
    write(path, rows);
    std::vector<example::BazV1> back = read<example::BazV1>(path);  // also accepts extensions of example.baz@1

    // Any table: validated, then written with the metadata (other metadata kept, the key set once).
    arrow::Table table = to_table(rows);
    write(path, table, SchemaVersion{"example.baz", 1});
    ReadResult result = read(path);  // result.schema_version == example.baz@1, validated
}
// [/round-trip]

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
    if (!ok) {
        std::cerr << "schemas example: FAILED: " << what << "\n";
        ++failures;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::filesystem::path dir = argc > 1 ? argv[1] : std::filesystem::temp_directory_path();
    const auto path = dir / "example.baz.arrow";

    Registry registry;
    declare_measurements(registry);
    expect(registry.is_declared(SchemaVersion{"example.measurement", 1}), "example.measurement@1 is declared");

    // [make]
    example::BazV1 baz;
    baz.x = 23;
    baz.y = "beep";
    baz = legolasflux::legolas::make(baz);  // z == "beep_23"
    // [/make]
    expect(baz.z == "beep_23", "make applies the parent's assignment");

    baz.k = -1;
    try {
        (void)make(baz);
        expect(false, "a failed @check throws");
    } catch (const CheckConstraintError&) {}

    // The README's example violations (the message is printed there in full): `y` missing and `k` a string.
    auto schema = *to_table(std::vector<example::BazV1>{make(example::BazV1{{1, "a", {}}, 2})}).schema;
    std::erase_if(schema.fields, [](const arrow::Field& f) { return f.name == "y"; });
    for (auto& f : schema.fields)
        if (f.name == "k") f.type = arrow::utf8();
    try {
        check(schema);
        expect(false, "validate throws on violations");
    } catch (const legolasflux::SchemaError& e) {
        const std::string expected =
            "Arrow schema violates Legolas schema `example.baz@1`:\n"
            " - Could not find declared field: `y`\n"
            " - Incorrect type: `k` expected `<:int64`, found `utf8`\n"
            "Provided Arrow schema:\n"
            " x: int8 not null\n"
            " z: utf8 not null\n"
            " k: utf8 not null";
        expect(std::string(e.what()) == expected, std::string("the README's message, got:\n") + e.what());
    }

    round_trip(path);
    const ReadResult result = read(path);
    expect(result.schema_version == SchemaVersion("example.baz", 1), "the file reads as example.baz@1");
    const auto back = read<example::BazV1>(path);
    expect(back.size() == 1 && back[0].z == "a_1" && back[0].x == 1, "typed rows come back");
    std::filesystem::remove(path);

    if (failures == 0) std::cout << "schemas example: every statement of the README's Schemas section holds\n";
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
