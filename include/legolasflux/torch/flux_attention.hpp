// Flux's MultiHeadAttention (src/layers/attention.jl) and NNlib's dot_product_attention, in
// Julia's layout (flux_layer.hpp): Julia's (dim, len, batch) is torch [batch, len, dim]; the scores
// α, Julia (kv_len, q_len, nheads, batch), are torch [batch, nheads, q_len, kv_len].
#pragma once

#include <array>
#include <utility>

#include "legolasflux/torch/flux_basic.hpp"

namespace legolasflux::flux {

struct AttentionOptions {
    at::Tensor bias;  // added to the logits, broadcast in Julia's layout (e.g. (kv_len, q_len): [q_len, kv_len])
    at::Tensor mask;  // bool, broadcast likewise; false entries get weight 0
    int64_t nheads = 1;
    double dropout = 0.0;  // NNlib's fdrop = Dropout(p), applied to α while training
    bool training = false;
};

// NNlib.dot_product_attention(q, k, v, bias; nheads, mask, fdrop): q [batch, q_len, qk],
// k [batch, kv_len, qk], v [batch, kv_len, v]. Returns (x [batch, q_len, v], α).
std::pair<at::Tensor, at::Tensor> dot_product_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                        const AttentionOptions& options = {});

// NNlib.make_causal_mask(x; dims): Julia's triu(trues(len, len)) with len = size(x, dims), as a
// bool [len, len] tensor (query i sees keys j ≤ i).
at::Tensor make_causal_mask(const at::Tensor& x, int64_t dims = 2);

struct MultiHeadAttentionOptions {
    int64_t nheads = 8;
    bool bias = false;
    double dropout_prob = 0.0;
};

// MultiHeadAttention(dims; nheads=8, bias=false, dropout_prob=0.0): the same fields and arithmetic in
// Flux 0.13.17 to 0.16; printed as 0.14 prints it (0.13 had no show method of its own).
// dims: one size for all, in => qkv => out, or (q_in, k_in, v_in) => (qk, v) => out. Fields, and
// arrays, in Flux's order: q_proj, k_proj, v_proj (Dense, no arrays in attn_drop), out_proj.
class MultiHeadAttentionImpl : public LayerImpl {
public:
    MultiHeadAttentionImpl(std::array<int64_t, 3> in, std::array<int64_t, 2> qkv, int64_t out,
                           MultiHeadAttentionOptions options = {});
    // Self-attention: Flux's mha(x)[1].
    at::Tensor forward(const at::Tensor& x) override { return attend(x, x, x).first; }
    // Flux's mha(q, k, v, bias; mask): (output, α). For Flux's mha(q, kv) pass kv twice.
    std::pair<at::Tensor, at::Tensor> attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                             const at::Tensor& bias = {}, const at::Tensor& mask = {});
    void pretty_print(std::ostream& stream) const override;

    int64_t nheads;
    double dropout_prob;
    Dense q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
};
class MultiHeadAttention : public ::torch::nn::ModuleHolder<MultiHeadAttentionImpl> {
public:
    // Not ModuleHolder's forwarding constructor: it would take these arguments before the conversions below.
    MultiHeadAttention(std::nullptr_t) : ModuleHolder(nullptr) {}
    explicit MultiHeadAttention(std::shared_ptr<MultiHeadAttentionImpl> impl) : ModuleHolder(std::move(impl)) {}
    // MultiHeadAttention(dims)
    explicit MultiHeadAttention(int64_t dims, MultiHeadAttentionOptions options = {})
        : MultiHeadAttention({dims, dims, dims}, {dims, dims}, dims, options) {}
    // MultiHeadAttention(in => qkv => out)
    MultiHeadAttention(int64_t in, int64_t qkv, int64_t out, MultiHeadAttentionOptions options = {})
        : MultiHeadAttention({in, in, in}, {qkv, qkv}, out, options) {}
    // MultiHeadAttention((q_in, k_in, v_in) => (qk, v) => out)
    MultiHeadAttention(std::array<int64_t, 3> in, std::array<int64_t, 2> qkv, int64_t out,
                       MultiHeadAttentionOptions options = {})
        : ModuleHolder(std::make_shared<MultiHeadAttentionImpl>(in, qkv, out, options)) {}
};

}  // namespace legolasflux::flux
