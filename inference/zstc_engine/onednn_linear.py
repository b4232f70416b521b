"""The torch module behind ``ZSTC_LINEAR_KERNEL=onednn`` (zstc_engine.kernels swaps it in and checks it)."""

from __future__ import annotations

import torch


class OneDnnLinear(torch.nn.Linear):
    """``nn.Linear`` whose fp32 CPU inference runs oneDNN's GEMM; any other case runs ``nn.Linear``."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """``input`` (..., in_features) -> (..., out_features), as ``nn.Linear``."""
        weight = self.weight
        if (
            input.dtype == torch.float32
            and weight.dtype == torch.float32
            and input.device.type == "cpu"
            and weight.device.type == "cpu"
            and type(weight.data) is torch.Tensor  # not a quantized/tensor-subclass weight
            and not torch.is_grad_enabled()
        ):
            return _onednn_linear(input, weight, self.bias)
        return super().forward(input)

    @classmethod
    def sharing(cls, linear: torch.nn.Linear) -> OneDnnLinear:
        """A OneDnnLinear holding ``linear``'s own weight and bias tensors (no copy)."""
        swapped = cls(linear.in_features, linear.out_features, bias=linear.bias is not None, device="meta")
        swapped.weight = linear.weight
        swapped.bias = linear.bias
        swapped.train(linear.training)
        return swapped


def _onednn_linear(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """oneDNN's fp32 linear with no fused activation (the operator torch's compiler uses)."""
    output: torch.Tensor = torch.ops.mkldnn._linear_pointwise(input, weight, bias, "none", [], "")
    return output
