// A module's parameters and buffers copied by name, and their comparison: for torch tests that
// check what a load changed, or that it changed nothing.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <string>

namespace lftest {

// Every parameter and buffer, by name, copied.
inline std::map<std::string, at::Tensor> snapshot(const ::torch::nn::Module& m) {
    std::map<std::string, at::Tensor> s;
    for (const auto& p : m.named_parameters()) s[p.key()] = p.value().detach().clone();
    for (const auto& b : m.named_buffers()) s[b.key()] = b.value().detach().clone();
    return s;
}

inline void expect_same(const std::map<std::string, at::Tensor>& a, const std::map<std::string, at::Tensor>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [name, t] : a) {
        ASSERT_TRUE(b.count(name)) << name;
        EXPECT_TRUE(t.equal(b.at(name))) << name;
    }
}

}  // namespace lftest
