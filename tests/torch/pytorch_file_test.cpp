// TorchScript archives and PyTorch state dicts into model rows that load into the same C++ model
// with equal outputs. The PyTorch files are made by Python's torch (Debian's python3-torch, which
// scripts/setup.sh installs), not by us.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>

#include "legolasflux/errors.hpp"
#include "legolasflux/model.hpp"
#include "legolasflux/torch/pytorch_file.hpp"

namespace lt = legolasflux::torch;
namespace nn = ::torch::nn;
namespace fs = std::filesystem;

namespace {

// The model both sides build: Python's nn.Sequential(Linear(4, 3), BatchNorm1d(3), ReLU(), Linear(3, 2)).
nn::Sequential make_model() {
    return nn::Sequential(nn::Linear(4, 3), nn::BatchNorm1d(3), nn::ReLU(), nn::Linear(3, 2));
}

fs::path scratch(const std::string& name) {
    const auto dir = fs::path(LEGOLASFLUX_BINARY_DIR) / "tests" / "torch_scratch" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

// Named tensors through a model file (with weight_names), loaded by name into a fresh model.
nn::Sequential load_through_row(const std::vector<lt::NamedTensor>& tensors, const fs::path& dir) {
    std::vector<std::string> names;
    legolasflux::ModelV1 row;
    row.weights = lt::weights_from_named_tensors(tensors, &names);
    legolasflux::ModelWriteOptions options;
    options.weight_names = names;
    legolasflux::write_model_row(dir / "row.arrow", row, options);

    std::vector<std::string> stored_names;
    const auto back = legolasflux::read_model_row<legolasflux::ModelV1>(dir / "row.arrow", &stored_names);
    nn::Sequential model = make_model();
    lt::LoadOptions load;
    load.names = &stored_names;
    load.by_name = true;
    lt::load_weights(*model, *back.weights, load);
    model->eval();
    return model;
}

// A model with every tensor set to something recognisable, running statistics included.
nn::Sequential trained_model() {
    ::torch::manual_seed(7);
    nn::Sequential model = make_model();
    ::torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.uniform_(-1, 1);
    auto bn = model[1]->as<nn::BatchNorm1d>();
    bn->running_mean.uniform_(-0.5, 0.5);
    bn->running_var.uniform_(0.5, 2);
    bn->num_batches_tracked.fill_(10);
    model->eval();
    return model;
}

}  // namespace

TEST(PytorchFile, TorchScriptArchiveWrittenByLibTorchLoadsIntoTheSameModel) {
    const auto dir = scratch("libtorch_archive");
    nn::Sequential original = trained_model();

    // The archive LibTorch writes for a module holding the model's tensors under the same paths.
    ::torch::jit::Module archive("Model");
    for (const auto& child : original->named_children()) {
        ::torch::jit::Module sub("Layer" + child.key());
        for (const auto& p : child.value()->named_parameters(false))
            sub.register_parameter(p.key(), p.value().clone(), false);
        for (const auto& b : child.value()->named_buffers(false)) sub.register_buffer(b.key(), b.value().clone());
        archive.register_module(child.key(), sub);
    }
    archive.save((dir / "model.pt").string());

    const auto tensors = lt::read_torchscript(dir / "model.pt");
    std::vector<std::string> names;
    for (const auto& t : tensors) names.push_back(t.name);
    EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                               "1.running_var", "1.num_batches_tracked", "3.weight", "3.bias"}));

    nn::Sequential loaded = load_through_row(tensors, dir);
    const auto x = ::torch::randn({5, 4});
    EXPECT_TRUE(loaded->forward(x).equal(original->forward(x)));
    EXPECT_EQ(loaded[1]->as<nn::BatchNorm1d>()->num_batches_tracked.item<int64_t>(), 10);
}

