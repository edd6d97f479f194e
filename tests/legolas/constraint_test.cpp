// Field constraints over Arrow types: compliance of single fields (Julia's subtype question), the
// words used in messages, and the narrowing rule for re-declared fields.
#include <gtest/gtest.h>

#include "legolasflux/legolas/constraint.hpp"

namespace {

namespace arrow = legolasflux::arrow;
using namespace legolasflux::legolas;

arrow::Field col(arrow::DataType t, bool nullable = false, arrow::KeyValueMetadata md = {}) {
    return arrow::field("c", std::move(t), nullable, std::move(md));
}

arrow::KeyValueMetadata ext(const std::string& name) {
    return {{"ARROW:extension:name", name}, {"ARROW:extension:metadata", ""}};
}

FieldConstraint weights_constraint() {
    FieldConstraint flat =
        extension("JuliaLang.LegolasFlux.FlatArray",
                  struct_of({{"vec", list_of(any_real())}, {"size", list_of(exact(arrow::int64()))}}));
    return extension("JuliaLang.LegolasFlux.Weights", struct_of({{"weights", list_of(flat)}}));
}

arrow::Field weights_field(bool nullable = false) {
    arrow::Field flat = arrow::field(
        "",
        arrow::struct_({arrow::field("vec", arrow::list(arrow::field("", arrow::float32(), false)), false),
                        arrow::field("size", arrow::list(arrow::field("", arrow::int64(), false)), false)}),
        false, ext("JuliaLang.LegolasFlux.FlatArray"));
    return arrow::field("weights", arrow::struct_({arrow::field("weights", arrow::list(flat), false)}), nullable,
                        ext("JuliaLang.LegolasFlux.Weights"));
}

TEST(Constraint, DescribesInWords) {
    EXPECT_EQ(describe(exact(arrow::int64())), "int64");
    EXPECT_EQ(describe(optional(exact(arrow::int64()))), "optional int64");
    EXPECT_EQ(describe(any_signed_int()), "any signed integer");
    EXPECT_EQ(describe(any_integer()), "any integer");
    EXPECT_EQ(describe(any_real()), "any real number");
    EXPECT_EQ(describe(any_float()), "any float");
    EXPECT_EQ(describe(any_string()), "string");
    EXPECT_EQ(describe(any_binary()), "binary");
    EXPECT_EQ(describe(any_type()), "anything");
    EXPECT_EQ(describe(optional(any_type())), "anything");
    EXPECT_EQ(describe(list_of(exact(arrow::float32()))), "list of float32");
    EXPECT_EQ(describe(struct_of({{"seed", exact(arrow::int64())}, {"dropout_rate", exact(arrow::float32())}})),
              "struct {seed: int64, dropout_rate: float32}");
    EXPECT_EQ(describe(optional(weights_constraint())), "optional extension JuliaLang.LegolasFlux.Weights");
}

TEST(Constraint, DescribesColumns) {
    EXPECT_EQ(describe(col(arrow::utf8())), "utf8");
    EXPECT_EQ(describe(col(arrow::int64(), true)), "int64 (nullable)");
    EXPECT_EQ(describe(col(arrow::null(), true)), "null");
    EXPECT_EQ(describe(weights_field()),
              "struct<weights: list<struct<vec: list<float32 not null> not null, size: list<int64 not null> not "
              "null> not null extension<JuliaLang.LegolasFlux.FlatArray>> not null> (extension "
              "JuliaLang.LegolasFlux.Weights)");
}

TEST(Constraint, ExactWidthsAndSignedness) {
    const auto int64 = exact(arrow::int64());
    EXPECT_TRUE(complies(col(arrow::int64()), int64));
    EXPECT_EQ(violation(col(arrow::int32()), int64), "int32");
    EXPECT_EQ(violation(col(arrow::uint64()), int64), "uint64");
    EXPECT_EQ(violation(col(arrow::float64()), exact(arrow::float32())), "float64");
    EXPECT_TRUE(complies(col(arrow::float32()), exact(arrow::float32())));
}

TEST(Constraint, RequiredFieldsMustBeNonNullable) {
    // Arrow.jl reads a nullable column as Union{Missing,T}, which is not <: T.
    EXPECT_EQ(violation(col(arrow::int64(), true), exact(arrow::int64())), "int64 (nullable)");
    EXPECT_TRUE(complies(col(arrow::int64(), true), optional(exact(arrow::int64()))));
    EXPECT_TRUE(complies(col(arrow::int64(), false), optional(exact(arrow::int64()))));
}

TEST(Constraint, NullTypedColumnsCompleOnlyWithOptionalFields) {
    EXPECT_TRUE(complies(col(arrow::null(), true), optional(exact(arrow::int64()))));
    EXPECT_TRUE(complies(col(arrow::null(), true), optional(weights_constraint())));
    EXPECT_TRUE(complies(col(arrow::null(), true), any_type()));
    EXPECT_EQ(violation(col(arrow::null(), true), exact(arrow::int64())), "null");
}

TEST(Constraint, AbstractKinds) {
    EXPECT_TRUE(complies(col(arrow::int8()), any_signed_int()));
    EXPECT_FALSE(complies(col(arrow::uint8()), any_signed_int()));
    EXPECT_TRUE(complies(col(arrow::uint8()), any_integer()));
    EXPECT_TRUE(complies(col(arrow::boolean()), any_integer()));  // Bool <: Integer in Julia
    EXPECT_FALSE(complies(col(arrow::float32()), any_integer()));
    EXPECT_TRUE(complies(col(arrow::float16()), any_float()));
    EXPECT_TRUE(complies(col(arrow::float64()), any_real()));
    EXPECT_TRUE(complies(col(arrow::int16()), any_real()));
    EXPECT_FALSE(complies(col(arrow::utf8()), any_real()));
    EXPECT_TRUE(complies(col(arrow::utf8()), any_string()));
    EXPECT_TRUE(complies(col(arrow::large_utf8()), any_string()));
    EXPECT_FALSE(complies(col(arrow::binary()), any_string()));
    EXPECT_TRUE(complies(col(arrow::large_binary()), any_binary()));
    EXPECT_TRUE(complies(col(arrow::date32(), true), any_type()));
}

TEST(Constraint, Lists) {
    const auto c = list_of(exact(arrow::float32()));
    EXPECT_TRUE(complies(col(arrow::list(arrow::field("", arrow::float32(), false))), c));
    EXPECT_TRUE(complies(col(arrow::list(arrow::field("item", arrow::float32(), false))), c));  // names ignored
    EXPECT_TRUE(complies(col(arrow::large_list(arrow::field("", arrow::float32(), false))), c));
    // Vector{Union{Missing,Float32}} is not an AbstractVector{<:Float32}.
    EXPECT_FALSE(complies(col(arrow::list(arrow::field("", arrow::float32(), true))), c));
    EXPECT_TRUE(complies(col(arrow::list(arrow::field("", arrow::float32(), true))),
                         list_of(optional(exact(arrow::float32())))));
    EXPECT_FALSE(complies(col(arrow::fixed_size_list(arrow::field("", arrow::float32(), false), 3)), c));
    EXPECT_FALSE(complies(col(arrow::float32()), c));
    EXPECT_TRUE(complies(col(arrow::list(arrow::field("", arrow::utf8(), true))), list_of(any_type())));
}

TEST(Constraint, ExactNestedTypesCompareChildrenButNotListItemNames) {
    const auto c = exact(arrow::list(arrow::field("item", arrow::int64(), false)));
    EXPECT_TRUE(complies(col(arrow::list(arrow::field("", arrow::int64(), false))), c));
    EXPECT_FALSE(complies(col(arrow::list(arrow::field("", arrow::int64(), true))), c));
    EXPECT_FALSE(complies(col(arrow::list(arrow::field("", arrow::int32(), false))), c));
    const auto s = exact(arrow::struct_({arrow::field("a", arrow::int64(), false)}));
    EXPECT_FALSE(complies(col(arrow::struct_({arrow::field("b", arrow::int64(), false)})), s));
}

TEST(Constraint, StructsMatchChildrenByName) {
    const auto config = struct_of({{"seed", exact(arrow::int64())}, {"dropout_rate", exact(arrow::float32())}});
    const auto seed = arrow::field("seed", arrow::int64(), false);
    const auto rate = arrow::field("dropout_rate", arrow::float32(), false);
    EXPECT_TRUE(complies(col(arrow::struct_({seed, rate})), config));
    EXPECT_TRUE(complies(col(arrow::struct_({rate, seed})), config));  // order free (Legolas issue 94)
    EXPECT_FALSE(complies(col(arrow::struct_({seed})), config));       // a required child missing
    EXPECT_FALSE(complies(col(arrow::struct_({seed, rate, arrow::field("x", arrow::int8(), false)})), config));
    EXPECT_FALSE(complies(col(arrow::struct_({seed, arrow::field("dropout_rate", arrow::float64(), false)})), config));
    EXPECT_FALSE(complies(col(arrow::struct_({seed, rate}), true), config));  // nullable struct, required field
    // An extension name on the struct (a Julia record type with an arrowname) does not matter.
    EXPECT_TRUE(
        complies(col(arrow::struct_({seed, rate}), false, ext("JuliaLang.Legolas.Generated.digits-config.1")), config));
    // Optional children may be absent.
    EXPECT_TRUE(complies(col(arrow::struct_({seed})),
                         struct_of({{"seed", exact(arrow::int64())}, {"note", optional(any_string())}})));
}

TEST(Constraint, LegacyV04NestedRowsAreUnwrapped) {
    const auto config = struct_of({{"seed", exact(arrow::int64())}, {"dropout_rate", exact(arrow::float32())}});
    const auto payload = arrow::struct_(
        {arrow::field("seed", arrow::int64(), false), arrow::field("dropout_rate", arrow::float32(), false)});
    const auto wrapped = arrow::struct_({arrow::field("1", arrow::utf8(), false),
                                         arrow::field("2", arrow::int64(), false), arrow::field("3", payload, false)});
    const auto field = col(wrapped, false, ext("JuliaLang.digits-config@1"));
    ASSERT_EQ(legacy_row_payload(field), std::optional<std::size_t>(2));
    EXPECT_TRUE(complies(field, config));
    // Without the v0.4 extension name it is just a struct with children "1", "2", "3".
    EXPECT_EQ(legacy_row_payload(col(wrapped)), std::nullopt);
    EXPECT_FALSE(complies(col(wrapped), config));
    EXPECT_EQ(legacy_row_payload(col(wrapped, false, ext("JuliaLang.Legolas.Row"))), std::optional<std::size_t>(2));
}

TEST(Constraint, Extensions) {
    EXPECT_TRUE(complies(weights_field(), weights_constraint()));
    EXPECT_TRUE(complies(weights_field(true), optional(weights_constraint())));
    EXPECT_FALSE(complies(weights_field(true), weights_constraint()));
    arrow::Field plain = weights_field();
    plain.metadata.clear();  // reads as a NamedTuple in Julia
    EXPECT_FALSE(complies(plain, weights_constraint()));
    arrow::Field inner_plain = weights_field();
    inner_plain.type.children[0].type.children[0].metadata.clear();  // FlatArray without its name
    EXPECT_FALSE(complies(inner_plain, weights_constraint()));
    arrow::Field nullable_vec = weights_field();
    nullable_vec.type.children[0].type.children[0].type.children[0].type.children[0].nullable = true;
    EXPECT_FALSE(complies(nullable_vec, weights_constraint()));
    EXPECT_FALSE(complies(col(arrow::int64(), false, ext("JuliaLang.LegolasFlux.Weights")), weights_constraint()));
}

TEST(Constraint, NarrowingRule) {
    const auto int8 = exact(arrow::int8());
    EXPECT_TRUE(is_narrower_or_equal(int8, optional(int8)));  // Int8 <: Union{Missing,Int8}
    EXPECT_FALSE(is_narrower_or_equal(optional(int8), int8));
    EXPECT_FALSE(is_narrower_or_equal(any_type(), optional(int8)));  // x::Any (tour's BrokenV1)
    EXPECT_TRUE(is_narrower_or_equal(int8, any_type()));
    EXPECT_TRUE(is_narrower_or_equal(any_type(), any_type()));
    EXPECT_TRUE(is_narrower_or_equal(int8, any_signed_int()));
    EXPECT_TRUE(is_narrower_or_equal(any_signed_int(), any_integer()));
    EXPECT_FALSE(is_narrower_or_equal(any_integer(), any_signed_int()));
    EXPECT_TRUE(is_narrower_or_equal(any_float(), any_real()));
    EXPECT_FALSE(is_narrower_or_equal(exact(arrow::int16()), int8));
    EXPECT_FALSE(is_narrower_or_equal(exact(arrow::int64()), any_float()));
    EXPECT_TRUE(is_narrower_or_equal(exact(arrow::large_utf8()), any_string()));
    EXPECT_TRUE(is_narrower_or_equal(list_of(int8), list_of(any_signed_int())));
    EXPECT_FALSE(is_narrower_or_equal(list_of(any_integer()), list_of(any_signed_int())));
    EXPECT_TRUE(
        is_narrower_or_equal(exact(arrow::list(arrow::field("", arrow::int8(), false))), list_of(any_integer())));
    EXPECT_TRUE(is_narrower_or_equal(weights_constraint(), optional(weights_constraint())));
    EXPECT_FALSE(is_narrower_or_equal(extension("other", any_type()), weights_constraint()));
    EXPECT_TRUE(
        is_narrower_or_equal(struct_of({{"a", int8}}), struct_of({{"a", any_integer()}, {"b", optional(int8)}})));
    EXPECT_FALSE(is_narrower_or_equal(struct_of({{"a", int8}}), struct_of({{"a", int8}, {"b", int8}})));
}

}  // namespace
