"""Lowering of parameters and buffers (`param W: [C, out] = normal(0, 0.02)`, `buffer mask: [L, L] = ones
-> tril`): methods of the lowerer (netdsl.lower), kept apart so that each module does one job."""

from __future__ import annotations

from typing import Any

from . import codes, registry
from . import syntax as ast
from .arguments import bind, validate
from .diagnostics import Note
from .ir import Graph, Input, Learnable, Node
from .scopes import POISON, Binding, Naming, Scope, Tensor
from .shapes import format_shape


class LearnablesLowering:
    def learnable(self, scope: Scope, decl: ast.Learnable) -> None:
        """`param W: [C, out] = normal(0, 0.02)`: a node with no inputs whose value is the module's tensor."""
        resolution = self.resolution(scope.definition)
        shape = self.learnable_shape(scope, decl) if id(decl) not in resolution.reported else None
        init = self.initializer(scope, decl, shape) if shape is not None else None
        stages = self.init_stages(scope, decl, shape) if init is not None and decl.stages else None
        if id(decl.name) in resolution.reported:   # a duplicate keeps the first; an invalid name is unknown
            scope.env.setdefault(decl.name.name, Binding(POISON, decl.name.span, "tensor"))
            return
        name = decl.name.name
        if init is None or stages is POISON:
            scope.env[name] = Binding(POISON, decl.name.span, "tensor")
            return
        (initializer, args), spans = init
        scope.naming.use(name)
        scope.nodes.append(Node(name, "buffer" if decl.buffer else "parameter", args, (), decl.span, spans,
                                repeat=scope.repeat,
                                learnable=Learnable(decl.buffer, shape, initializer.name, stages)))
        scope.env[name] = Binding(Tensor(name), decl.name.span, "tensor")

    def learnable_shape(self, scope: Scope, decl: ast.Learnable) -> tuple | None:
        dims = []
        for dim in decl.shape.dims:
            value = self.shape_size(scope, dim)
            if value is POISON:
                return None
            dims.append(value)
        return tuple(dims)

    def initializer(self, scope: Scope, decl: ast.Learnable, shape: tuple):
        """((the initialiser, its validated arguments), their spans), or None after reporting why."""
        # (imported for a param or buffer only: no part of most checks)
        from .initializers import INITIALIZERS, default
        call = decl.init if isinstance(decl.init, ast.Call) else None
        initializer = default(decl.buffer) if decl.init is None else INITIALIZERS[call.func.name if call else decl.init.name]
        positional, keywords = [], []
        for arg in call.args if call else ():
            value = self.expression(scope, arg.value)
            if value is POISON:
                return None
            if arg.name is None:
                positional.append((value, arg.span))
            else:
                keywords.append((arg.name.name, arg.name.span, value, arg.span))
        span = decl.span if decl.init is None else decl.init.span
        bound = bind(initializer.signature, positional, keywords, span)
        args, errors = (None, bound.errors) if bound.errors else validate(initializer.signature, bound.values,
                                                                          bound.spans, span)
        for error in errors:
            self.error(error)
        if args is None:
            return None
        if len(shape) < initializer.min_dims:
            noun = "buffer" if decl.buffer else "parameter"
            self.diagnostics.error(
                codes.E0340, f"`{initializer.name}` needs a tensor of at least {initializer.min_dims} dims to compute "
                f"fan in and fan out, but {noun} `{decl.name.name}` is {format_shape(shape)}", decl.init.span,
                notes=(Note(f"`{decl.name.name}` is declared {len(shape)}-D here", decl.shape.span),
                       Note("PyTorch raises: Fan in and fan out can not be computed for tensor with fewer than 2 "
                            "dimensions")),
                help="use `zeros`, `ones`, `normal(mean, std)` or `uniform(a, b)` for a vector or a scalar")
            return None
        return (initializer, args), dict(bound.spans)

    def init_stages(self, scope: Scope, decl: ast.Learnable, shape: tuple) -> Graph | Any:
        """The stages after an initialiser (`ones -> tril`), as a graph over one input, `init`: stateless
        tensor ops of that tensor alone, which code generation applies once, in `__init__`."""
        inner = Scope(scope.definition, Naming(set()), env=dict(scope.env))
        inner.inputs.append(Input("init", shape, decl.init.span))
        value: Any = Tensor("init")
        for stage in decl.stages:
            value = self.stage(inner, stage, value, None)
        if not isinstance(value, Tensor):
            return POISON
        made = {"init"}
        for node in inner.nodes:
            kind = registry.lookup(node.kind) if node.is_layer else None
            outside = next((i for i in node.inputs if i not in made), None)
            made.add(node.name)
            if kind is not None and kind.functional is not None and outside is None:
                continue
            what = f"uses `{outside}`, a tensor of the forward pass" if kind is not None and kind.functional \
                else "is a block" if node.block is not None else f"is a module ({kind.module})"
            self.diagnostics.error(codes.E0342, f"`{node.kind}` {what}: the stages after an initialiser are "
                                   "tensor functions of the initialised tensor alone", node.span,
                                   help="apply tensor functions such as `tril`, `triu` or `transpose`; a module "
                                        "belongs in forward")
            return POISON
        inner.output = value.ref
        return Graph(decl.name.name, "block", {}, tuple(inner.inputs), tuple(inner.nodes), value.ref, decl.span)
