"""The catalogue of diagnostic codes (as mypy's errorcodes.py and rustc's error index).

Every diagnostic netdsl reports has a code from this module, and every code has one meaning, a short
title and an explanation with a failing example and its fix (`netdsl explain CODE`, docs/codes.md).
Raising sites use these objects, never a string. Ranges: E01xx syntax, E02xx names and structure,
E03xx arguments and values, E04xx shapes, W01xx warnings. A code that is split or dropped stays
retired: its number is never given another meaning.
"""

from __future__ import annotations

import enum
from dataclasses import field

from . import records


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@records.value
class Code:
    code: str
    severity: Severity
    title: str
    text: str = field(repr=False)   # as written below; dedented when read (not at every start-up)

    @property
    def explanation(self) -> str:
        import textwrap
        return textwrap.dedent(self.text).strip()

    def __str__(self) -> str:
        return self.code


CATALOGUE: dict[str, Code] = {}
RETIRED: dict[str, str] = {}   # code → why it is no longer reported


def _code(code: str, title: str, explanation: str) -> Code:
    severity = Severity.WARNING if code.startswith("W") else Severity.ERROR
    entry = Code(code, severity, title, explanation)
    CATALOGUE[code] = entry
    return entry


# ---------------------------------------------------------------- E01xx syntax

E0101 = _code("E0101", "unexpected character", """
    The spec contains a character that is not part of the language (such as `$`, `;` or a
    non-ASCII letter outside a string or comment).

        x -> conv2d(16, 3) $ relu

    Remove the character; layers are joined with `->`: `x -> conv2d(16, 3) -> relu`.
    """)

E0102 = _code("E0102", "unexpected token", """
    The parser found a word or symbol where the grammar does not allow it, and no more specific
    syntax error (E0107-E0119) explains it. The message says what was expected.

        x -> linear(10) -> ]

    Write one of the expected tokens: here a layer after `->`, such as `x -> linear(10) -> relu`.
    """)

E0103 = _code("E0103", "network or block not closed", """
    A `{` that opens a network's or block's body has no matching `}`: the file ends, or the next
    definition starts, inside the body. The error points where the `}` goes and notes the `{`.

        block Up(c: int) {
            input x
            output x -> conv_transpose2d(c, 2, stride=2)

        network Net() {
            ...

    Close the body after its last statement: add `}` before `network Net`.
    """)

E0104 = _code("E0104", "expression nested too deeply", """
    An expression nests more than 256 levels of parentheses or operators. Real specs nest a dozen
    levels at most; deeper nesting is refused so that every later stage stays bounded.

        x -> linear(((((((((((((...1...)))))))))))))

    Name intermediate values, or write the expression flatter.
    """)

E0105 = _code("E0105", "integer literal too large", """
    Sizes are int64 in PyTorch, so an integer literal must lie between -2**63 and 2**63 - 1.

        x -> linear(99999999999999999999)

    Use a size PyTorch can represent.
    """)

E0106 = _code("E0106", "`output` is not the last stage", """
    `-> output` ends a chain: nothing can follow it.

        x -> linear(10) -> output -> relu

    Move `-> output` to the end: `x -> linear(10) -> relu -> output`.
    """)

E0107 = _code("E0107", "unterminated string", """
    A string opened with `'` or `"` is not closed on its line (strings do not span lines).

        x -> conv2d(16, 3, padding='same) -> relu

    Close it: `padding='same'`.
    """)

E0108 = _code("E0108", "another language's arrow", """
    A chain is written with `->`; `=>` (or the character `→`) is not an arrow in a spec.

        x => linear(10)

    Write `x -> linear(10)`.
    """)

E0109 = _code("E0109", "misspelt keyword", """
    A word close to a keyword (`network`, `block`, `import`, `from`, `input`, `output`) stands
    where only the keyword fits.

        netwrok Net() {

    Spell the keyword: `network Net() {`.
    """)

E0110 = _code("E0110", "Python syntax in a spec", """
    A spec is not Python: there is no `def`, `class`, `return` or `lambda`, a body is written in
    braces rather than after `:`, and `import` takes a quoted path to a .net file, not a module.

        def ConvBlock(c):
            return conv2d(c, 3)

    Write a block and use it as a layer: `block ConvBlock(c: int) { input x  output x -> conv2d(c, 3) }`,
    then `x -> ConvBlock(16)`. A network gives its result with `output`, not `return`.
    """)

E0111 = _code("E0111", "malformed definition header", """
    A network or block is declared `network Name(name: type = default, ...) {`: the parameter list
    is required (even empty), and each parameter has a type after `:`.

        network Classifier(classes = 10) {

    Write `network Classifier(classes: int = 10) {`. The types are int, float, bool and str.
    """)

E0112 = _code("E0112", "stray separator", """
    A `,` where nothing follows it (two in a row, right after `(`), or a `,` or `;` between
    statements: statements are separated by line breaks.

        x -> conv2d(16,, 3)

    Remove it: `x -> conv2d(16, 3)`.
    """)

E0113 = _code("E0113", "argument without a value", """
    A keyword argument (or a parameter default) has `=` but no value.

        x -> linear(10, bias=)

    Give it a value (`bias=false`), or leave it out to use its default.
    """)

E0114 = _code("E0114", "missing `->`", """
    Two stages of a chain follow each other without the `->` between them, or a statement starts
    with a layer: the `->` that would have continued the statement before it is missing. A line
    break ends a statement, so a layer on the next line needs a leading `->`.

        x -> conv2d(16, 3) relu -> output

    Insert `->`: `x -> conv2d(16, 3) -> relu -> output`.
    """)

