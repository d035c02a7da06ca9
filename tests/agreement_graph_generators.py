"""Agreement generators for the graph kinds (issue #3): joins and splits, axis ops, reductions, resampling,
embedding, recurrent layers and attention. Merged into agreement_generators.GENERATORS.

`outputs` (how many names a spec unpacks the pieces into) is drawn now and then; it is often not the
number of pieces.
"""

from __future__ import annotations

from agreement_generators import FLOATS, Case, image, multiple, shape, size, some
from hypothesis import strategies as st


def _dim(draw, rank: int) -> int:
    """Usually a valid dim index (negative ones included), now and then one out of range."""
    return draw(st.integers(-rank - 1, rank)) if rank else draw(st.integers(-1, 0))


def _varied(draw, base: tuple, dim: int | None) -> tuple:
    """A shape equal to base except at dim (when given); now and then another dim differs too."""
    out = list(base)
    if dim is not None and base:
        out[dim % len(base)] = draw(size(1, 5))
    if base and not draw(st.integers(0, 5)):
        out[draw(st.integers(0, len(base) - 1))] = draw(size(1, 5))
    return tuple(out)


@st.composite
def joined(draw, stack: bool = False) -> Case:
    base = shape(draw, 1, 4)
    dim = _dim(draw, len(base) + stack)
    inside = None if stack or not -len(base) <= dim < len(base) else dim
    shapes = (base,) + tuple(_varied(draw, base, inside) for _ in range(draw(st.integers(0, 2))))
    if not draw(st.integers(0, 7)):
        shapes += (shape(draw, 1, 4),)  # perhaps another rank
    return Case({"dim": dim}, shapes)


@st.composite
def pieces(draw, first: str | None) -> Case:
    x = shape(draw, 1, 3, high=9)
    args = {"dim": _dim(draw, len(x)), "index": draw(st.integers(-4, 4))}
    if not draw(st.integers(0, 3)):   # unpacked into this many names (a spec's `a, b = x -> chunk(2)`)
        args["outputs"] = draw(size(2, 5))
    if first == "chunks":
        args["chunks"] = draw(size(1, 5))
    elif first:
        n = x[args["dim"] % len(x)] if -len(x) <= args["dim"] < len(x) else 3
        sections = draw(st.lists(size(1, 4), min_size=1, max_size=3))
        if draw(st.booleans()) and sum(sections) < n:
            sections.append(n - sum(sections))  # usually they add up
        args["split_size_or_sections"] = draw(st.one_of(size(1, 5), st.just(tuple(sections))))
    return Case(args, (x,))


@st.composite
def matmul(draw) -> Case:
    inner = draw(size(1, 4))
    a = shape(draw, 0, 2) + (draw(size(1, 4)), inner)
    b = shape(draw, 0, 2) + (inner if draw(st.integers(0, 4)) else draw(size(1, 4)), draw(size(1, 4)))
    a = a[-draw(st.integers(1, len(a))):]
    b = b[-draw(st.integers(1, len(b))):] if len(b) > 1 and draw(st.booleans()) else b
    if len(b) == 1 or draw(st.integers(0, 3)):
        b = b if len(b) > 1 else (a[-1],)
    return Case({}, (a, b))


@st.composite
def two_dims(draw) -> Case:
    x = shape(draw, 1, 4)
    return Case({"dim0": _dim(draw, len(x)), "dim1": _dim(draw, len(x))}, (x,))


@st.composite
def permute(draw) -> Case:
    x = shape(draw, 1, 4)
    dims = list(draw(st.permutations(range(len(x)))))
    dims = [d - len(x) if draw(st.booleans()) else d for d in dims]
    if not draw(st.integers(0, 5)):
        dims = dims[:-1] + [dims[0]]  # a repeated dim
    return Case({"dims": tuple(dims)}, (x,))


@st.composite
def one_dim(draw, extra: int = 0, **options) -> Case:
    x = shape(draw, 1, 4, low=1, high=3)
    return Case({"dim": _dim(draw, len(x) + extra), **some(draw, **options)}, (x,))


@st.composite
def dims_or_all(draw, **options) -> Case:
    x = shape(draw, 1, 4, low=1, high=3)
    chosen = draw(st.one_of(st.none(), st.integers(-len(x), len(x) - 1),
                            st.lists(st.integers(-len(x), len(x) - 1), min_size=1, max_size=len(x)).map(tuple)))
    return Case({**({"dim": chosen} if chosen is not None else {}), **some(draw, **options)}, (x,))


