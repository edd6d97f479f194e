// The README's usage section, compiled and run in CI: the C++ twin of LegolasFlux.jl's README.
#include <legolasflux/legolasflux.hpp>
#include <legolasflux/torch/weights.hpp>

#include <iostream>

torch::nn::Sequential make_my_model() {
    return torch::nn::Sequential(torch::nn::Linear(1, 10), torch::nn::Linear(10, 10), torch::nn::Linear(10, 1));
}

int main() {
    auto my_model = make_my_model();
    // train it? that part is optional ;)

    // Now, let's save it! We can save whatever other columns we'd like to as well as the weights
    // (see the extensibility section); ModelV1 has `weights` and `architecture_version`.
    legolasflux::ModelV1 model_row{.weights = legolasflux::torch::fetch_weights(*my_model),
                                   .architecture_version = 1};
    legolasflux::write_model_row("my_model.model.arrow", model_row);

    // Great! Later on, we want to re-load our model weights.
    auto fresh_model = make_my_model();
    auto loaded = legolasflux::read_model_row<legolasflux::ModelV1>("my_model.model.arrow");
    legolasflux::torch::load_weights(*fresh_model, *loaded.weights);
    // Now our weights have been loaded back into `fresh_model`.

    const auto x = torch::randn({4, 1});
    const bool same = my_model->forward(x).equal(fresh_model->forward(x));
    std::cout << "architecture_version " << *loaded.architecture_version << "; outputs "
              << (same ? "identical" : "DIFFERENT") << "\n";
    return same ? 0 : 1;
}
