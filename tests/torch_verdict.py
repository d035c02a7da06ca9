"""PyTorch's verdict on a case, from the CPU: the oracle's call (oracle.py) run in eval and in training
mode, then backward, on float64 inputs with fixed seeds. The same exercise is run on the module netdsl
builds, so that the two can be compared number for number.

An exception is PyTorch rejecting the case only when it is one of PyTorch's own (its exception types, and
a message from the catalogue below); anything else is a bug in the harness or the oracle and fails the test.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from oracle import Op, PythonRejects

SEED = 20_240_613

# PyTorch's rejections of sizes and arguments, as its messages word them (torch 2.13). A message missing
# here makes the case fail as a harness error: add it only after reading that PyTorch raised it.
TORCH_MESSAGES = re.compile("|".join([
    # ranks and dims
    r"^Dimension out of range \(expected to be in range of",
    r"^Expected \d+D \(unbatched\) or \d+D \(batched\) input to conv(_transpose)?\dd, but got input of size",
    r"^Expected \d+ to \d+ dimensions, but got \d+-dimensional tensor for argument #1 'self'",
    r"^Expected at least \d+ dimensions for input tensor but received \d+$",
    r"^expected \d+D (or \d+D )?input \(got \d+D input\)$",                          # batchnorm
    r"^(RNN|LSTM|GRU): Expected input to be 2D or 3D, got \d+D( tensor)? instead$",
    r"^For (unbatched 2|batched 3)-D input, hx (and cx )?should also be \d-D but got ",         # an initial state
    r"^Expected hidden(\[[01]\])? size \(\d+, (\d+, )?\d+\), got \[",
    r"^(max_pool\dd: )?Expected \d+D or \d+D \(batch mode\) tensor with optional 0 dim batch size for input",
    r"^non-empty \d+D or \d+D \(batch mode\) tensor expected for input$",
    r"^Expected \d+D or \d+D \(batch mode\) tensor with possibly 0 batch size and other non-zero dimensions",
    r"^adaptive_(avg|max)_pool\dd\(\): Expected \d+D or \d+D tensor, but got:? \[",
    r"^Input dimension should be at least \d+$",                                        # adaptive_max_pool
    r"^both arguments to linear need to be at least 1D",
    r"^Feature dropout requires at least \d+ dimensions in the input$",
    r"^pixel_(un)?shuffle expects input to have at least 3 dimensions",
    r"^query should be unbatched 2D or batched 3D tensor but received \d+-D query tensor$",
    # multihead_attention's masks
    r"^For (un)?batched \([23]-D\) `query`, expected `(key_padding_mask|attn_mask)` to be `None`",
    r"^Expected `attn_mask` shape to be ",
    r"^Expected key_padded_mask\.shape\[[01]\] to be \d+, but got \d+$",
    r"^The shape of the [23]D attn_mask is ",
    r"^attn_mask's dimension \d+ is not supported$",
    r"^Need attn_mask if specifying the is_causal hint",
    r"^Input Error: Only 3D, 4D and 5D input Tensors supported \(got \d+D\) for the modes",
    r"^Got \d+D input, but \w+ mode needs \d+D input$",
    r"^Input and (scale_factor|output) must have the same number of spatial dimensions",
    r"^Padding size \d+ is not supported for \d+D input tensor\.$",                     # reflect/circular F.pad
    r"^Expected size for first two dimensions of batch2 tensor to be: \[\d+, \d+\] but got: \[\d+, \d+\]\.$",
    r"^flatten\(\) has invalid args: start_dim cannot come after end_dim$",
    r"^dim \d+ appears multiple times in the list of dims$",
    r"^permute\(\): duplicate dims are not allowed\.$",
    r"^select\(\): index -?\d+ out of range for tensor of size",
    # sizes
    r"^Calculated padded input size per channel: .* Kernel size can't be greater than actual input size$",
    r"^Given input size( per channel)?: \(.*\)\. Calculated output size( per channel)?: \(.*\)\. Output size is too small$",
    r"^max_pool\dd\(\) Invalid computed output size: -?\d+$",
    r"^input image \(T: \d+ H: \d+ W: \d+\) smaller than kernel size",                 # avg_pool3d
    r"^avg_pool\dd\(\): Expected input's non-batch dimensions to have positive length",
    r"^adaptive_(avg|max)_pool\dd\(\): Expected input to have non-zero size for non-batch dimensions",
    r"^max_pool\dd_with_indices_out_cpu_template\(\): Expected input's non-batch dimensions to have positive length",
    r"^Input and output sizes should be greater than 0, but got input",
    r"^(amax|amin|argmax|argmin)\(\): Expected reduction dim -?\d+ to have non-zero size\.$",
    r"^(amax|amin|argmax|argmin)\(\): Expected reduction dim to be specified for input\.numel\(\) == 0\.",
    r"^Not allow zero-dim input tensor\.$",                                             # prelu
    r"^Argument #\d+: Padding size should be less than the corresponding input dimension",
    r"^Only zero batch or zero channel inputs are supported",
    r"^invalid shape dimension -?\d+ at index \d+ of shape",
    r"^output padding must be smaller than either stride or dilation",
    r"^(max_pool\dd\(\) )?pad(ding)? should be (at most|smaller than or equal to) half of",
    r"^Expected sequence length to be larger than 0 in RNN$",
    r"^Expected more than 1 value per channel when training, got input size",
    r"^glu does not support scalars because halving size must be even$",
    r"^Halving dimension must be even, but dimension -?\d+ is size \d+$",                # glu
    r"^channel_shuffle expects input with > 2 dims, but got input with sizes",
    r"^Number of channels must be divisible by groups\. Got \d+ channels and \d+ groups\.$",
    r"^Number of groups to divide channels in must be positive\. Value of groups:-?\d+$",
    r"^tri[lu]: input tensor must have at least 2 dimensions$",
    r"^Expected 3D or higher dimensionality\s+input \(got \d+ dimensions\)$",           # local_response_norm
    r"^Padding length should be less than or equal to two times the input dimension",  # F.pad, constant mode
    r"^Expected more than 1 spatial element when training, got input size",         # instance_norm
    r"^expected input's size at dim=\d+ to match num_features \(\d+\), but got: \d+\.$",   # instance_norm
    r"^Mismatch of parameter numbers and input channel size\. Found parameter numbers = \d+",  # prelu
    r"^ZeroDivisionError: alpha cannot be 0 for CELU$",
    r"^torch\.clamp: At least one of 'min' or 'max' must not be None$",
    r"^max_val \(.*\) must be greater than min_val \(.*\)$",                            # nn.Hardtanh
    r"^\w+\(\) received an invalid combination of arguments",                             # torch's argument parser
    r"^start out of range \(expected to be in range of",                                # narrow
    r"^narrow\(\) cannot be applied to a 0-dim tensor\.$",
    r"^too many indices for tensor of dimension \d+$",
    r"^numel: integer multiplication overflow$",                                       # expand((-1,)) of a 0-D tensor
    r"^Number of heads in key and value must divide the number of heads in",           # sdpa, enable_gqa
    r"^index -?\d+ is out of bounds for dimension \d+ with size \d+$",                    # getitem
    r"^expand\(.*\): the number of sizes provided \(\d+\) must be greater or equal to the number of dimensions",
    r"^Padding length must be divisible by 2$",                                        # F.pad
    r"^Expected query, key, and value to all be\s+at least 2 dimensional",             # sdpa
    r"^The expanded size of the tensor \(-?\d+\) must match the existing size \(\d+\) at non-singleton",
    r"^_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True$",
    r"^start \(-?\d+\) \+ length \(\d+\) exceeds dimension size \(\d+\)\.$",           # narrow
    r"^Padding mode \"\w+\" doesn't take in value argument$",                            # F.pad
    r"^The expanded size of the tensor \(-1\) isn't allowed in a leading, non-existing dimension",
    r"^Non-empty \d+D data tensor expected but got a tensor with sizes",                # upsample of an empty dim
    r"^upper bound and lower bound inconsistent with step sign$",                     # arange
    r"^step must be nonzero$",
    r"^Trying to create tensor with negative dimension -?\d+: \[",                      # ones, zeros
    r"^zeros: Dimension size must be non-negative\.$",
    # backward passes
    r"^embedding_backward: scale_grad_by_freq not supported with sparse gradients$",
    r"^too many indices for tensor of dimension 0 \(got 1\)$",
    r"^Function \w+Backward\d* returned an invalid gradient at index \d+",          # pixel_shuffle of empty input
    r"^adaptive_(avg|max)_pool\dd_backward\(\): Expected grad_output to have non-zero size",  # area to empty
    # sizes that must agree
    r"^Given groups=\d+, expected weight to be at least \d+ at dimension 0",
    r"^Given groups=\d+, weight of size \[.*\], expected input\[.*\] to have \d+ channels, but got \d+ channels",
    r"^Given transposed=1, weight of size \[.*\], expected input\[.*\] to have \d+ channels, but got \d+ channels",
    r"^Given normalized_shape=\[.*\], expected input with shape \[\*, .*\], but got input of size",
    r"^input\.size\(-1\) must be equal to input_size\. Expected \d+, got \d+$",
    r"^weight should contain \d+ elements not \d+$",                                    # group_norm
    r"^running_mean should contain \d+ elements not \d+$",
    r"^Expected weight to be a vector of size equal to the number of channels in input",
    r"^Expected number of channels in input to be divisible by num_groups",
    r"^was expecting embedding dimension of \d+, but got \d+$",
    r"^key's sequence and batch dims .* do not match value's",
    r"^key shape torch\.Size\(\[.*\]\) does not match value shape",
    r"^embed_dim \d+ not divisible by num_heads \d+$",
    r"^output with shape \[[\d, ]*\] doesn't match the broadcast shape \[[\d, ]*\]$",   # sdpa's attn_mask, added in place
    r"^The size of tensor a \(\d+\) must match the size of tensor b \(\d+\) at non-singleton dimension",
    r"^Sizes of tensors must match except in dimension \d+",
    r"^Tensors must have same number of dimensions: got \d+ and \d+$",
    r"^stack expects each tensor to be equal size",
    r"^mat1 and mat2 shapes cannot be multiplied",
    r"^inconsistent tensor size, expected tensor \[\d+\] and src \[\d+\] to have the same number of elements",  # 1-D @ 1-D
    r"^size mismatch, got input \(\d+\), mat \(\d+x\d+\), vec \(\d+\)$",
    r"^split_with_sizes expects split_sizes to sum exactly to \d+",
    r"^shape '\[.*\]' is invalid for input of size \d+$",
    r"^only one dimension can be inferred$",
    r"^pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor",
    r"^pixel_unshuffle expects (height|width) to be divisible by downscale_factor",
    # arguments
    r"^in_channels must be divisible by groups$",
    r"^out_channels must be divisible by groups$",
    r"^num_channels \(\d+\) must be divisible by num_groups \(\d+\)$",
    r"^embed_dim must be divisible by num_heads$",
    r"^embed_dim and num_heads must be greater than 0",
    r"^Only \"zeros\" padding mode is supported for ConvTranspose\dd$",
    r"^Expected normalized_shape to be at least 1-dimensional",
    r"^padding='same' is not supported for strided convolutions$",
    r"^Padding_idx must be within num_embeddings$",
    r"^proj_size has to be smaller than hidden_size$",
    r"^input_size must be greater than zero$",
    r"^Padding value causes wrapping around more than once\.$",
    r"^only one of size or scale_factor should be defined$",
    r"^align_corners option can only be set with the interpolating modes",
    r"^adaptive_(avg|max)_pool\dd\(\): argument 'output_size' \(position 2\) must be tuple of ints",
    # F.adaptive_*_pool2d/3d take len() of output_size to fill in None elements: None alone fails there.
    r"^object of type 'NoneType' has no len\(\)$",
]))
TORCH_TYPES = (RuntimeError, ValueError, IndexError, TypeError, NotImplementedError, AssertionError)


class HarnessError(AssertionError):
    """An exception that is not PyTorch rejecting the case."""


def rejection(error: BaseException) -> BaseException:
    """error, when it is PyTorch (or Python around the call) refusing the case; raises HarnessError if not."""
    first_line = str(error).split("\n", 1)[0]
    if isinstance(error, PythonRejects) or (isinstance(error, TORCH_TYPES) and TORCH_MESSAGES.search(first_line)):
        return error
    raise HarnessError(f"not a PyTorch rejection: {type(error).__name__}: {error}") from error


@dataclass
class Trace:
    """What one side computed: per mode the output or PyTorch's rejection (and under "backward" the
    rejection of the backward pass, when there is one); after training mode, the gradients (parameters by
    name, inputs as `input0`, ...) and the state (running statistics)."""
    outputs: dict[str, torch.Tensor | BaseException] = field(default_factory=dict)
    grads: dict[str, torch.Tensor] = field(default_factory=dict)
    state: dict[str, torch.Tensor] = field(default_factory=dict)

    def accepted(self, mode: str) -> bool:
        return isinstance(self.outputs.get(mode), torch.Tensor)


def inputs(op: Op, args: dict, shapes) -> list[torch.Tensor]:
    """Random float64 tensors of the given shapes (boolean ones for the op's masks, whole numbers from -2 to 2
    where ties matter), or integer ids for an embedding, from a fixed seed."""
    generator = torch.Generator().manual_seed(SEED)
    if op.indices:
        limit = args.get("num_embeddings")
        limit = limit if isinstance(limit, int) and limit > 0 else 1
        return [torch.randint(0, limit, shape, generator=generator) for shape in shapes]
    if op.ties:
        return [torch.randint(-2, 3, shape, generator=generator).double() for shape in shapes]
    return [torch.rand(shape, generator=generator) < 0.5 if i in op.masks
            else torch.randn(shape, generator=generator, dtype=torch.float64) for i, shape in enumerate(shapes)]


def exercise(forward: Callable[..., torch.Tensor], module: torch.nn.Module | None, tensors, strip: bool,
             backward: bool = True) -> Trace:
    """Eval mode, then training mode (seeded alike for dropout), then backward of a fixed random projection.
    strip: parameter names lose their first component (`conv1.weight` → `weight`), for netdsl's network."""
    trace = Trace()
    leaves = [t.clone().requires_grad_(t.is_floating_point()) for t in tensors]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mode in ("eval", "train"):
            torch.default_generator.manual_seed(SEED)   # the CPU's; torch.manual_seed seeds every backend, slowly
            try:
                trace.outputs[mode] = forward(mode == "train", *leaves)
            except Exception as error:  # noqa: BLE001 — classified: PyTorch's rejection, or HarnessError
                trace.outputs[mode] = rejection(error)
        output = trace.outputs["train"]
        if backward and isinstance(output, torch.Tensor) and output.requires_grad:
            projection = torch.randn(output.shape, generator=torch.Generator().manual_seed(SEED), dtype=output.dtype)
            try:
                (output * projection).sum().backward()
            except Exception as error:  # noqa: BLE001 — classified: PyTorch's rejection, or HarnessError
                trace.outputs["backward"] = rejection(error)
    named = dict(module.named_parameters()) if module is not None else {}
    trace.grads = {_name(k, strip): p.grad for k, p in named.items() if p.grad is not None}
    trace.grads.update({f"input{i}": t.grad for i, t in enumerate(leaves) if t.grad is not None})
    trace.state = {_name(k, strip): v.detach().clone() for k, v in (module.state_dict() if module else {}).items()}
    return trace


