// `legolasflux arrow …` through the real binary.
#include <gtest/gtest.h>

#include "cli/cli_files.hpp"
#include "cli/cli_support.hpp"
#include "legolasflux/arrow/compare.hpp"
#include "legolasflux/arrow/ipc.hpp"
#include "legolasflux/arrow/json.hpp"

using namespace lftest;
namespace lfa = legolasflux::arrow;

TEST(CliArrow, JsonToArrowToJsonKeepsTheTable) {
    const auto dir = cli_scratch_dir("arrow_json");
    for (const std::string name : {"primitive", "nested_deep", "dictionary", "unions"}) {
        SCOPED_TRACE(name);
        const auto json = corpus_json(name);
        const auto file = dir / (name + ".arrow");
        const auto stream = dir / (name + ".arrows");
        auto r = run_cli({"arrow", "from-json", json.string(), file.string(), "--compression", "zstd"});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        r = run_cli({"arrow", "from-json", json.string(), stream.string(), "--stream"});
        ASSERT_EQ(r.exit_code, 0) << describe(r);

        const lfa::Table expected = lfa::read_json(slurp(json));
        EXPECT_TRUE(lfa::table_equals(lfa::read_file(file), expected))
            << lfa::table_difference(lfa::read_file(file), expected);
        EXPECT_TRUE(lfa::table_equals(lfa::read_any(stream), expected));

        r = run_cli({"arrow", "json", stream.string()});
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_TRUE(lfa::table_equals(lfa::read_json(r.out), expected));
    }
}

TEST(CliArrow, CatReencodesAndValidateReportsTheShape) {
    const auto dir = cli_scratch_dir("arrow_cat");
    const auto out = dir / "julia_lz4.arrow";
    auto r = run_cli({"arrow", "cat", julia_model().string(), out.string(), "--compression", "lz4"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(lfa::table_equals(lfa::read_file(out), lfa::read_file(julia_model())));

    r = run_cli({"arrow", "validate", out.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("valid Arrow file, 5 columns, 1 record batch, 1 row"), std::string::npos) << r.out;
    r = run_cli({"arrow", "validate", "--quiet", out.string()});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
}

TEST(CliArrow, PrintShowsSchemaAndValues) {
    const auto r = run_cli({"arrow", "print", julia_model().string()});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("weights"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("JuliaLang.LegolasFlux.Weights"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("epoch"), std::string::npos) << r.out;
}

TEST(CliArrow, BadInputIsReportedOnStderrWithExitCode1) {
    const auto dir = cli_scratch_dir("arrow_bad");
    const auto missing = dir / "missing.arrow";
    auto r = run_cli({"arrow", "validate", missing.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find(missing.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("No such file"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");

    const auto corrupt = corrupt_copy_of_julia_model(dir);
    r = run_cli({"arrow", "validate", corrupt.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;

    // A JSON document is not an Arrow file.
    r = run_cli({"arrow", "print", corpus_json("primitive").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_FALSE(r.err.empty());

    r = run_cli({"arrow", "from-json", julia_model().string(), (dir / "x.arrow").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_FALSE(std::filesystem::exists(dir / "x.arrow"));
}

TEST(CliArrow, WrongCommandLinesExitWith2) {
    EXPECT_EQ(run_cli({}).exit_code, 2);
    EXPECT_EQ(run_cli({"arrow"}).exit_code, 2);
    EXPECT_EQ(run_cli({"arrow", "json"}).exit_code, 2);
    EXPECT_EQ(run_cli({"no-such-command"}).exit_code, 2);
    const auto r = run_cli({"arrow", "cat", "a", "b", "--compression", "gzip"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("gzip"), std::string::npos) << r.err;
}

TEST(CliHelp, EverySubcommandHasHelp) {
    for (const std::vector<std::string> cmd : {std::vector<std::string>{},
                                               {"arrow"},
                                               {"arrow", "json"},
                                               {"arrow", "from-json"},
                                               {"arrow", "cat"},
                                               {"arrow", "validate"},
                                               {"arrow", "print"},
                                               {"validate"},
                                               {"schema"},
                                               {"inspect"}}) {
        auto args = cmd;
        args.push_back("--help");
        const auto r = run_cli(args);
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_NE(r.out.find("Usage"), std::string::npos) << describe(r);
    }
    const auto v = run_cli({"--version"});
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_NE(v.out.find("legolasflux"), std::string::npos);
}
