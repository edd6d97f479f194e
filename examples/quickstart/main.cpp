// The README's usage and extensibility sections, compiled and run in CI: the C++ twins of
// LegolasFlux.jl's README. The regions between "// [name]" and "// [/name]" are the README's code
// blocks, word for word (tests/docs checks it).
#include <iostream>
#include <legolasflux/legolasflux.hpp>
#include <legolasflux/torch/weights.hpp>

// [usage-model]
torch::nn::Sequential make_my_model() {
    return torch::nn::Sequential(torch::nn::Linear(1, 10), torch::nn::Linear(10, 10), torch::nn::Linear(10, 1));
}
// [/usage-model]

// [extensibility]
struct DigitsRowV1 : legolasflux::ModelV1 {
    std::optional<int64_t> epoch;
    std::optional<float> accuracy;
    std::optional<std::string> commit_sha;
};
LEGOLAS_RECORD_EXTENDS(DigitsRowV1, "digits.model", 1, legolasflux::ModelV1, epoch, accuracy, commit_sha);
// [/extensibility]

int main() {
    // [usage]
    auto my_model = make_my_model();
    // train it? that part is optional ;)

    // Now, let's save it! One call: the weights, with their tensors' names, as a model row.
    legolasflux::torch::save_weights(*my_model, "my_model.model.arrow",
                                     legolasflux::ModelV1{.architecture_version = 1});

    // Great! Later on, we want to re-load our model weights.
    auto fresh_model = make_my_model();
    legolasflux::torch::load_weights(*fresh_model, "my_model.model.arrow");
    // Now our weights have been loaded back into `fresh_model`, each into the tensor of its name.
    // [/usage]

    // [load-row]
    // Or read the row first (its other columns too), then load its weights (by position: a row
    // read as ModelV1 carries no names):
    auto another_model = make_my_model();
    auto loaded = legolasflux::read_model_row<legolasflux::ModelV1>("my_model.model.arrow");
    legolasflux::torch::load_weights(*another_model, *loaded.weights);
    // [/load-row]

    // [load-report]
    // A model that differs is refused with every difference named, and left as it was...
    torch::nn::Sequential bigger(torch::nn::Linear(1, 10), torch::nn::Linear(10, 10), torch::nn::Linear(10, 1),
                                 torch::nn::Linear(1, 1));
    try {
        legolasflux::torch::load_weights(*bigger, "my_model.model.arrow");
    } catch (const legolasflux::torch::LoadError& e) {
        // "… missing: the model's '3.weight' (torch shape [1, 1]) has no stored array" …
        std::cout << e.what() << "\n";
    }
    // ...or loaded as far as it fits, the differences returned (PyTorch's strict=False).
    legolasflux::torch::LoadOptions lenient;
    lenient.strict = false;
    legolasflux::torch::LoadReport report = legolasflux::torch::load_weights(*bigger, "my_model.model.arrow", lenient);
    std::cout << report.loaded.size() << " loaded, " << report.missing.size() << " missing\n";  // 6 loaded, 2 missing
    // [/load-report]

    const auto x = torch::randn({4, 1});
    const bool same = my_model->forward(x).equal(fresh_model->forward(x)) &&
                      my_model->forward(x).equal(another_model->forward(x)) && report.loaded.size() == 6 &&
                      report.missing.size() == 2;
    std::cout << "usage: architecture_version " << *loaded.architecture_version << ", outputs "
              << (same ? "identical" : "DIFFERENT") << "\n";

    // [extensibility-use]
    DigitsRowV1 row;
    row.weights = legolasflux::torch::fetch_weights(*my_model);
    row.epoch = 3;
    row.accuracy = 0.94f;
    row.commit_sha = "1a2b3c4";
    legolasflux::write_model_row("training_run.digits.model.arrow", row);  // digits.model@1>legolas-flux.model@1

    auto digits = legolasflux::read_model_row<DigitsRowV1>("training_run.digits.model.arrow");
    auto any_row = legolasflux::read_model_row("training_run.digits.model.arrow");  // untyped: weights + the table
    // [/extensibility-use]

    const bool extended = digits.commit_sha == "1a2b3c4" && digits.epoch == 3 &&
                          any_row.qualified_identifier == "digits.model@1>legolas-flux.model@1";
    std::cout << "extensibility: " << any_row.qualified_identifier << ", commit_sha " << *digits.commit_sha << "\n";
    return same && extended ? 0 : 1;
}