E0115 = _code("E0115", "repeat without parentheses", """
    A repeated layer or block is written with its parentheses: `* n` applies to a call.

        x -> DenseLayer * 6

    Write `x -> DenseLayer() * 6`.
    """)

E0116 = _code("E0116", "unbalanced brackets", """
    A `(` or `[` is still open where the statement or the body ends (the error points at the
    bracket, and a note at where the parser noticed), or a `)`, `]` or `}` closes nothing or the
    wrong kind of bracket.

        x -> conv2d(16, 3 -> relu

    Close it where its contents end: `x -> conv2d(16, 3) -> relu`; remove a closing bracket that
    closes nothing.
    """)

E0117 = _code("E0117", "statement ended by a line break", """
    A line break ends a statement, except inside brackets, after a token that cannot end one (`->`,
    `=`, `,`, an operator) and before a line that starts with `->` or an operator. Here the
    statement is incomplete where its line ends.

        output
            x -> relu

    Continue it on the same line (`output x -> relu`), or break the line after an operator or before
    a `->`.
    """)

E0118 = _code("E0118", "missing `,`", """
    Two items of an argument list or shape follow each other without a `,`.

        input x: [N 3 32 32]

    Separate them: `input x: [N, 3, 32, 32]`.
    """)

E0119 = _code("E0119", "a value spelt as in Python", """
    The literals are `true`, `false` and `None`; `True`, `False`, `none` or `null` are names, and
    none is defined.

        x -> conv2d(16, 3, bias=False)

    Write `bias=false`.
    """)

# ---------------------------------------------------------------- E02xx names and structure

E0201 = _code("E0201", "undefined name", """
    A name is used that no input, parameter, symbol or tensor defines.

        y = x -> relu
        output z

    Define it first, or fix the spelling (`output y`); the help suggests the nearest name.
    """)

E0202 = _code("E0202", "unknown layer or block", """
    A chain stage names neither a layer kind (`netdsl layers` lists them) nor a block visible in
    the file (defined there or imported).

        x -> conv2(16, 3)

    Fix the spelling (`conv2d`), import the block, or register a plugin kind (`--plugin`).
    """)

E0203 = _code("E0203", "name defined twice", """
    Names are defined once: a tensor, parameter, layer label, block or network name may not be
    reused in the same scope.

        y = x -> relu
        y = x -> tanh

    Choose another name for one of them.
    """)

E0204 = _code("E0204", "name not usable in Python", """
    Tensor and layer names become Python variables and attributes in generated code, so they may not
    be Python keywords, start with `_`, or be an attribute every `nn.Module` has (`forward`,
    `parameters`, `training`, ...).

        forward: linear(10)

    Rename it, e.g. `head: linear(10)`.
    """)

E0205 = _code("E0205", "definition without an output", """
    Every network and block returns a tensor: end a chain with `-> output`, or write `output <tensor>`.

        network Net() { input x: [N, 4]  y = x -> linear(2) }

    Add `output y`.
    """)

E0206 = _code("E0206", "more than one output", """
    A network or block returns one tensor. Two `output` statements (or `-> output` twice) are refused.

        a -> output
        b -> output

    Combine the tensors (`concat(a, b, dim=1) -> output`), or return the one you mean.
    """)

E0207 = _code("E0207", "unknown parameter type", """
    Parameters are typed `int`, `float`, `bool` or `str`.

        block Head(classes: integer) { ... }

    Write `classes: int`.
    """)

E0208 = _code("E0208", "block uses itself", """
    A block cannot contain itself, directly or through other blocks: its expansion would never end.

        block A() { input x  x -> B() -> output }
        block B() { input x  x -> A() -> output }

    Repeat a block with `* n` instead of recursion.
    """)

E0209 = _code("E0209", "`-p` names an unknown parameter", """
    `-p NAME=VALUE` overrides a network parameter; the network has no parameter NAME.

        netdsl check lenet.net -p clases=100

    Use one of the parameters in the network's header (`-p classes=100`).
    """)

E0210 = _code("E0210", "import leaves the spec's directory", """
    Imports stay inside the directory of the importing spec (and below it), so that checking a spec
    never reads unrelated files.

        from "../shared/blocks.net" import Residual

    Move the file beside or below the spec, or pass `--allow-outside-imports`.
    """)

E0211 = _code("E0211", "import cycle", """
    Files import each other in a circle.

        # a.net
        import "b.net"
        # b.net
        import "a.net"

    Move the shared blocks into a third file that both import.
    """)

E0212 = _code("E0212", "no such network", """
    `-n NAME` picks a network, and the file defines none of that name.

        netdsl check specs/lenet.net -n LeNet5

    Use one of the networks the file defines (the help lists them).
    """)

E0213 = _code("E0213", "blocks nested too deeply", """
    Block calls nest more than 32 deep. Each level costs stack in every stage; real networks nest a
    few levels.

    Flatten the hierarchy: call the innermost blocks side by side.
    """)

E0214 = _code("E0214", "name used before it is defined", """
    Statements run in order; a tensor is used on a line above the one that defines it.

        y = h -> relu
        h = x -> linear(10)

    Move the definition above its first use.
    """)

E0215 = _code("E0215", "imported file does not define the name", """
    `from "file.net" import Name` names a block the file does not define.

        from "residual.net" import BasicBlok

    Fix the spelling; the help suggests the nearest name the file defines.
    """)

