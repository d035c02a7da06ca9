"""Each layer's shape rule against hand-computed cases (PyTorch's formulas, worked by hand)."""

import pytest

from netdsl import registry
from netdsl.checker import infer_layer
from netdsl.shapes import ShapeError, broadcast, conv_output_size, pool_output_size
from netdsl.sizes import symbol

N = symbol("N")


def infer(kind: str, input_shape: tuple, **args) -> tuple:
    layer = registry.lookup(kind)
    return infer_layer(layer, layer.schema.validate(args), (input_shape,))[1]


def params(kind: str, input_shape: tuple, **args) -> tuple[int, int]:
    layer = registry.lookup(kind)
    validated, _ = infer_layer(layer, layer.schema.validate(args), (input_shape,))
    return layer.params(validated, (input_shape,)), layer.buffers(validated, (input_shape,))


# ---------------------------------------------------------------- convolution

def test_padding_one_keeps_8x8_with_3x3_kernel():
    assert infer("conv2d", (N, 3, 8, 8), out_channels=4, kernel_size=3, padding=1) == (N, 4, 8, 8)


def test_asymmetric_kernel_padding_and_stride():
    # H: (8 + 2·2 − 4 − 1) // 3 + 1 = 3;  W: (8 + 2·1 − 2 − 1) // 4 + 1 = 2  (torch agrees: 3×2)
    shape = infer("conv2d", (N, 1, 8, 8), out_channels=1, kernel_size=(5, 3), padding=(2, 1), stride=(3, 4))
    assert shape == (N, 1, 3, 2)


def test_dilation_widens_the_kernel():
    # effective kernel 2·(3−1)+1 = 5: 10 − 5 + 1 = 6
    assert infer("conv1d", (N, 2, 10), out_channels=4, kernel_size=3, dilation=2) == (N, 4, 6)


def test_unbatched_conv_input():
    assert infer("conv2d", (3, 32, 32), out_channels=8, kernel_size=5) == (8, 28, 28)


def test_same_and_valid_padding():
    assert infer("conv2d", (N, 3, 17, 17), out_channels=8, kernel_size=4, padding="same") == (N, 8, 17, 17)
    assert infer("conv2d", (N, 3, 17, 17), out_channels=8, kernel_size=4, padding="valid") == (N, 8, 14, 14)


def test_same_padding_with_stride_is_rejected():
    with pytest.raises(ShapeError) as error:
        infer("conv2d", (N, 3, 16, 16), out_channels=8, kernel_size=3, stride=2, padding="same")
    assert error.value.arg == "padding" and "strided" in error.value.message


def test_groups_must_divide_channels():
    with pytest.raises(ShapeError) as error:
        infer("conv2d", (N, 6, 8, 8), out_channels=16, kernel_size=3, groups=4)
    assert error.value.arg == "groups" and "6" in error.value.message


def test_kernel_larger_than_padded_input():
    with pytest.raises(ShapeError) as error:
        infer("conv2d", (N, 1, 4, 4), out_channels=1, kernel_size=5)
    assert error.value.code.code == "E0406"
    assert infer("conv2d", (N, 1, 4, 4), out_channels=1, kernel_size=5, padding=1) == (N, 1, 2, 2)


def test_a_size_that_must_be_fixed_says_what_depends_on_it():
    with pytest.raises(ShapeError) as error:
        infer("unbind", (N, 9, symbol("H")), dim=2)
    assert error.value.code.code == "E0405"
    assert error.value.help == ("the number of tensors it gives depends on it: fix the sizes (a `where` clause on "
                                "the input, or `--input`)")
    with pytest.raises(ShapeError) as error:
        infer("linear", (N, symbol("H")), out_features=4)
    assert error.value.help.startswith("its weights depend on it: fix the sizes")


def test_a_matmul_mismatch_says_which_operand_to_transpose():
    def advice(a, b):
        layer = registry.lookup("matmul")
        with pytest.raises(ShapeError) as error:
            infer_layer(layer, layer.schema.validate({}), (a, b))
        return error.value.help
    assert advice((N, 4, 8), (N, 5, 8)) == "transpose the second operand: `-> transpose(-2, -1)` makes it [N, 8, 5]"
    assert advice((N, 4, 8), (N, 4, 5)) == "transpose the first operand: `-> transpose(-2, -1)` makes it [N, 8, 4]"
    assert advice((N, 4, 8), (N, 6, 5)).startswith("check which dims are multiplied")


def test_symbolic_sizes_in_a_window_message_keep_their_parentheses():
    with pytest.raises(ShapeError) as error:
        infer("conv2d", (N, 3, symbol("H"), 2), out_channels=8, kernel_size=5, padding=1)
    assert "larger than the padded input (H + 2)×4 (input [N, 3, H, 2])" in error.value.message


def test_conv_rank_requirement():
    with pytest.raises(ShapeError) as error:
        infer("conv2d", (N, 1024), out_channels=8, kernel_size=3)
    assert "3-D or 4-D" in error.value.message


def test_conv_parameter_counts():
    assert params("conv2d", (N, 1, 32, 32), out_channels=6, kernel_size=5) == (156, 0)
    assert params("conv2d", (N, 8, 32, 32), out_channels=16, kernel_size=3, groups=4, bias=False) == (16 * 2 * 9, 0)


def test_conv_transpose_doubles_with_stride_2():
    assert infer("conv_transpose2d", (N, 512, 16, 16), out_channels=256, kernel_size=2, stride=2) == (N, 256, 32, 32)


