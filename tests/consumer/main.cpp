// Writes a model row with the installed library and reads it back: the headers, the libraries and
// their link dependencies all come from the installed package. Exits non-zero on any mismatch.
#include <filesystem>
#include <iostream>
#include <legolasflux/legolasflux.hpp>

int main(int argc, char** argv) {
    const std::filesystem::path dir = argc > 1 ? argv[1] : ".";
    const auto path = dir / "consumer.model.arrow";

    // A 2×3 Dense layer as Julia sizes it, and its bias.
    const std::vector<float> w{1, 2, 3, 4, 5, 6}, b{0.5f, -0.5f};
    legolasflux::ModelV1 row{.weights = legolasflux::Weights({legolasflux::FlatArray::from_values<float>({2, 3}, w),
                                                              legolasflux::FlatArray::from_values<float>({2}, b)}),
                             .architecture_version = 7};
    legolasflux::write_model_row(path, row, {.weight_names = {"dense.weight", "dense.bias"}});

    std::vector<std::string> names;
    const auto back = legolasflux::read_model_row<legolasflux::ModelV1>(path, &names);
    const bool same = back.weights == row.weights && back.architecture_version == 7 &&
                      names == std::vector<std::string>{"dense.weight", "dense.bias"};

    // Errors are the library's exception types, catchable across the library boundary.
    bool io_error = false;
    try {
        legolasflux::read_model_row(dir / "no-such-file.arrow");
    } catch (const legolasflux::IoError&) {
        io_error = true;
    }

    std::cout << "consumer: " << back.weights->size() << " arrays, architecture_version " << *back.architecture_version
              << ", round trip " << (same ? "equal" : "DIFFERENT") << ", missing file "
              << (io_error ? "IoError" : "NOT AN IoError") << "\n";
    return same && io_error ? 0 : 1;
}