TEST(PytorchFile, PythonStateDictAndScriptedModuleLoadIntoTheSameModel) {
    const auto dir = scratch("python");
    const auto script = dir / "make.py";
    std::ofstream(script) << R"(import sys, torch, torch.nn as nn
out = sys.argv[1]
torch.manual_seed(3)
m = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
m.train()
for _ in range(10):
    m(torch.randn(8, 4))
m.eval()
x = torch.randn(5, 4)
torch.save(m.state_dict(), out + "/state_dict.pt")
torch.save(m.state_dict(), out + "/legacy.pt", _use_new_zipfile_serialization=False)
torch.save([t for t in m.state_dict().values()], out + "/list.pt")
torch.jit.save(torch.jit.script(m), out + "/scripted.pt")
x.numpy().tofile(out + "/x.f32")
m(x).detach().numpy().tofile(out + "/y.f32")
)";
    // Debian's python3 (the one python3-torch is installed for), whatever python3 is on PATH.
    const std::string command =
        "/usr/bin/python3 " + script.string() + " " + dir.string() + " 2>" + (dir / "err").string();
    ASSERT_EQ(std::system(command.c_str()), 0) << "Python's torch could not make the test files (scripts/setup.sh "
                                                  "installs python3-torch): "
                                               << std::ifstream(dir / "err").rdbuf();

    auto read_floats = [](const fs::path& p, int64_t n) {
        std::vector<float> v(static_cast<size_t>(n));
        std::ifstream(p, std::ios::binary).read(reinterpret_cast<char*>(v.data()), n * 4);
        return ::torch::from_blob(v.data(), {n}).clone();
    };
    const auto x = read_floats(dir / "x.f32", 20).reshape({5, 4});
    const auto y = read_floats(dir / "y.f32", 10).reshape({5, 2});

    for (const char* file : {"state_dict.pt", "scripted.pt"}) {
        SCOPED_TRACE(file);
        const auto tensors =
            std::string(file) == "state_dict.pt" ? lt::read_state_dict(dir / file) : lt::read_torchscript(dir / file);
        ASSERT_EQ(tensors.size(), 9u);
        EXPECT_EQ(tensors[6].name, "1.num_batches_tracked");
        EXPECT_EQ(tensors[6].tensor.item<int64_t>(), 10);
        nn::Sequential model = load_through_row(tensors, dir);
        EXPECT_TRUE(::torch::allclose(model->forward(x), y, 1e-6, 1e-6)) << model->forward(x) << y;
    }
    // The legacy format (_use_new_zipfile_serialization=False) gives the same tensors.
    const auto zip = lt::read_state_dict(dir / "state_dict.pt");
    const auto legacy = lt::read_state_dict(dir / "legacy.pt");
    ASSERT_EQ(legacy.size(), zip.size());
    for (size_t i = 0; i < zip.size(); ++i) {
        EXPECT_EQ(legacy[i].name, zip[i].name);
        EXPECT_TRUE(legacy[i].tensor.equal(zip[i].tensor)) << zip[i].name;
    }
    try {
        lt::read_state_dict(dir / "list.pt");
        ADD_FAILURE() << "a list read as a state dict";
    } catch (const legolasflux::FormatError& e) {
        EXPECT_NE(std::string(e.what()).find("is a list of 9 items, not a state dict"), std::string::npos) << e.what();
    }
}

TEST(PytorchFile, TiedTensorsAreKeptOnce) {
    const auto dir = scratch("tied");
    ::torch::jit::Module archive("Tied");
    const auto shared = ::torch::ones({2, 2});
    ::torch::jit::Module a("A"), b("B");
    a.register_parameter("weight", shared, false);
    b.register_parameter("weight", shared, false);
    archive.register_module("encoder", a);
    archive.register_module("decoder", b);
    archive.save((dir / "tied.pt").string());
    const auto tensors = lt::read_torchscript(dir / "tied.pt");
    ASSERT_EQ(tensors.size(), 1u);
    EXPECT_EQ(tensors[0].name, "encoder.weight");
}

TEST(PytorchFile, BadFilesAreClearErrors) {
    const auto dir = scratch("bad");
    EXPECT_THROW(lt::read_torchscript(dir / "missing.pt"), legolasflux::IoError);
    EXPECT_THROW(lt::read_state_dict(dir / "missing.pt"), legolasflux::IoError);

    std::ofstream(dir / "text.pt") << "not a checkpoint";
    EXPECT_THROW(lt::read_torchscript(dir / "text.pt"), legolasflux::FormatError);
    EXPECT_THROW(lt::read_state_dict(dir / "text.pt"), legolasflux::FormatError);

    // A pickled list of tensors (LibTorch's pickle_save) is not a state dict.
    std::vector<at::Tensor> list{::torch::ones({2})};
    const std::vector<char> pickled = ::torch::pickle_save(c10::IValue(c10::List<at::Tensor>(list)));
    std::ofstream(dir / "list.pt", std::ios::binary)
        .write(pickled.data(), static_cast<std::streamsize>(pickled.size()));
    try {
        lt::read_state_dict(dir / "list.pt");
        ADD_FAILURE() << "a list read as a state dict";
    } catch (const legolasflux::FormatError& e) {
        EXPECT_NE(std::string(e.what()).find("not a state dict"), std::string::npos) << e.what();
    }
    // A TorchScript archive is for read_torchscript.
    ::torch::jit::Module scripted("M");
    scripted.register_parameter("w", ::torch::ones({2}), false);
    scripted.save((dir / "scripted.pt").string());
    EXPECT_THROW(lt::read_state_dict(dir / "scripted.pt"), legolasflux::UnsupportedError);
}