@st.composite
def select(draw) -> Case:
    x = shape(draw, 1, 4)
    return Case({"dim": _dim(draw, len(x)), "index": draw(st.integers(-5, 5))}, (x,))


@st.composite
def resample(draw) -> Case:
    x = shape(draw, 2, 6, high=5)
    d = max(len(x) - 2, 1)
    scale = st.one_of(size(1, 3), st.sampled_from([0.5, 1.5, 2.0, 2.5]))
    how = draw(st.sampled_from(["size", "scale_factor", "scale_factor", "both"]))
    args = {"mode": draw(st.sampled_from(["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear",
                                          "area"]))}
    if how in ("size", "both"):
        args["size"] = draw(st.one_of(size(1, 6), st.tuples(*[size(1, 6)] * d)))
    if how in ("scale_factor", "both"):
        args["scale_factor"] = draw(st.one_of(scale, st.tuples(*[scale] * d)))
    if not draw(st.integers(0, 3)):
        args["align_corners"] = draw(st.booleans())
    return Case(args, (x,))


@st.composite
def shuffle(draw, field: str) -> Case:
    return Case({field: draw(size(1, 3))}, (shape(draw, 2, 5, high=8),))


@st.composite
def embedding(draw) -> Case:
    num = draw(size(1, 8))
    args = {"num_embeddings": num, "embedding_dim": draw(size(1, 5)),
            **some(draw, padding_idx=st.integers(-num - 1, num), max_norm=st.floats(0.5, 2.0),
                   norm_type=st.floats(0.5, 3.0), scale_grad_by_freq=st.booleans(), sparse=st.booleans())}
    return Case(args, (shape(draw, 0, 3),))


@st.composite
def recurrent(draw, name: str) -> Case:
    hidden = draw(size(1, 5))
    returns = ["output", "hidden"] + (["cell"] if name == "lstm" else [])
    options = dict(num_layers=size(1, 3), bias=st.booleans(), batch_first=st.booleans(), dropout=st.floats(0, 1),
                   bidirectional=st.booleans(), returns=st.sampled_from(returns))
    if name == "lstm":
        options["proj_size"] = st.integers(0, hidden)
    if name == "rnn":
        options["nonlinearity"] = st.sampled_from(["tanh", "relu"])
    args = {"hidden_size": hidden, **some(draw, **options)}
    x = shape(draw, 1, 4, high=4)
    return Case(args, (x, *draw(st.sampled_from([(), initial_state(draw, name, args, x)]))))


def initial_state(draw, name: str, args: dict, x: tuple) -> tuple:
    """h_0 (and c_0 for an LSTM) shaped as torch wants them for input x, or now and then mistaken: the
    layer count, the batch taken from the wrong dim (batch_first confusion), another size, another rank."""
    states = args.get("num_layers", 1) * (2 if args.get("bidirectional") else 1)
    batch = () if len(x) != 3 else (x[0] if args.get("batch_first") else x[1],)
    hidden = args["hidden_size"]
    shapes = [(states, *batch, args.get("proj_size") or hidden)] + ([(states, *batch, hidden)] if name == "lstm" else [])
    if draw(st.integers(0, 3)) == 0:
        which = draw(st.integers(0, len(shapes) - 1))
        wrong = list(shapes[which])
        mistake = draw(st.sampled_from(["layers", "swap", "size", "rank"]))
        if mistake == "swap" and len(wrong) == 3:
            wrong[0], wrong[1] = wrong[1], wrong[0]
        elif mistake == "rank":
            wrong = wrong[:1] + wrong[2:] if len(wrong) == 3 else wrong[:1] + [1] + wrong[1:]
        else:
            index = 0 if mistake == "layers" else draw(st.integers(0, len(wrong) - 1))
            wrong[index] = draw(size(1, 5))
        shapes[which] = tuple(wrong)
    return tuple(shapes)


@st.composite
def attention(draw) -> Case:
    heads = draw(size(1, 4))
    embed = heads * draw(size(1, 3)) if draw(st.integers(0, 4)) else draw(size(1, 8))
    batch_first = draw(st.booleans())
    rank = draw(st.sampled_from([3, 3, 2, 4]))
    lead = shape(draw, rank - 1, rank - 1, high=4)
    query = lead + (embed,)
    seq = 1 if batch_first and rank == 3 else 0
    memory = list(lead)
    if rank > 1 and draw(st.booleans()):
        memory[seq] = draw(size(1, 4))  # a key/value sequence of another length
    key = tuple(memory) + (embed if draw(st.booleans()) else draw(size(1, 6)),)
    value = tuple(_varied(draw, tuple(memory), None)) + (draw(size(1, 6)),)
    shapes = draw(st.sampled_from([(query,), (query, key), (query, key, value)]))
    return Case({"num_heads": heads, "batch_first": batch_first,
                 **some(draw, bias=st.booleans(), add_bias_kv=st.booleans(), add_zero_attn=st.booleans(),
                        dropout=st.floats(0, 1))}, shapes)


