"""netdsl handles paths as strings with os.path (pathlib is no part of a check's start-up): the paths it
shows — an imported file's name in diagnostics, a file's name in messages — are written as pathlib writes
them, and a spec's imports resolve and stay inside its directory as before."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import netdsl
from netdsl.program import beside, path_text

PIECE = st.lists(st.sampled_from(["", ".", "..", "a", "b.net", "/"]), max_size=6).map("".join)


@given(PIECE, st.lists(PIECE, max_size=3))
def test_path_text_is_what_pathlib_writes(path, more):
    assert path_text(path, *more) == str(Path(path, *more))


@given(PIECE, PIECE.filter(bool))
def test_an_import_is_shown_beside_the_file_that_imports_it(path, relative):
    assert beside(path, relative) == str(Path(path).parent / relative)


def test_an_imported_file_is_named_as_written_beside_its_importer(tmp_path):
    (tmp_path / "blocks").mkdir()
    (tmp_path / "blocks" / "stem.net").write_text(
        "block Stem() {\n    input x: [N, C]\n    output x -> linear(0)\n}\n", encoding="utf-8")
    spec = tmp_path / "model.net"
    spec.write_text('from "./blocks//stem.net" import Stem\nnetwork M() {\n    input x: [N, 4]\n'
                    '    output x -> Stem()\n}\n', encoding="utf-8")
    analysis = netdsl.check_file(str(spec))
    (error,) = [d for d in analysis.diagnostics.items if d.span.source.path != str(spec)]
    assert error.span.source.path == str(tmp_path / "blocks" / "stem.net")


def test_a_symlink_loop_in_an_import_is_an_import_error(tmp_path):
    (tmp_path / "loop1.net").symlink_to(tmp_path / "loop2.net")
    (tmp_path / "loop2.net").symlink_to(tmp_path / "loop1.net")
    analysis = netdsl.check_text('from "loop1.net" import Stem\nnetwork M() {\n    input x: [N, 4]\n'
                                 '    output x -> relu\n}\n', base_dir=tmp_path)
    assert [(d.code, d.message) for d in analysis.diagnostics.items] == [
        ("E0218", 'cannot import "loop1.net": cannot read: Too many levels of symbolic links')]