def _name(key: str, strip: bool) -> str:
    return key.split(".", 1)[1] if strip else key


def counts(module: torch.nn.Module | None) -> tuple[int, int, int]:
    """(trainable parameters, frozen parameters, buffer elements), as PyTorch counts them."""
    if module is None:
        return 0, 0, 0
    parameters = list(module.parameters())
    return (sum(p.numel() for p in parameters if p.requires_grad),
            sum(p.numel() for p in parameters if not p.requires_grad), sum(b.numel() for b in module.buffers()))


def assert_same(ours: Trace, theirs: Trace, where: str) -> None:
    """netdsl's module computed what PyTorch computed: outputs in both modes, gradients, state."""
    assert ours.outputs.keys() == theirs.outputs.keys(), f"{where}: netdsl's module fails in " \
        f"{sorted(ours.outputs.keys() - theirs.outputs.keys())}, PyTorch in {sorted(theirs.outputs.keys() - ours.outputs.keys())}"
    for mode, expected in theirs.outputs.items():
        got = ours.outputs[mode]
        if isinstance(expected, BaseException):
            assert isinstance(got, BaseException), f"{where}: in {mode} mode PyTorch raises ({expected}) but " \
                f"netdsl's module returns {tuple(got.shape)}"
            continue
        assert isinstance(got, torch.Tensor), f"{where}: netdsl's module raises in {mode} mode: {got}"
        _close(got, expected, f"{where}: the output in {mode} mode")
    assert ours.grads.keys() == theirs.grads.keys(), f"{where}: gradients of {sorted(ours.grads)} vs {sorted(theirs.grads)}"
    for name, expected in theirs.grads.items():
        _close(ours.grads[name], expected, f"{where}: the gradient of {name}")
    assert ours.state.keys() == theirs.state.keys(), f"{where}: state {sorted(ours.state)} vs {sorted(theirs.state)}"
    for name, expected in theirs.state.items():
        _close(ours.state[name], expected, f"{where}: {name} after training mode")


def _close(got: torch.Tensor, expected: torch.Tensor, what: str) -> None:
    assert got.layout == expected.layout, f"{what}: layout {got.layout} vs PyTorch's {expected.layout}"
    if got.is_sparse:
        got, expected = got.to_dense(), expected.to_dense()
    assert (got.shape, got.dtype) == (expected.shape, expected.dtype), \
        f"{what}: {tuple(got.shape)} {got.dtype} vs PyTorch's {tuple(expected.shape)} {expected.dtype}"
    if not got.is_floating_point():   # masks (comparisons), ids (argmax), whole numbers (arange): exactly
        differing = (got != expected).sum().item()
        assert differing == 0, f"{what} differs from PyTorch's in {differing} of {got.numel()} elements"
    elif not torch.allclose(got, expected, rtol=1e-9, atol=1e-9, equal_nan=True):
        worst = (got - expected).abs().nan_to_num(nan=float("inf")).max().item()
        raise AssertionError(f"{what} differs from PyTorch's (by up to {worst:.3g})")