@st.composite
def one_dim_or_all(draw, **options) -> Case:
    """argmax, argmin, prod: one dim or none (all)."""
    x = shape(draw, 0, 4, low=1, high=3)
    return Case({**({"dim": _dim(draw, len(x))} if draw(st.booleans()) else {}), **some(draw, **options)}, (x,))


@st.composite
def logsumexp(draw) -> Case:
    x = shape(draw, 0, 4, low=1, high=3)
    # at least one dim: `()` is not a value a spec can write (and torch's logsumexp over () is broken)
    dims = st.lists(st.integers(-len(x) - 1, max(len(x), 1)), min_size=1, max_size=len(x) + 1).map(tuple)
    return Case({"dim": draw(st.one_of(st.integers(-len(x) - 1, max(len(x), 1)), dims)),
                 **some(draw, keepdim=st.booleans())}, (x,))


def _index_item(draw, size_: int):
    bound = st.one_of(st.none(), st.integers(-size_ - 2, size_ + 2))
    return draw(st.one_of(st.integers(-size_ - 1, size_), st.just(None), st.just(Ellipsis),
                          st.tuples(bound, bound, st.one_of(st.none(), st.integers(1, 3)))))


@st.composite
def getitem(draw) -> Case:
    x = shape(draw, 0, 4, high=5)
    # at least one item: `()` is not a value a spec can write
    items = [_index_item(draw, x[i] if i < len(x) else 3) for i in range(draw(st.integers(1, len(x) + 1)))]
    return Case({"index": tuple(items)}, (x,))


@st.composite
def narrow(draw) -> Case:
    x = shape(draw, 0, 3, high=6)
    return Case({"dim": _dim(draw, len(x)), "start": draw(st.integers(-7, 7)), "length": draw(st.integers(0, 6))},
                (x,))


@st.composite
def expand(draw) -> Case:
    x = shape(draw, 0, 3, high=3)
    sizes = [draw(st.sampled_from([-1, s, draw(size(1, 4))])) for s in x]
    lead = draw(st.lists(st.one_of(size(1, 3), st.just(-1)), min_size=not x, max_size=2))
    if not draw(st.integers(0, 5)) and len(lead) + len(sizes) > 1:
        sizes = sizes[1:]   # one size too few (but one at least: `()` is not a value a spec can write)
    return Case({"sizes": tuple(lead + sizes)}, (x,))


@st.composite
def pad(draw) -> Case:
    pairs = draw(st.integers(0, 4))
    # at least one value: `()` is not a value a spec can write
    values = draw(st.lists(st.integers(0, 4), min_size=max(2 * pairs, 1),
                           max_size=2 * pairs + (not draw(st.integers(0, 6))) or 1))
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    args = {"pad": tuple(values), "mode": mode, **some(draw, value=st.one_of(st.just(0.0), FLOATS))}
    return Case(args, (shape(draw, 0, 5, high=5),))


@st.composite
def padding_layer(draw, d: int, constant: bool) -> Case:
    padding = draw(st.one_of(st.integers(0, 4), st.tuples(*[st.integers(0, 4)] * (2 * d))))
    args = {"padding": padding, **({"value": draw(FLOATS)} if constant else {})}
    return Case(args, (shape(draw, 0, 5, high=5),))


@st.composite
def center_crop(draw) -> Case:
    x = shape(draw, 2, 5, high=7)
    like = x[:2] + tuple(draw(size(1, 7)) for _ in x[2:])
    if not draw(st.integers(0, 6)):
        like = like[:-1]
    return Case({}, (x, like))


@st.composite
def filled(draw) -> Case:
    sizes = draw(st.lists(st.integers(-1, 5), min_size=1, max_size=4))   # `()` is not a value a spec can write
    return Case({"size": tuple(sizes), **some(draw, dtype=st.sampled_from(["float32", "int64", "bool"]))}, ())


@st.composite
def arange(draw) -> Case:
    bound = st.one_of(st.integers(-6, 6), st.sampled_from([0.5, -1.5, 2.25]))
    args = {"start": draw(bound)}
    if draw(st.booleans()):
        args.update(end=draw(bound), **some(draw, step=st.one_of(st.integers(-3, 3), st.sampled_from([0.5, -0.75]))))
    return Case(args, ())