E0216 = _code("E0216", "tensor used as a layer", """
    A chain stage must be a layer or a block; a tensor name cannot be applied to another tensor.

        y = x -> skip

    Combine tensors with operators or ops instead: `y = x + skip`, `concat(x, skip, dim=1)`.
    """)

E0217 = _code("E0217", "network used as a block", """
    Networks are the top level; only blocks can be used as layers inside other definitions.

        network Encoder() { ... }
        network Net() { input x: [N, 3, 32, 32]  x -> Encoder() -> output }

    Declare the reusable part with `block Encoder(...)`.
    """)

E0218 = _code("E0218", "imported file cannot be read", """
    An imported file does not exist, is not a regular file, is too large, or is not a UTF-8 spec.

        import "blocks.net"

    Check the path (it is relative to the importing spec).
    """)

# ---------------------------------------------------------------- E03xx arguments and values

E0230 = _code("E0230", "unknown initialiser", """
    A parameter or buffer is initialised by a name netdsl does not know. The initialisers are
    `zeros`, `ones`, `constant(val)`, `normal(mean, std)`, `uniform(a, b)`,
    `trunc_normal(mean, std, a, b)`, `xavier_uniform(gain)`, `xavier_normal(gain)`,
    `kaiming_uniform(a, mode, nonlinearity)` and `kaiming_normal(a, mode, nonlinearity)`, as in
    `torch.nn.init`.

        param W: [64, 10] = kaiming(a=0.1)

    Use one of them: `param W: [64, 10] = kaiming_uniform(a=0.1)`.
    """)

E0231 = _code("E0231", "parameter or buffer declared without a shape", """
    A `param` or `buffer` declaration needs a shape: its sizes are numbers, the block's parameters or
    the symbols of the block's input pattern. The initialiser may be left out (a parameter is then
    `normal`, `torch.randn`; a buffer `zeros`), but when written it is a name or a call.

        param b

    Give the shape: `param b: [10]`, or `param b: [10] = zeros`.
    """)

E0232 = _code("E0232", "reused layer given arguments", """
    A layer's label applies that same layer again (its module, with its weights), so its arguments
    are the ones it was defined with; new ones cannot be given at a later use.

        a -> enc: linear(64)
        b -> enc(32)

    Write `b -> enc` to share the layer, or give the new layer its own name (`b -> linear(32)`).
    """)

E0301 = _code("E0301", "written size differs from the inferred one", """
    Sizes such as `in_channels`, `in_features`, `num_features`, `input_size` and `embed_dim` are read
    off the incoming tensor. Writing one anyway is allowed and checked; here it disagrees.

        x -> flatten -> linear(120, in_features=400)     # the flatten gives 576 features

    Drop the written size (it is inferred), or correct it; the fix does either.
    """)

E0302 = _code("E0302", "size not divisible", """
    An argument must divide a size: `groups` the channel counts (convolutions, `channel_shuffle`),
    `num_groups` the channels, `num_heads` the embedding size, the pixel-shuffle factor the channels or
    spatial sizes, the key/value heads the query heads (`enable_gqa`); `glu` halves a dim of even size.

        x -> conv2d(64, 3, groups=3)     # x has 32 channels

    Choose a value that divides both sizes (the help lists some).
    """)

E0303 = _code("E0303", "padding='same' with a stride", """
    PyTorch supports `padding='same'` only for stride 1.

        x -> conv2d(64, 3, stride=2, padding='same')

    Use stride 1, or an explicit padding such as `padding=1`.
    """)

E0304 = _code("E0304", "output_padding too large", """
    A transposed convolution's `output_padding` must be smaller than its stride or its dilation.

        x -> conv_transpose2d(64, 3, stride=2, output_padding=2)

    Use `output_padding=1`.
    """)

E0305 = _code("E0305", "pooling padding larger than half the kernel", """
    PyTorch's pooling layers allow padding of at most half the kernel size.

        x -> maxpool2d(2, padding=2)

    Use `padding=1` or less.
    """)

E0306 = _code("E0306", "invalid size list", """
    `reshape`/`view` take positive sizes, symbols and at most one `-1`; `expand` positive sizes,
    symbols, and `-1` to keep one of the input's dims, one size per dim (new dims in front); `ones` and
    `zeros` positive sizes and symbols; `permute` takes dim indices.

        x -> reshape(N, -1, -1)

    Give every size but one.
    """)

E0307 = _code("E0307", "arguments that contradict each other", """
    Two arguments cannot both hold: `size` and `scale_factor` together, `align_corners` with a mode
    that does not interpolate, `proj_size` not below `hidden_size`, a `padding_idx` outside the
    embeddings, a tuple whose length is not the number of spatial dims, `hardtanh`'s `max_val` not above
    `min_val`, a padding `value` in a mode other than 'constant', attention's `is_causal` with an explicit
    mask (`scaled_dot_product_attention`) or without one (`multihead_attention`), `prod` keeping a dim
    it does not name.

        x -> upsample(size=64, scale_factor=2)

    Keep the one you mean.
    """)

E0308 = _code("E0308", "too few values to normalize", """
    A normalization layer needs more than one value per group or channel (PyTorch raises "expected
    more than 1 value per channel"); instance norm more than one spatial element per channel.

        x -> groupnorm(4)     # x is [1, 4]: one value per group

    Use fewer groups, or an input with more than one value per group.
    """)

