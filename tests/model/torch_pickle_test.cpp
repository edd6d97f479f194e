// The state-dict pickle reader on pickles torch.save never writes: values that contain themselves
// (through the memo) and values nested deeper than any state dict. Found by fuzz_torch_pickle: a
// dict put into itself was never freed (LeakSanitizer in the fuzz build); the sanitizer build of
// these tests checks that nothing leaks and nothing recurses too deep.
#include <gtest/gtest.h>

#include <string>

#include "legolasflux/errors.hpp"
#include "model/torch_pickle.hpp"

namespace {

using legolasflux::FormatError;
using legolasflux::detail::unpickle;

std::string error_of(const std::string& pickle) {
    try {
        (void)unpickle(pickle, "test.pkl");
    } catch (const FormatError& e) {
        return e.what();
    }
    return "no error";
}

// EMPTY_DICT, BINPUT 0, BININT1 1, BINGET 0, SETITEM: d[1] = d.
const std::string kSelfDict = std::string("}q\x00K\x01h\x00s", 8);

TEST(Pickle, AValueThatContainsItselfIsAFormatError) {
    EXPECT_NE(error_of(kSelfDict + "."), "no error");
    EXPECT_NE(error_of(kSelfDict + ".").find("contains itself"), std::string::npos) << error_of(kSelfDict + ".");
    // A list inside a tuple inside the list: EMPTY_LIST, BINPUT 0, BINGET 0, TUPLE1, APPEND.
    const std::string list_cycle(
        "]q\x00h\x00\x85"
        "a.",
        8);
    EXPECT_NE(error_of(list_cycle).find("contains itself"), std::string::npos) << error_of(list_cycle);
}

TEST(Pickle, CyclesLeftOnTheStackOrInTheMemoAreFreed) {
    // The cyclic dict stays on the stack under None: "STOP with 2 values", and the dict is freed
    // (the sanitizer build's leak check fails otherwise).
    EXPECT_NE(error_of(kSelfDict + "N.").find("STOP with 2 values"), std::string::npos);
    // Only in the memo: the dict is stored, then replaced on the stack by a list of it...
    // (the stack keeps it too, so STOP fails; what matters is that it is freed).
    EXPECT_NE(error_of(kSelfDict + "].").find("STOP with 2 values"), std::string::npos);
}

TEST(Pickle, DeepNestingIsAFormatErrorWithoutRecursing) {
    // BININT1 1, then TUPLE1 200,000 times: (((1,),),…).
    const std::string deep = "K\x01" + std::string(200'000, '\x85') + ".";
    EXPECT_NE(error_of(deep).find("nested more than"), std::string::npos) << error_of(deep);
    // Garbage as deep under the value returned is freed without recursing either.
    EXPECT_NE(error_of("K\x01" + std::string(200'000, '\x85') + "N.").find("STOP with 2 values"), std::string::npos);
    // Within the limit it reads.
    EXPECT_EQ(error_of("K\x01" + std::string(500, '\x85') + "."), "no error");
}

}  // namespace