@st.composite
def channel_shuffle(draw) -> Case:
    groups = draw(size(1, 4))
    return Case({"groups": groups}, (image(draw, draw(st.integers(1, 2)), multiple(draw, groups), high=3),))


@st.composite
def sdpa(draw) -> Case:
    lead = shape(draw, 0, 2, high=3)
    heads = draw(size(1, 4))
    e, length, source = draw(size(1, 4)), draw(size(1, 4)), draw(size(1, 4))
    gqa = draw(st.booleans())
    kv_heads = draw(st.sampled_from([heads, 1, draw(size(1, 4))])) if gqa else heads
    query = lead + (heads, length, e)
    key = lead + (kv_heads, source, e if draw(st.integers(0, 5)) else draw(size(1, 4)))
    value = lead + (kv_heads, source if draw(st.integers(0, 5)) else draw(size(1, 4)), draw(size(1, 4)))
    cut = draw(st.integers(0, 2))   # fewer leading dims: they broadcast
    shapes = (query[cut:], key, value) if draw(st.booleans()) else (query, key[cut:], value)
    if draw(st.booleans()):
        mask = (length, source)
        mask = draw(st.sampled_from([mask, (1, source), (length, 1), (heads, length, source),
                                     (draw(size(1, 3)), length, source), (source, length)]))
        shapes += (mask,)
    args = some(draw, dropout_p=st.floats(0, 1), is_causal=st.booleans(), scale=st.one_of(st.none(), FLOATS))
    return Case({**args, **({"enable_gqa": True} if gqa else {})}, shapes)


@st.composite
def attention_with_masks(draw) -> Case:
    case = draw(attention())
    batch_first, query = case.args["batch_first"], case.shapes[0]
    key = case.shapes[min(1, len(case.shapes) - 1)]
    batched = len(query) == 3
    seq = 1 if batch_first and batched else 0
    flags, masks = {}, ()
    if len(query) in (2, 3) and draw(st.booleans()):
        lq, ls = query[seq], key[seq] if len(key) > seq else 1
        heads = case.args["num_heads"] * (query[1 - seq] if batched else 1)
        flags["attn_mask"] = True
        masks += (draw(st.sampled_from([(lq, ls), (heads, lq, ls), (ls, lq), (1, lq, ls), (lq,)])),)
    if len(query) in (2, 3) and draw(st.booleans()):
        ls = key[seq] if len(key) > seq else 1
        flags["key_padding_mask"] = True
        masks += (draw(st.sampled_from([(query[1 - seq], ls) if batched else (ls,), (ls, 1), (ls + 1,)])),)
    flags.update(some(draw, is_causal=st.booleans()))
    return Case({**case.args, **flags}, case.shapes + masks)


GRAPH_GENERATORS = {
    "concat": joined, "cat": joined, "stack": lambda: joined(stack=True),
    "chunk": lambda: pieces("chunks"), "split": lambda: pieces("split_size_or_sections"),
    "unbind": lambda: pieces(None),
    "matmul": matmul, "transpose": two_dims, "permute": permute,
    "unsqueeze": lambda: one_dim(extra=1), "squeeze": dims_or_all, "select": select,
    **{name: (lambda: dims_or_all(keepdim=st.booleans())) for name in ("mean", "sum", "max", "min", "amax", "amin")},
    **{name: (lambda: dims_or_all(keepdim=st.booleans(), correction=st.one_of(st.integers(0, 3), st.floats(0, 2))))
       for name in ("std", "var")},
    **{name: (lambda: one_dim_or_all(keepdim=st.booleans())) for name in ("argmax", "argmin", "prod")},
    "logsumexp": logsumexp,
    "getitem": getitem, "narrow": narrow, "expand": expand,
    "pad": pad,
    **{f"{style}pad{d}d": (lambda d=d, style=style: padding_layer(d, style == "constant"))
       for style in ("zero", "constant", "reflection", "replication", "circular") for d in (1, 2, 3)},
    "center_crop": center_crop,
    "ones": filled, "zeros": filled, "arange": arange,
    "channel_shuffle": channel_shuffle,
    "scaled_dot_product_attention": sdpa,
    "upsample": resample, "interpolate": resample,
    "pixel_shuffle": lambda: shuffle("upscale_factor"), "pixel_unshuffle": lambda: shuffle("downscale_factor"),
    "embedding": embedding,
    **{name: (lambda name=name: recurrent(name)) for name in ("rnn", "lstm", "gru")},
    "multihead_attention": attention_with_masks,
}