E0310 = _code("E0310", "unknown argument", """
    A keyword argument names no argument of the layer (or no parameter of the block).

        x -> conv2d(16, kernal=3)

    Fix the spelling (`kernel=3`); the help suggests the nearest name.
    """)

E0311 = _code("E0311", "missing argument", """
    A required argument (or block parameter without a default) is not given; `clamp` needs `min`,
    `max` or both.

        x -> linear()

    Give it: `x -> linear(10)`.
    """)

E0312 = _code("E0312", "too many positional arguments", """
    More arguments are given by position than the layer or block takes.

        x -> linear(10, true, 5)

    Pass the extra ones by name, or remove them; the help lists the positional order.
    """)

E0313 = _code("E0313", "argument given twice", """
    An argument is given both by position and by name, or twice by name.

        x -> conv2d(16, 3, kernel_size=5)

    Give each argument once.
    """)

E0314 = _code("E0314", "invalid argument value", """
    An argument has the wrong type or lies outside its bounds: a float where an integer is expected,
    a negative size, a probability above 1, a string that is not one of the choices.

        x -> linear(channels / 3)

    Use a value of the expected type (`channels // 3`); the message says what is expected.
    """)

E0315 = _code("E0315", "a value where a tensor is expected", """
    A chain starts from, an output returns, or a name is assigned a number or string instead of a
    tensor.

        y = 3
        output 5

    Chains start from tensors (inputs or named results); values are passed as layer arguments.
    """)

E0316 = _code("E0316", "parameter of the wrong type", """
    A parameter declared `int`, `float`, `bool` or `str` gets a value of another type.

        block Head(classes: int) { ... }
        x -> Head(10.5)

    Pass a value of the declared type.
    """)

E0317 = _code("E0317", "arithmetic on values of the wrong type", """
    `+ - * / // %` combine numbers (and sizes), and tensors with numbers; a string or a boolean
    cannot take part.

        x -> linear('a' * 2)

    Use numbers.
    """)

E0318 = _code("E0318", "unpacked names do not match the tensors", """
    `a, b, c = ...` names as many tensors as the expression gives, nested as it gives them: `chunk`,
    `split` and `unbind` give several pieces; `rnn` and `gru` give (output, h_n) and `lstm` gives
    (output, (h_n, c_n)), as in PyTorch; every other layer gives one.

        q, k, v = x -> chunk(2, dim=-1)
        out, h = x -> lstm(64)              # the state is (h, c): `out, (h, c) = x -> lstm(64)`

    Unpack as many names as there are tensors, nested as they are (`_` for one not needed), or change
    the arguments.
    """)

E0319 = _code("E0319", "too much expanded work", """
    A network expands to more than the limits (200,000 layers, or 1,000,000 block calls and repeated
    stages in all), counting every repeat and block call. Repeat counts multiply when repeats nest.

        x -> (relu * 10000) * 10000

    Use smaller repeat counts.
    """)

E0320 = _code("E0320", "repeat count out of range", """
    `stage * n` repeats a stage; n is an integer from 0 to 10,000.

        x -> Block(64) * -1

    Use a count in range.
    """)

E0321 = _code("E0321", "invalid size in an input shape", """
    A size in an input shape is a positive integer, a symbol, or arithmetic on them.

        input x: [N, 0, 32]

    Use positive sizes.
    """)

E0322 = _code("E0322", "tensor passed as an argument", """
    Tensor inputs come first in a call; a tensor given by name or after other arguments cannot be an
    argument.

        y = concat(a, dim=1, b)

    Put tensors first: `concat(a, b, dim=1)`, or `a -> concat(b, dim=1)`.
    """)

E0323 = _code("E0323", "wrong number of tensor inputs", """
    A layer or block is given more or fewer tensors than it takes, or not grouped as it takes them: an
    LSTM's initial state is one argument, the pair `(h0, c0)`, as in PyTorch.

        y = linear(a, b, 10)
        out = lstm(x, h0, c0, 64)          # lstm(x, (h0, c0), 64)

    Give the number of tensors it takes, grouped as it takes them; combine tensors first if needed.
    """)

E0324 = _code("E0324", "`-p` integer too large", """
    A `-p` integer must fit in int64 (at most 2**63 - 1).

        netdsl check net.net -p width=99999999999999999999

    Use a smaller value.
    """)

E0325 = _code("E0325", "division by zero", """
    A parameter expression divides by zero.

        x -> linear(channels // 0)

    Divide by a non-zero number.
    """)

E0326 = _code("E0326", "integer overflow", """
    Integer arithmetic leaves int64 (sizes are int64 in PyTorch).

        x -> linear(2**62 * 4)

    Use smaller sizes.
    """)

E0327 = _code("E0327", "operator not defined on tensors", """
    Tensors support `+ - * /` (with broadcasting) and `@` (matrix product) between two tensors;
    `//` and `%` are not defined on tensors, and `@` needs two tensors.

        y = x // 2

    Use an op that does what you mean, e.g. `x / 2`.
    """)

E0328 = _code("E0328", "size arithmetic that cannot be expressed", """
    Sizes are integers: they add, subtract, multiply, and divide (`//`, `%`) by integers. Dividing a
    symbolic size by another symbol, by zero, or with `/` has no integer meaning.

        x -> reshape(N, H // W)

    Divide by an integer or a parameter with a value.
    """)

