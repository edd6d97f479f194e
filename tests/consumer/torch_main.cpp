// The torch component from the installed package: fetch_weights from a torch::nn::Linear, write the
// row, read it back and load_weights into a fresh Linear, which must then compute the same outputs.
// One translation unit only: LibTorch's headers are slow to compile.
#include <filesystem>
#include <iostream>
#include <legolasflux/legolasflux.hpp>
#include <legolasflux/torch/weights.hpp>

int main(int argc, char** argv) {
    const std::filesystem::path dir = argc > 1 ? argv[1] : ".";
    const auto path = dir / "consumer_torch.model.arrow";

    torch::manual_seed(1);
    torch::nn::Linear trained(3, 2);
    legolasflux::write_model_row(
        path, legolasflux::ModelV1{.weights = legolasflux::torch::fetch_weights(*trained), .architecture_version = 1});

    torch::nn::Linear fresh(3, 2);  // other random weights
    const auto row = legolasflux::read_model_row<legolasflux::ModelV1>(path);
    legolasflux::torch::load_weights(*fresh, *row.weights);

    const auto x = torch::randn({4, 3});
    const bool same = trained->forward(x).equal(fresh->forward(x));
    std::cout << "consumer_torch: " << row.weights->size() << " arrays, outputs " << (same ? "identical" : "DIFFERENT")
              << "\n";
    return same ? 0 : 1;
}
