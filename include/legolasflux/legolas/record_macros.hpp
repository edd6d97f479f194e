// Preprocessor machinery behind LEGOLAS_RECORD (record.hpp): a FOR_EACH over up to 40 members, and
// the detection of LEGOLAS_REQUIRED(member), which expands to the member name in parentheses.
// Nothing here is meant to be used directly.
#pragma once

#define LEGOLAS_DETAIL_CAT(a, b) LEGOLAS_DETAIL_CAT_I(a, b)
#define LEGOLAS_DETAIL_CAT_I(a, b) a##b
#define LEGOLAS_DETAIL_STR(x) LEGOLAS_DETAIL_STR_I(x)
#define LEGOLAS_DETAIL_STR_I(x) #x
#define LEGOLAS_DETAIL_SECOND(a, b, ...) b

// 1 when `e` is parenthesised, i.e. written LEGOLAS_REQUIRED(name); 0 for a plain name.
#define LEGOLAS_DETAIL_IS_PAREN(e) LEGOLAS_DETAIL_IS_PAREN_I(LEGOLAS_DETAIL_IS_PAREN_PROBE e)
#define LEGOLAS_DETAIL_IS_PAREN_PROBE(...) ~, 1
#define LEGOLAS_DETAIL_IS_PAREN_I(...) LEGOLAS_DETAIL_SECOND(__VA_ARGS__, 0, ~)
#define LEGOLAS_DETAIL_EAT_PARENS(...) __VA_ARGS__
#define LEGOLAS_DETAIL_IF(c) LEGOLAS_DETAIL_CAT(LEGOLAS_DETAIL_IF_, c)
#define LEGOLAS_DETAIL_IF_1(t, f) t
#define LEGOLAS_DETAIL_IF_0(t, f) f
// The member name of `e`, parenthesised or not.
#define LEGOLAS_DETAIL_NAME(e) LEGOLAS_DETAIL_IF(LEGOLAS_DETAIL_IS_PAREN(e))(LEGOLAS_DETAIL_EAT_PARENS e, e)

#define LEGOLAS_DETAIL_FOR_EACH(m, T, ...) \
    LEGOLAS_DETAIL_CAT(LEGOLAS_DETAIL_FE_, LEGOLAS_DETAIL_NARG(__VA_ARGS__))(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_NARG(...)                                                                                       \
    LEGOLAS_DETAIL_NARG_I(__VA_ARGS__, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, \
                          20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define LEGOLAS_DETAIL_NARG_I(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, \
                              _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, _34, _35, _36,  \
                              _37, _38, _39, _40, n, ...)                                                           \
    n
#define LEGOLAS_DETAIL_FE_1(m, T, a) m(T, a)
#define LEGOLAS_DETAIL_FE_2(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_1(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_3(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_2(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_4(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_3(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_5(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_4(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_6(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_5(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_7(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_6(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_8(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_7(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_9(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_8(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_10(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_9(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_11(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_10(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_12(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_11(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_13(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_12(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_14(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_13(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_15(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_14(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_16(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_15(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_17(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_16(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_18(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_17(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_19(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_18(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_20(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_19(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_21(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_20(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_22(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_21(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_23(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_22(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_24(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_23(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_25(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_24(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_26(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_25(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_27(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_26(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_28(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_27(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_29(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_28(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_30(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_29(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_31(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_30(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_32(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_31(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_33(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_32(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_34(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_33(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_35(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_34(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_36(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_35(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_37(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_36(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_38(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_37(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_39(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_38(m, T, __VA_ARGS__)
#define LEGOLAS_DETAIL_FE_40(m, T, a, ...) m(T, a), LEGOLAS_DETAIL_FE_39(m, T, __VA_ARGS__)