E0329 = _code("E0329", "arguments in PyTorch's order", """
    netdsl infers a layer's input size (`in_channels`, `in_features`, `embed_dim`, `input_size`) from the
    incoming tensor, so a call leaves it out: `conv2d(out_channels, kernel_size, ...)`. Written in
    PyTorch's order, with the inferred size first, the arguments shift by one place and do not fit.

        x -> linear(1024, 10)          # x is [N, 1024]: reads out_features=1024, bias=10

    Drop the inferred size: `linear(10)` (the fix does).
    """)

E0330 = _code("E0330", "a `where` condition that does not compare sizes", """
    A `where` clause states which input sizes a network or block is meant for; each condition compares
    sizes: the symbols of the input shapes, parameters and numbers, with `+ - * // %`.

        input x: [N, C, H, W] where x > 0          # x is a tensor, not a size

    Compare sizes: `where H % 16 == 0, W >= 32`.
    """)

# ---------------------------------------------------------------- E04xx shapes

E0340 = _code("E0340", "initialiser needs more dims", """
    `xavier_*` and `kaiming_*` compute fan in and fan out from the first two dims, so PyTorch
    raises "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions" for a
    vector or a scalar.

        param b: [64] = xavier_uniform

    Use an initialiser without fans for a bias or a scale: `zeros`, `ones`, `normal(0, 0.02)` or
    `uniform(-0.1, 0.1)`.
    """)

E0341 = _code("E0341", "weight that cannot be tied", """
    `tie=label` makes a layer use the weight of the layer labelled `label` (as
    `self.head.weight = self.embed.weight`). The layer must have a tieable weight (`linear`,
    `embedding`), and the labelled layer a weight of the same name.

        x -> embed: embedding(1000, 64) -> ...
        h -> conv1d(1000, 1, tie=embed)

    Tie layers that hold a `weight` of the same shape: `h -> linear(1000, bias=false, tie=embed)`.
    """)

E0342 = _code("E0342", "initialiser stage that is not a stateless op", """
    The stages after a parameter's or buffer's initialiser run once, when the module is built
    (`buffer mask: [T, T] = ones -> tril`). They must be tensor ops without weights of their own, use
    only the initialised tensor, and keep the declared shape.

        buffer mask: [8, 8] = ones -> linear(8)

    Apply only tensor functions (`tril`, `triu`, `transpose`: kinds that generated code writes as a
    torch function, not a module), and declare the shape the result has.
    """)

# Structure decided at spec time: conditionals and loops (docs/language.md).

E0350 = _code("E0350", "condition that cannot be decided when the spec is checked", """
    `if` and `a if test else b` choose a network's structure when the spec is checked, so their test
    must have an answer then. A size that stays a symbol until the network runs (a network input's
    `N`, `H` or `C`) has none: `C == 64` holds for some inputs only.

        network Net() {
            input x: [N, C, 32, 32]
            x -> if C == 64 { relu } -> output
        }

    Give the size a number in the input's shape (`[N, 64, 32, 32]`), fix it with `--input C=64`, or
    test a parameter instead.
    """)

E0351 = _code("E0351", "condition that is not true or false", """
    The test of `if`, `a if test else b`, and the operands of `and`, `or` and `not` are `true` or
    `false`: a comparison, or a `bool` parameter. A number is not a condition, and a tensor cannot
    decide structure when the spec is checked.

        x -> if stride { maxpool2d(2) }

    Compare: `if stride != 1 { ... }`.
    """)

E0352 = _code("E0352", "`for` over something that is not a tuple", """
    `-> for t, c in table { ... }` repeats stages once per item of a tuple: a configuration table
    given as a tuple of tuples, a tuple literal, or `range(n)`.

        block Stage(widths: int) {
            input x
            x -> for w in widths { linear(w) } -> output
        }

    Give a tuple (`widths: tuple = (64, 128)`), or loop over `range(n)`.
    """)

E0353 = _code("E0353", "item of a `for` loop of the wrong length", """
    `for t, c, n, s in config` unpacks each item of `config` into four names, so every item must be a
    tuple of four values.

        config: tuple = ((1, 16, 1, 1), (6, 24, 2))

    Give every row the same number of values as the names the loop unpacks.
    """)

E0354 = _code("E0354", "`and`, `or` or `not` on tensors", """
    `and`, `or` and `not` decide structure when the spec is checked, between `true` and `false`; on a
    tensor they have no meaning then (in PyTorch, `bool()` of a tensor with several elements raises).

        mask = x > 0 and x < 1

    For an element-wise test, compare and combine the masks with `where` or multiply them:
    `(x > 0) * (x < 1)`.
    """)

E0401 = _code("E0401", "shape error", """
    A layer kind rejected its input shape (the default code of plugin kinds, which raise
    `ShapeError` without a code of their own).

    The message says what the kind expects.
    """)

E0402 = _code("E0402", "dimension out of range", """
    A dim index lies outside the tensor's rank, repeats, or a range of dims is reversed.

        x -> softmax(dim=2)      # x is [N, 10]

    Use a dim between -rank and rank - 1.
    """)

E0403 = _code("E0403", "shapes do not broadcast", """
    Element-wise arithmetic lines shapes up from the right; each pair of sizes must be equal or one
    of them 1.

        y = a + b      # [N, 64, 32, 32] and [N, 32, 32, 32]

    Make the sizes agree (e.g. project one side with a 1×1 convolution), or reshape to broadcast.
    """)

E0404 = _code("E0404", "input of the wrong rank", """
    A layer accepts inputs of certain ranks only: conv2d 3-D or 4-D, batchnorm2d 4-D, linear at
    least 1-D, concat tensors of one rank.

        x -> flatten -> conv2d(16, 3)

    Reshape or unflatten the input, or use the layer of the right dimensionality.
    """)

