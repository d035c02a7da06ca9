"""The plugin API: everything a layer kind declared outside netdsl needs, in one import.

    from netdsl.plugin import POSITIVE, Bool, Field, Inferred, LayerKind, Schema, ShapeError, register

A kind is plain data (netdsl.kinds.LayerKind); `register` adds it to the one registry every stage
reads. Sizes may be symbolic (netdsl.sizes): write rules with Python operators and state what must
hold with `require(at_least(a, b), lambda: ShapeError(...))`.
"""

from .codes import CATALOGUE as CODES
from .kinds import CannotImport, CannotUnpack, Inferred, LayerKind, Recognise, Role, TensorArg
from .registry import register
from .schema import (
    INT,
    NON_NEGATIVE,
    POSITIVE,
    PROBABILITY,
    Anything,
    Bool,
    Choice,
    Either,
    Field,
    Float,
    Int,
    Schema,
    Text,
    Tuple,
    one_or_tuple,
    optional,
)
from .shapes import (
    ShapeError,
    divides,
    expand,
    fixed_size,
    format_shape,
    normalize_dim,
    numel,
    require,
)
from .sizes import at_least, compare, format_size

__all__ = ["CODES", "INT", "NON_NEGATIVE", "POSITIVE", "PROBABILITY", "Anything", "Bool", "CannotImport", "CannotUnpack",
           "Choice", "Either", "Field", "Float", "Inferred", "Int", "LayerKind", "Recognise", "Role", "Schema", "ShapeError",
           "TensorArg", "Text", "Tuple",
           "at_least", "compare", "divides", "expand", "fixed_size", "format_shape", "format_size", "normalize_dim",
           "numel", "one_or_tuple", "optional", "register", "require"]
