#include "legolasflux/torch/flux_attention.hpp"

#include <cmath>
#include <limits>

#include "legolasflux/errors.hpp"

namespace legolasflux::flux {

namespace {

std::string shape(const at::Tensor& x) { return c10::str(x.sizes()); }

// NNlib's split_heads: Julia's (d, len, batch) as (d ÷ nheads, nheads, len, batch), i.e. torch
// [batch, len, nheads, d ÷ nheads], brought to [batch, nheads, len, d ÷ nheads] for batched matmul.
at::Tensor split_heads(const at::Tensor& x, int64_t nheads) {
    return x.view({x.size(0), x.size(1), nheads, x.size(2) / nheads}).transpose(1, 2);
}

}  // namespace

std::pair<at::Tensor, at::Tensor> dot_product_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                        const AttentionOptions& options) {
    const auto wrong = [&](const std::string& why) {
        return ShapeError("flux::dot_product_attention: " + why + "; got q " + shape(q) + ", k " + shape(k) + ", v " +
                          shape(v) + ", nheads " + std::to_string(options.nheads));
    };
    if (q.dim() != 3 || k.dim() != 3 || v.dim() != 3)
        throw wrong("expects q, k, v of Julia size (dim, len, batch), torch [batch, len, dim]");
    if (options.nheads <= 0 || q.size(2) % options.nheads || k.size(2) % options.nheads || v.size(2) % options.nheads)
        throw wrong("the first Julia dimension of q, k and v must be divisible by nheads");
    if (q.size(0) != k.size(0) || k.size(0) != v.size(0)) throw wrong("batch dimensions have to be the same");
    if (q.size(2) != k.size(2)) throw wrong("the first Julia dimension of query and key has to be the same");
    if (k.size(1) != v.size(1)) throw wrong("the second Julia dimension of key and value has to be the same");

    const int64_t batch = q.size(0), q_len = q.size(1), nheads = options.nheads;
    const at::Tensor qh = split_heads(q, nheads), kh = split_heads(k, nheads), vh = split_heads(v, nheads);
    // NNlib divides q by √(head dim) before the product, in q's element type.
    const double scale = std::sqrt(static_cast<double>(q.size(2) / nheads));
    at::Tensor logits = at::matmul(qh / scale, kh.transpose(-1, -2));  // [batch, nheads, q_len, kv_len]
    if (options.bias.defined()) logits = logits + options.bias;
    if (options.mask.defined())
        logits = logits.masked_fill(options.mask.logical_not(), -std::numeric_limits<double>::infinity());
    at::Tensor alpha = at::softmax(logits, -1);  // NNlib's softmax(dims=1): Julia's kv dimension
    if (options.training && options.dropout > 0) alpha = at::dropout(alpha, options.dropout, true);
    // NNlib's join_heads: (d ÷ nheads, nheads, q_len, batch) as (d, q_len, batch).
    const at::Tensor x = at::matmul(alpha, vh).transpose(1, 2).reshape({batch, q_len, v.size(2)});
    return {x, alpha};
}

at::Tensor make_causal_mask(const at::Tensor& x, int64_t dims) {
    if (dims < 1 || dims > x.dim())
        throw InvalidArgument("flux::make_causal_mask: dims = " + std::to_string(dims) +
                              " is not a dimension of an array of " + std::to_string(x.dim()) + " dimensions");
    const int64_t len = x.size(x.dim() - dims);
    // Julia's triu: M[j, i] = j ≤ i, whose bytes read as torch [i, j] are the lower triangle.
    return ::torch::ones({len, len}, at::TensorOptions().dtype(at::kBool).device(x.device())).tril();
}

MultiHeadAttentionImpl::MultiHeadAttentionImpl(std::array<int64_t, 3> in, std::array<int64_t, 2> qkv, int64_t out,
                                               MultiHeadAttentionOptions options)
    : LayerImpl("flux::MultiHeadAttention"), nheads(options.nheads), dropout_prob(options.dropout_prob) {
    const auto [qk, vd] = qkv;
    if (nheads <= 0)
        throw InvalidArgument("flux::MultiHeadAttention: nheads = " + std::to_string(nheads) + " must be positive");
    if (qk % nheads != 0)
        throw InvalidArgument("flux::MultiHeadAttention: qk_dim = " + std::to_string(qk) +
                              " should be divisible by nheads = " + std::to_string(nheads));
    if (vd % nheads != 0)
        throw InvalidArgument("flux::MultiHeadAttention: v_dim = " + std::to_string(vd) +
                              " should be divisible by nheads = " + std::to_string(nheads));
    if (dropout_prob < 0 || dropout_prob > 1)
        throw InvalidArgument("flux::MultiHeadAttention: dropout_prob = " + std::to_string(dropout_prob) +
                              " is not in [0, 1]");
    const DenseOptions dense{.bias = options.bias};
    // Registered in Flux's field order (attn_drop holds no arrays).
    q_proj = register_module("q_proj", Dense(in[0], qk, {}, dense));
    k_proj = register_module("k_proj", Dense(in[1], qk, {}, dense));
    v_proj = register_module("v_proj", Dense(in[2], vd, {}, dense));
    out_proj = register_module("out_proj", Dense(vd, out, {}, dense));
}

std::pair<at::Tensor, at::Tensor> MultiHeadAttentionImpl::attend(const at::Tensor& q, const at::Tensor& k,
                                                                 const at::Tensor& v, const at::Tensor& bias,
                                                                 const at::Tensor& mask) {
    if (q.dim() != 3 || k.dim() != 3 || v.dim() != 3)
        throw ShapeError(
            "flux::MultiHeadAttention expects q, k, v of Julia size (dim, len, batch), torch [batch, len, dim]; "
            "got " +
            shape(q) + ", " + shape(k) + ", " + shape(v));
    auto [x, alpha] = dot_product_attention(
        q_proj->forward(q), k_proj->forward(k), v_proj->forward(v),
        {.bias = bias, .mask = mask, .nheads = nheads, .dropout = dropout_prob, .training = is_training()});
    return {out_proj->forward(x), alpha};
}

void MultiHeadAttentionImpl::pretty_print(std::ostream& stream) const {
    const int64_t q_in = q_proj->weight.size(1), k_in = k_proj->weight.size(1), v_in = v_proj->weight.size(1);
    const int64_t qk = q_proj->weight.size(0), v = v_proj->weight.size(0), out = out_proj->weight.size(0);
    stream << "MultiHeadAttention(";
    if (q_in == k_in && k_in == v_in && v_in == qk && qk == v && v == out)
        stream << q_in;
    else if (q_in == k_in && k_in == v_in && qk == v)
        stream << q_in << " => " << qk << " => " << out;
    else if (q_in == k_in && k_in == v_in)
        stream << q_in << " => (" << qk << ", " << v << ") => " << out;
    else
        stream << "(" << q_in << ", " << k_in << ", " << v_in << ") => (" << qk << ", " << v << ") => " << out;
    stream << "; nheads=" << nheads;
    if (q_proj->bias.defined()) stream << ", bias=true";
    if (dropout_prob != 0) {
        // Julia prints a Float64 with its shortest digits and always a point: 0.1, 1.0.
        std::string p = c10::str(dropout_prob);
        if (p.find_first_of(".e") == std::string::npos) p += ".0";
        stream << ", dropout_prob=" << p;
    }
    stream << ")";
}

}  // namespace legolasflux::flux