E0405 = _code("E0405", "a size that weights depend on is symbolic", """
    A layer's parameters depend on this size (channels, features), so it must be a number, not a
    symbol of the input shape.

        input x: [N, C, 32, 32]
        x -> conv2d(16, 3)

    Give the input a fixed channel count (`[N, 3, 32, 32]`), or make the spec a block whose callers
    fix it.
    """)

E0406 = _code("E0406", "window does not fit the input", """
    A kernel or pooling window is larger than the (padded) input, the output would be empty, the
    padding mode needs more input than there is (reflect: padding smaller than the size; circular: at
    most the size), or `center_crop` would crop a tensor to a larger size.

        x -> maxpool2d(4)    # x is [N, 8, 2, 2]

    Use a smaller window, more padding, or a larger input.
    """)

E0407 = _code("E0407", "reshape changes the number of elements", """
    `reshape`/`view` keep the number of elements; the target sizes multiply to another number (or a
    `-1` cannot divide it).

        x -> reshape(N, 100)     # x is [N, 16, 5, 6]: 480 elements

    Use sizes whose product is the input's, or `-1` for one of them.
    """)

E0408 = _code("E0408", "block input does not match its pattern", """
    A block declares its input's shape (`input x: [N, channels, H, W]`); the tensor passed has
    another rank, or a size that contradicts a bound symbol.

        block Res(channels: int) { input x: [N, channels, H, W] ... }
        x -> Res(64)      # x has 32 channels

    Pass a matching tensor, or change the block's arguments.
    """)

E0409 = _code("E0409", "network input without a shape", """
    A network's inputs are where shapes start, so each needs one.

        input x

    Declare it: `input x: [N, 3, 224, 224]`.
    """)

E0410 = _code("E0410", "tensors joined with different sizes", """
    `concat` needs equal sizes outside the joined dim, `stack` equal shapes.

        output concat(u, skip, dim=1)    # [N, 64, 64, 64] and [N, 64, 32, 32]

    Make the other dims agree; the notes show where each tensor's shape came from.
    """)

E0411 = _code("E0411", "matrix product with mismatched dims", """
    `a @ b` multiplies (..., n, k) by (..., k, m): the last dim of the first must equal the
    second-to-last of the second.

        scores = q @ k     # [N, L, 64] and [N, L, 64]

    Transpose the second operand: `q @ (k -> transpose(-2, -1))`.
    """)

E0412 = _code("E0412", "split sections do not add up", """
    `split` with a tuple of sections needs them to add up to the size of the split dim.

        a, b = x -> split((64, 32), dim=1)    # dim 1 has 128

    Make the sections add up (`(64, 64)`).
    """)

E0413 = _code("E0413", "attention inputs of different lengths or batches", """
    Attention needs keys and values of one sequence length, queries and keys of one feature size
    (`scaled_dot_product_attention`), query, key and value of one batch size, and masks of the shapes
    torch documents (`multihead_attention`: attn_mask [L, S] or [N·num_heads, L, S], key_padding_mask
    [N, S]).

        multihead_attention(q, k, v, 8)   # k is [L, N, E], v is [S, N, E]

    Pass key and value of the same length; for [N, L, E] layouts use `batch_first=true`.
    """)

E0414 = _code("E0414", "index out of range", """
    An index along a dim lies outside its size (or outside the pieces of a split), or a `narrow` runs
    past the end of the dim.

        x -> select(1, 10)      # dim 1 has size 4

    Use an index from -size to size - 1.
    """)

E0415 = _code("E0415", "several tensors not unpacked", """
    `chunk`, `split` and `unbind` give several tensors; a spec names each (`a, b = ...`) or takes one
    with `index=`.

        y = x -> chunk(2, dim=1)

    Write `a, b = x -> chunk(2, dim=1)`, or `chunk(2, dim=1, index=0)`.
    """)

E0416 = _code("E0416", "no input size satisfies the network", """
    The layers' requirements on a symbolic input size contradict each other: no size is accepted.

        input x: [N, 3, H]
        a = x -> conv1d(8, 3, stride=2)          # needs H odd to match b
        b = x -> maxpool1d(2) -> conv1d(8, 1)
        c = x -> maxpool1d(2, padding=1)         # needs H even to match a
        output concat(a, b, c, dim=1)

    The notes name each layer and what it needs; change the one that is not meant.
    """)

E0418 = _code("E0418", "`--input` names an unknown size", """
    `--input NAME=VALUE` fixes a symbol of the network's input shapes; the inputs have no such symbol.

        netdsl check lenet.net --input H=32          # LeNet's input is [N, 1, 32, 32]

    Use a symbol the input shapes declare (the help lists them).
    """)

E0419 = _code("E0419", "the rank depends on a symbolic size", """
    `squeeze` without a dim removes every dim of size 1, so a symbolic size (the batch N, say) would be
    removed when it is 1 and the rank would change with the size. netdsl gives the shape for sizes of
    at least 2 and states that requirement; at size 1 it is this error.

        input x: [N, 1, 10]
        x -> squeeze -> linear(4)           # with N = 1, squeeze removes N too

    Name the dims to squeeze: `squeeze(dim=1)`.
    """)

