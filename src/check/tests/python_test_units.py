"""litmus: a generated Python test file as separate units (parsing only; the code is never run here).

A generation cut off mid-statement keeps the statements before the cut. A `test_*` function without arguments
whose body is asserts becomes those asserts, each a test of its own, so one wrong assert costs only itself.
`if __name__ == "__main__":` blocks are dropped. Writes the units' sources, in order, as JSON.
"""

import ast as _ast
import json as _json


def _litmus_main_guard(node):
    return (
        isinstance(node, _ast.If)
        and isinstance(node.test, _ast.Compare)
        and isinstance(node.test.left, _ast.Name)
        and node.test.left.id == "__name__"
    )


def _litmus_only_asserts(node):
    body = node.body
    if body and isinstance(body[0], _ast.Expr) and isinstance(body[0].value, _ast.Constant):
        body = body[1:]  # a docstring
    return bool(body) and all(isinstance(statement, _ast.Assert) for statement in body)


def _litmus_test_units(source, out_path):
    lines = source.split("\n")
    tree = None
    for end in range(len(lines), 0, -1):
        try:
            tree = _ast.parse("\n".join(lines[:end]))
            break
        except SyntaxError:
            continue
    units = []
    for node in tree.body if tree is not None else []:
        if _litmus_main_guard(node):
            continue
        if (
            isinstance(node, _ast.FunctionDef)
            and node.name.startswith("test_")
            and not node.args.args
            and not node.decorator_list
            and _litmus_only_asserts(node)
        ):
            units.extend(_ast.unparse(statement) for statement in node.body if isinstance(statement, _ast.Assert))
            continue
        units.append(_ast.unparse(node))
    with open(out_path, "w") as out:
        _json.dump(units, out)
