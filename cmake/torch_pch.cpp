// The target that precompiles <torch/torch.h> once for the programs built on the torch adapter
// (CMakeLists.txt: legolasflux_torch_pch, used with REUSE_FROM). A target needs one source.