E0420 = _code("E0420", "a result with no elements", """
    A slice, `narrow`, `arange`, `ones` or `zeros` would give a dim of size 0. PyTorch returns an empty
    tensor, but every layer after it would compute nothing, so netdsl treats it as the mistake it
    almost always is: every size is at least 1.

        input x: [N, 8]
        x -> getitem(((None, None, None), (6, 2, None)))      # x[:, 6:2]: selects nothing

    Check the bounds (negative ones count from the end of the dim: `x[:, 2:-2]`).
    """)

E0421 = _code("E0421", "the input sizes do not satisfy the `where` clause", """
    A `where` condition is false: for every size (`where 8 > 16`, or conditions that contradict each
    other), or for the sizes given with `--input`.

        input x: [N, 3, H, W] where H % 16 == 0
        $ netdsl check unet.net --input H=200      # 200 is not a multiple of 16

    Give sizes that satisfy the clause (`--input H=208`), or correct the condition.
    """)

E0422 = _code("E0422", "the network fails for a size its `where` clause allows", """
    A network's `where` clause says which input sizes it is meant for, and netdsl proves that the
    network is well-formed for every one of them. This error gives the smallest size the clause allows
    that breaks a layer, the layer, and what the network accepts instead.

        input x: [N, 3, H, W] where H % 4 == 0
        ...three 2×2 poolings and a concat with a skip...    # needs H a multiple of 8

    Narrow the clause to what the network accepts (`where H % 8 == 0`), or change the layer that breaks.
    """)

E0423 = _code("E0423", "a block's `where` clause does not hold at a call", """
    A block's `where` clause is a requirement on the tensors it is called with. At this call the sizes
    break it (for sizes that are symbols of the network's input, it is a requirement on them instead,
    stated in what the network accepts).

        block Down(out: int) {
            input x: [N, C, H, W] where H % 2 == 0
            ...
        }
        x -> Down(8)        # x is [N, 3, 31, 31]

    Pass a tensor whose sizes satisfy the clause (pad or crop it), or relax the block's clause.
    """)

E0424 = _code("E0424", "recurrent initial state of the wrong shape", """
    An initial state given to `rnn`, `gru` or `lstm` (`h_0`, and `c_0` for an LSTM) must have exactly
    the shape of the state the layer returns: [num_layers × directions, N, features] for a batched
    input, [num_layers × directions, features] for an unbatched one. The batch is its second dim even
    with `batch_first=true`; features is hidden_size (proj_size for an LSTM's h_0 when it projects).

        input x: [N, 7, 32]
        input h0: [1, N, 64]
        out = gru(x, h0, 64, num_layers=2, batch_first=true)    # h0 needs 2 layers: [2, N, 64]

    Give h0 one state per layer and direction, or change num_layers or bidirectional.
    """)

E0425 = _code("E0425", "a size beyond what PyTorch computes", """
    A tensor, window or size is larger than PyTorch can compute with: a tensor holds at most 2**60 - 1
    elements (its storage is sized in bytes as a 64-bit integer), size arithmetic is 64-bit, and the
    windows of convolution and pooling kernels are 32-bit (README, "Robustness").

        x -> maxpool1d(2**40)

    Use smaller sizes, kernels, strides, padding or dilation.
    """)

E0426 = _code("E0426", "a tensor of a dtype the layer does not take", """
    Each value holds floating-point numbers, integers or booleans, and a layer takes only some of these:
    activations, convolutions, linear layers and norms compute on floating-point numbers, an embedding
    looks up integer ids, `where` and `masked_fill` select by a boolean mask. `argmax`, `argmin` give
    integer indices, comparisons (`>`, `eq`, ...) boolean masks, `ones(..., dtype='int64')` what its dtype
    says. Floating-point numbers are those of the module's precision (float32): a tensor cast to float64,
    float16 or bfloat16 goes only into layers that do not compute on it (shape ops, comparisons, `to`),
    since a layer's float32 weights refuse it. A network's inputs may hold anything: the caller decides.

        y = x -> argmax(1) -> logsigmoid

    Convert the tensor first: `x -> argmax(1) -> to('float32') -> logsigmoid` (`to` takes `float32`,
    `float64`, `float16`, `bfloat16`, `int64`, `int32` or `bool`).
    """)

# ---------------------------------------------------------------- W01xx warnings

E0430 = _code("E0430", "shared layer applied to inputs it was not built for", """
    A labelled layer or block used again (`b -> enc`) is the same module with the same weights, so
    every input it is applied to must fit the weights it was built with at its definition.

        ea = a -> enc: linear(64)        # a is [N, 128]
        eb = b -> enc                    # b is [N, 32]

    Apply it to inputs of the same size, or give the second use its own layer (`b -> linear(64)`).
    """)

E0431 = _code("E0431", "tied weights of different shapes", """
    `tie=label` shares one weight tensor between two layers, so both must expect the same shape:
    a `linear(out)`'s weight is [out, in], an `embedding(num, dim)`'s is [num, dim].

        x -> embed: embedding(1000, 64) -> ...
        h -> linear(1000, tie=embed)     # h is [N, L, 128]: weight [1000, 128]

    Make the linear's input width equal the embedding dim (64 here), or drop `tie=`.
    """)

W0101 = _code("W0101", "tensor never used", """
    A named tensor is computed and never used.

        h = x -> linear(10)
        x -> linear(5) -> output

    Use it, or remove the statement.
    """)

W0102 = _code("W0102", "chain result never used", """
    A chain's result is neither named nor returned, so nothing uses it.

        x -> linear(10)

    Assign it (`h = x -> ...`) or end it with `-> output`.
    """)