def test_conv_transpose_output_padding_must_be_below_stride_or_dilation():
    with pytest.raises(ShapeError) as error:
        infer("conv_transpose2d", (N, 4, 8, 8), out_channels=4, kernel_size=3, stride=2, output_padding=2)
    assert error.value.arg == "output_padding"


# ---------------------------------------------------------------- pooling

def test_maxpool_3_on_5x5_gives_1x1_and_2x2_with_ceil_mode():
    assert infer("maxpool2d", (N, 1, 5, 5), kernel_size=3) == (N, 1, 1, 1)
    assert infer("maxpool2d", (N, 1, 5, 5), kernel_size=3, ceil_mode=True) == (N, 1, 2, 2)


def test_ceil_mode_drops_a_window_starting_in_the_right_padding():
    # ceil((5 + 2 − 2) / 2) + 1 = 4 windows, but the 4th starts at 6 ≥ 5 + 1: torch keeps 3.
    assert pool_output_size(5, kernel=2, stride=2, padding=1, dilation=1, ceil_mode=True) == 3
    assert pool_output_size(6, kernel=2, stride=2, padding=1, dilation=1, ceil_mode=True) == 4


def test_pool_stride_defaults_to_kernel():
    assert infer("maxpool2d", (N, 6, 28, 28), kernel_size=2) == (N, 6, 14, 14)
    assert infer("avgpool2d", (N, 6, 28, 28), kernel_size=2, stride=1) == (N, 6, 27, 27)


def test_pool_padding_at_most_half_the_kernel():
    assert infer("maxpool2d", (N, 1, 8, 8), kernel_size=3, stride=2, padding=1) == (N, 1, 4, 4)
    with pytest.raises(ShapeError) as error:
        infer("maxpool2d", (N, 1, 8, 8), kernel_size=3, padding=2)
    assert error.value.code.code == "E0305"


def test_pool_with_no_complete_window_is_empty():
    with pytest.raises(ShapeError) as error:
        infer("maxpool2d", (N, 1, 2, 2), kernel_size=3)
    assert "empty" in error.value.message
    assert infer("maxpool2d", (N, 1, 2, 2), kernel_size=3, ceil_mode=True) == (N, 1, 1, 1)


def test_maxpool_dilation():
    # effective window 2·(3−1)+1 = 5, stride 3 by default: (10 − 5) // 3 + 1 = 2
    assert infer("maxpool1d", (N, 1, 10), kernel_size=3, dilation=2) == (N, 1, 2)


def test_adaptive_pool_sets_the_spatial_size():
    assert infer("adaptive_avg_pool2d", (N, 512, 7, 9), output_size=1) == (N, 512, 1, 1)
    assert infer("adaptive_max_pool2d", (N, 3, 5, 7), output_size=(None, 3)) == (N, 3, 5, 3)


# ---------------------------------------------------------------- linear, flatten, reshape

def test_linear_applies_to_the_last_dim():
    assert infer("linear", (N, 10, 7, 256), out_features=64) == (N, 10, 7, 64)
    assert params("linear", (N, 400), out_features=120) == (48_120, 0)


def test_linear_checks_written_in_features():
    with pytest.raises(ShapeError) as error:
        infer("linear", (N, 576), out_features=120, in_features=400)
    assert error.value.arg == "in_features" and "576" in error.value.message


def test_flatten_keeps_the_batch_dim():
    assert infer("flatten", (N, 16, 5, 5)) == (N, 400)
    assert infer("flatten", (N, 16, 5, 5), start_dim=2) == (N, 16, 25)
    assert infer("flatten", (N, 16, 5, 5), start_dim=0) == (400 * N,)


def test_reshape_infers_minus_one_and_keeps_symbols():
    assert infer("reshape", (N, 16, 5, 5), shape=(N, -1)) == (N, 400)
    assert infer("reshape", (2, 64), shape=(2, 64, 1, 1)) == (2, 64, 1, 1)
    with pytest.raises(ShapeError):
        infer("reshape", (N, 16, 5, 5), shape=(N, 16, 25, 2))


# ---------------------------------------------------------------- normalization and pointwise

def test_batchnorm_counts_affine_parameters_and_running_buffers():
    assert infer("batchnorm2d", (N, 64, 8, 8)) == (N, 64, 8, 8)
    assert params("batchnorm2d", (N, 64, 8, 8)) == (128, 129)
    with pytest.raises(ShapeError):
        infer("batchnorm1d", (N, 16, 30, 30))


def test_layernorm_and_groupnorm():
    assert params("layernorm", (N, 10, 256)) == (512, 0)
    with pytest.raises(ShapeError):
        infer("layernorm", (N, 10, 256), normalized_shape=128)
    with pytest.raises(ShapeError):
        infer("groupnorm", (N, 30, 8, 8), num_groups=4)


def test_softmax_dim_is_checked():
    assert infer("softmax", (N, 10), dim=-1) == (N, 10)
    with pytest.raises(ShapeError):
        infer("softmax", (N, 10), dim=2)


def test_broadcasting_names_the_dim_that_disagrees():
    assert broadcast((N, 64, 32, 32), (N, 64, 1, 1)) == (N, 64, 32, 32)
    with pytest.raises(ShapeError) as error:
        broadcast((2, 64, 32, 32), (2, 64, 16, 16))
    assert "dim 3" in error.value.message and "32 vs 16" in error.value.message


def test_symbolic_sizes_pass_through_formulas():
    assert conv_output_size(symbol("H"), kernel=3, stride=1, padding=1, dilation=1) == symbol("H")
