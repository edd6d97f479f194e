// Flux's containers that combine outputs (Maxout, SkipConnection, Parallel, PairwiseFusion) and the
// connections they combine them with; declared in flux_layers.hpp.
#include <set>
#include <sstream>

#include "legolasflux/errors.hpp"
#include "legolasflux/torch/flux_layers.hpp"

namespace legolasflux::flux {

namespace {

void print_layers(std::ostream& stream, const std::vector<Layer>& layers, const std::vector<std::string>& names,
                  bool named) {
    for (size_t i = 0; i < layers.size(); ++i) {
        if (i > 0) stream << ", ";
        if (named) stream << names[i] << " = ";
        layers[i]->pretty_print(stream);
    }
}

std::vector<std::string> numbered(size_t n) {
    std::vector<std::string> names;
    for (size_t i = 0; i < n; ++i) names.push_back(std::to_string(i));
    return names;
}

// Flux's named Parallel / PairwiseFusion: the names may not be the fields' names.
void split_named(const char* what, std::vector<std::pair<std::string, Layer>> named, std::vector<Layer>& layers,
                 std::vector<std::string>& names) {
    std::set<std::string> seen;
    for (auto& [name, layer] : named) {
        if (name.empty() || name.find('.') != std::string::npos)
            throw InvalidArgument(std::string("flux::") + what +
                                  ": a layer's name must be non-empty and have no '.', got '" + name + "'");
        if (name == "connection" || name == "layers")
            throw InvalidArgument(std::string("flux::") + what +
                                  ": a layer cannot be named `connection` or `layers` (Flux's fields)");
        if (!seen.insert(name).second)
            throw InvalidArgument(std::string("flux::") + what + ": two layers are named '" + name + "'");
        names.push_back(std::move(name));
        layers.push_back(std::move(layer));
    }
}

std::string shapes(const std::vector<at::Tensor>& xs) {
    std::string s;
    for (const at::Tensor& x : xs) s += (s.empty() ? "" : ", ") + c10::str(x.sizes());
    return s;
}

}  // namespace

// ---- Connection

Connection::Connection(std::string name, std::function<at::Tensor(const at::Tensor&, const at::Tensor&)> fn)
    : name_(std::move(name)) {
    fn_ = [fn = std::move(fn), label = name_](const std::vector<at::Tensor>& xs) {
        if (xs.size() != 2)
            throw InvalidArgument("connection " + label + " takes two arrays, got " + std::to_string(xs.size()));
        return fn(xs[0], xs[1]);
    };
}

Connection::Connection(const Bilinear& bilinear) : module_(bilinear.ptr()) {
    fn_ = [b = bilinear.ptr()](const std::vector<at::Tensor>& xs) {
        if (xs.size() != 2)
            throw InvalidArgument("a Bilinear connection takes two arrays, got " + std::to_string(xs.size()));
        return b->forward2(xs[0], xs[1]);
    };
}

std::string Connection::name() const {
    if (!module_) return name_;
    std::ostringstream stream;
    module_->pretty_print(stream);
    return stream.str();
}

const Connection add{
    "+", Connection::Fn([](const std::vector<at::Tensor>& xs) {
        if (xs.empty()) throw InvalidArgument("connection +: no arrays to add");
        for (const at::Tensor& x : xs)
            if (!x.sizes().equals(xs[0].sizes()))
                throw ShapeError("connection +: arrays of different sizes (Julia's + does not broadcast): " +
                                 shapes(xs));
        at::Tensor y = xs[0].clone();
        for (size_t i = 1; i < xs.size(); ++i) y.add_(xs[i]);
        return y;
    })};

const Connection vcat{
    "vcat", Connection::Fn([](const std::vector<at::Tensor>& xs) {
        if (xs.empty()) throw InvalidArgument("connection vcat: no arrays");
        try {
            return at::cat(xs, -1);
        } catch (const c10::Error&) {
            throw ShapeError("connection vcat: arrays that differ in more than Julia's first dimension: " + shapes(xs));
        }
    })};

const Connection hcat{
    "hcat", Connection::Fn([](const std::vector<at::Tensor>& xs) {
        if (xs.empty()) throw InvalidArgument("connection hcat: no arrays");
        // A Julia vector is one column: torch [1, n].
        std::vector<at::Tensor> columns;
        for (const at::Tensor& x : xs) columns.push_back(x.dim() == 1 ? x.unsqueeze(0) : x);
        try {
            return at::cat(columns, -2);
        } catch (const c10::Error&) {
            throw ShapeError("connection hcat: arrays that differ in more than Julia's second dimension: " +
                             shapes(xs));
        }
    })};

// ---- Maxout

MaxoutImpl::MaxoutImpl(std::vector<Layer> layers) : LayerImpl("flux::Maxout"), layers_(std::move(layers)) {
    if (layers_.empty()) throw InvalidArgument("flux::Maxout needs at least one layer");
    for (size_t i = 0; i < layers_.size(); ++i) register_module(std::to_string(i), layers_[i].ptr());
}

std::vector<Layer> Maxout::alternatives(const std::function<Layer()>& f, int64_t n_alts) {
    if (n_alts <= 0) throw InvalidArgument("flux::Maxout(f, " + std::to_string(n_alts) + "): needs n_alts > 0");
    std::vector<Layer> layers;
    for (int64_t i = 0; i < n_alts; ++i) layers.push_back(f());
    return layers;
}

at::Tensor MaxoutImpl::forward(const at::Tensor& x) {
    at::Tensor y = layers_[0].forward(x);
    for (size_t i = 1; i < layers_.size(); ++i) y = at::maximum(y, layers_[i].forward(x));
    return y;
}

void MaxoutImpl::pretty_print(std::ostream& stream) const {
    stream << "Maxout(";
    print_layers(stream, layers_, {}, false);
    stream << ")";
}

// ---- SkipConnection

SkipConnectionImpl::SkipConnectionImpl(Layer layers, Connection connection)
    : LayerImpl("flux::SkipConnection"), layers_(std::move(layers)), connection_(std::move(connection)) {
    register_module("layers", layers_.ptr());
    if (connection_.module()) register_module("connection", connection_.module());
}

at::Tensor SkipConnectionImpl::forward(const at::Tensor& x) { return connection_({layers_.forward(x), x}); }

void SkipConnectionImpl::pretty_print(std::ostream& stream) const {
    stream << "SkipConnection(";
    layers_->pretty_print(stream);
    stream << ", " << connection_.name() << ")";
}

// ---- Parallel

ParallelImpl::ParallelImpl(Connection connection, std::vector<Layer> layers)
    : LayerImpl("flux::Parallel"), connection_(std::move(connection)), layers_(std::move(layers)) {
    names_ = numbered(layers_.size());
    register_connection();
}

ParallelImpl::ParallelImpl(Connection connection, std::vector<std::pair<std::string, Layer>> named)
    : LayerImpl("flux::Parallel"), connection_(std::move(connection)), named_(true) {
    split_named("Parallel", std::move(named), layers_, names_);
    register_connection();
}

void ParallelImpl::register_connection() {
    // Flux's fields: connection, then layers.
    if (connection_.module()) register_module("connection", connection_.module());
    for (size_t i = 0; i < layers_.size(); ++i) register_module(names_[i], layers_[i].ptr());
}

at::Tensor ParallelImpl::forward(const at::Tensor& x) {
    std::vector<at::Tensor> ys;
    ys.reserve(layers_.size());
    for (const Layer& layer : layers_) ys.push_back(layer.forward(x));
    return connection_(ys);
}

at::Tensor ParallelImpl::forward_each(const std::vector<at::Tensor>& xs) {
    if (xs.empty()) throw InvalidArgument("flux::Parallel cannot take 0 inputs");
    std::vector<at::Tensor> ys;
    ys.reserve(xs.size());
    if (layers_.size() == 1) {
        // Flux 0.15's rule for one layer and several inputs (0.13/0.14 accept only one input).
        for (const at::Tensor& x : xs) ys.push_back(layers_[0].forward(x));
    } else if (xs.size() == layers_.size()) {
        for (size_t i = 0; i < xs.size(); ++i) ys.push_back(layers_[i].forward(xs[i]));
    } else {
        throw InvalidArgument("flux::Parallel with " + std::to_string(layers_.size()) +
                              " sub-layers can take one input or " + std::to_string(layers_.size()) +
                              " inputs, but got " + std::to_string(xs.size()) + " inputs");
    }
    return connection_(ys);
}

const Layer& ParallelImpl::operator[](const std::string& name) const {
    for (size_t i = 0; i < names_.size(); ++i)
        if (named_ && names_[i] == name) return layers_[i];
    throw InvalidArgument("flux::Parallel: no layer is named '" + name + "'");
}

void ParallelImpl::pretty_print(std::ostream& stream) const {
    stream << "Parallel(" << connection_.name() << ", ";
    print_layers(stream, layers_, names_, named_);
    stream << ")";
}

// ---- PairwiseFusion

PairwiseFusionImpl::PairwiseFusionImpl(Connection connection, std::vector<Layer> layers)
    : LayerImpl("flux::PairwiseFusion"), connection_(std::move(connection)), layers_(std::move(layers)) {
    names_ = numbered(layers_.size());
    register_all();
}

PairwiseFusionImpl::PairwiseFusionImpl(Connection connection, std::vector<std::pair<std::string, Layer>> named)
    : LayerImpl("flux::PairwiseFusion"), connection_(std::move(connection)), named_(true) {
    split_named("PairwiseFusion", std::move(named), layers_, names_);
    register_all();
}

void PairwiseFusionImpl::register_all() {
    if (connection_.module()) register_module("connection", connection_.module());
    for (size_t i = 0; i < layers_.size(); ++i) register_module(names_[i], layers_[i].ptr());
}

std::vector<at::Tensor> PairwiseFusionImpl::forward_all(const at::Tensor& x) {
    return forward_all(std::vector<at::Tensor>(layers_.size(), x));
}

std::vector<at::Tensor> PairwiseFusionImpl::forward_all(const std::vector<at::Tensor>& xs) {
    if (layers_.empty()) throw InvalidArgument("flux::PairwiseFusion has no layers to apply");
    if (xs.size() != layers_.size())
        throw InvalidArgument("flux::PairwiseFusion with " + std::to_string(layers_.size()) +
                              " sub-layers can take one input or " + std::to_string(layers_.size()) +
                              " inputs, but got " + std::to_string(xs.size()) + " inputs");
    std::vector<at::Tensor> ys;
    ys.reserve(layers_.size());
    ys.push_back(layers_[0].forward(xs[0]));
    for (size_t i = 1; i < layers_.size(); ++i) ys.push_back(layers_[i].forward(connection_({ys.back(), xs[i]})));
    return ys;
}

void PairwiseFusionImpl::pretty_print(std::ostream& stream) const {
    stream << "PairwiseFusion(" << connection_.name() << ", ";
    print_layers(stream, layers_, names_, named_);
    stream << ")";
}

}  // namespace legolasflux::flux