W0103 = _code("W0103", "dead branch", """
    A named tensor feeds only layers whose results never reach the output.

    Connect the branch to the output, or remove it.
    """)

W0104 = _code("W0104", "activation or dropout after the classifier", """
    `relu` (or another clipping activation) or dropout is the very last layer after a network's final
    `linear`: losses such as cross entropy take raw logits. Softmax, sigmoid and tanh outputs are
    deliberate and left alone.

        x -> flatten -> linear(10) -> relu -> output

    End the network with the `linear`.
    """)

W0105 = _code("W0105", "same activation twice in a row", """
    The second of two identical activations does nothing (relu) or squashes twice (sigmoid).

        x -> relu -> relu

    Remove one of them.
    """)

W0106 = _code("W0106", "pooling to one position misses input", """
    A pooling right before `flatten` reduces a spatial dim to 1 with a window that does not cover the
    input: part of the feature map is never read.

        x -> maxpool2d(2) -> flatten     # x is [N, C, 3, 3]

    For global pooling use `adaptive_avg_pool2d(1)`, or a kernel as large as the input.
    """)


W0107 = _code("W0107", "accepted sizes could not be determined", """
    netdsl could not work out exactly which sizes of a symbolic input dim the network accepts: two
    symbols meet other than by an equality (a product H*W compared with another size, a transpose that
    mixes them), or a float scale factor that is not a small exact fraction. Nothing is claimed about
    these sizes; checking with fixed sizes (`--input H=224`) gives an exact answer for them.
    """)

W0108 = _code("W0108", "call that reads like PyTorch's argument order", """
    The first positional argument is the size netdsl infers from the input, the call fits PyTorch's
    order (the inferred size first), and in netdsl's order it puts a channel-like number (16 or more)
    where a small argument such as a kernel size goes: almost always PyTorch's habit.

        x -> conv2d(3, 64, 3)          # x has 3 channels: reads out_channels=3, kernel_size=64, stride=3

    Drop the inferred size (`conv2d(64, 3)`); if the call means what netdsl reads, write that argument
    by keyword (`conv2d(3, kernel_size=64, stride=3)`) and the warning goes.
    """)

W0109 = _code("W0109", "linear over the last dim of a convolution's output", """
    `linear` works on the last dim. On a convolution's [N, C, H, W] output that is W, so the layer mixes
    pixels of one row, not channels — and the mistake surfaces layers later at a merge.

        x -> conv2d(16, 3) -> linear(10)

    Flatten first (`-> flatten -> linear(10)`), pool (`-> adaptive_avg_pool2d(1) -> flatten`), or move
    the channels last (`-> permute(0, 2, 3, 1) -> linear(10)`) if a per-pixel linear layer is meant.
    """)

W0111 = _code("W0111", "a parameter that fixes the batch to 1", """
    A parameter with a dim of size 1 (a class token `[1, 1, dim]`) meets a batch of inputs in a layer
    that does not broadcast, such as `cat`: the network then accepts a batch of 1 only, and PyTorch
    raises for any other ("Sizes of tensors must match except in dimension 1").

        param cls: [1, 1, 64] = zeros
        tokens = cat(cls, patches, dim=1)          # patches is [N, 64, 64]

    Expand the parameter over the batch first, as ViT does: `cat(cls -> expand(N, -1, -1), patches,
    dim=1)` (a view, no copy: the parameter is still one tensor).
    """)

W0110 = _code("W0110", "a `where` clause that could not be proved", """
    netdsl proves a network's `where` clause by solving it together with what every layer needs of the
    input sizes. A condition that relates several sizes other than by equality (`where H >= W`,
    `where H * W <= 4096`), or sizes that are not floor-affine, cannot be solved that way: the sizes it
    concerns are then neither proved nor refuted.

        input x: [N, 3, H, W] where H >= W

    Fix the sizes with `--input` to check them exactly, or state the clause per size (`where H >= 32,
    W >= 32`).
    """)


# ---------------------------------------------------------------- W09xx about netdsl's own comments

W0901 = _code("W0901", "suppression comment that suppresses nothing", """
    A `# netdsl: ignore[CODE]` comment silences the listed warnings on its line; this one silenced
    none (the warning is gone, or the code is misspelt), so it would hide a future warning for no reason.

        x -> linear(10) -> output    # netdsl: ignore[W0104]

    Remove the comment (the fix does), or correct its code.
    """)


def lookup(code: str) -> Code | None:
    return CATALOGUE.get(code.strip().upper())


def explain(code: Code) -> str:
    """What `netdsl explain CODE` prints."""
    return f"{code.code}: {code.title} ({code.severity.value})\n\n{code.explanation}\n"


def markdown() -> str:
    """docs/codes.md: every code with its explanation (generated; a test keeps it current)."""
    parts = ["# Diagnostic codes", "",
             "Generated from `netdsl/codes.py` by `python -m netdsl explain --all`; `netdsl explain CODE` prints one.",
             "E01xx syntax, E02xx names and structure, E03xx arguments and values, E04xx shapes, W01xx warnings.", ""]
    for entry in CATALOGUE.values():
        parts += [f'<a id="{entry.code.lower()}"></a>', "", f"## {entry.code}: {entry.title}", "",
                  f"*{entry.severity.value}*", "", entry.explanation, ""]
    if RETIRED:
        parts += ["## Retired codes", ""] + [f"- {c}: {why}" for c, why in RETIRED.items()] + [""]
    return "\n".join(parts)
