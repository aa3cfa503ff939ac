"""litmus mutants for Python: the simple operator, constant and return-value mutations of a module's source, one
per site.

Run in the sandbox like any other cell (it only parses the code under test; it never runs it).
"""

import ast as _ast
import copy as _copy
import json as _json

_BINARY = {
    _ast.Add: _ast.Sub, _ast.Sub: _ast.Add, _ast.Mult: _ast.Add, _ast.Div: _ast.Mult,
    _ast.FloorDiv: _ast.Mult, _ast.Mod: _ast.FloorDiv, _ast.Pow: _ast.Mult,
}
_COMPARE = {
    _ast.Lt: _ast.LtE, _ast.LtE: _ast.Lt, _ast.Gt: _ast.GtE, _ast.GtE: _ast.Gt, _ast.Eq: _ast.NotEq,
    _ast.NotEq: _ast.Eq, _ast.Is: _ast.IsNot, _ast.IsNot: _ast.Is, _ast.In: _ast.NotIn, _ast.NotIn: _ast.In,
}
_BOOLEAN = {_ast.And: _ast.Or, _ast.Or: _ast.And}


class _Mutator(_ast.NodeTransformer):
    """Visits every mutation site in order; mutates site `target` (or none, when counting)."""

    def __init__(self, target=None):
        self.target = target
        self.sites = []

    def _site(self, node, mutate):
        index = len(self.sites)
        mutated = mutate()
        # Described from the node as it is: the mutation is applied only at `target`, the tree stays intact.
        self.sites.append((node.lineno, node.col_offset, "%s -> %s" % (_ast.unparse(node), _ast.unparse(mutated))))
        return mutated if index == self.target else node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        swap = _BINARY.get(type(node.op))
        if swap is None:
            return node
        return self._site(node, lambda: _ast.BinOp(left=node.left, op=swap(), right=node.right))

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        swap = _BINARY.get(type(node.op))
        if swap is None:
            return node
        return self._site(node, lambda: _ast.AugAssign(target=node.target, op=swap(), value=node.value))

    def visit_Compare(self, node):
        self.generic_visit(node)
        swap = _COMPARE.get(type(node.ops[0]))
        if swap is None:
            return node
        return self._site(node, lambda: _ast.Compare(left=node.left, ops=[swap()] + node.ops[1:], comparators=node.comparators))

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        return self._site(node, lambda: _ast.BoolOp(op=_BOOLEAN[type(node.op)](), values=node.values))

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if not isinstance(node.op, _ast.Not):
            return node
        return self._site(node, lambda: node.operand)

    def visit_Return(self, node):
        self.generic_visit(node)
        if node.value is None or (isinstance(node.value, _ast.Constant) and node.value.value is None):
            return node
        return self._site(node, lambda: _ast.Return(value=_ast.Constant(None)))

    def visit_Expr(self, node):
        # A docstring (or any bare string statement) changes nothing a test can see.
        if isinstance(node.value, _ast.Constant) and isinstance(node.value.value, str):
            return node
        return self.generic_visit(node)

    def visit_Constant(self, node):
        value = node.value
        if isinstance(value, bool):
            return self._site(node, lambda: _ast.Constant(not value))
        if isinstance(value, int):
            return self._site(node, lambda: _ast.Constant(value + 1))
        if isinstance(value, str) and value:
            return self._site(node, lambda: _ast.Constant(""))
        return node


def _litmus_mutants(source, chosen, out_path):
    """Writes the mutation sites (line, column, description) to `out_path` as JSON; with `chosen` (site indexes),
    the mutants of those sites with their whole sources. A file, not stdout: sources of a large module times many
    sites outgrow what an execution's output keeps."""
    tree = _ast.parse(source)
    counter = _Mutator()
    counter.visit(_copy.deepcopy(tree))
    sites = [{"line": line, "column": column + 1, "description": description} for line, column, description in counter.sites]
    if chosen is not None:
        mutants = []
        for index in chosen:
            mutated = _ast.fix_missing_locations(_Mutator(index).visit(_copy.deepcopy(tree)))
            mutants.append(dict(sites[index], source=_ast.unparse(mutated) + "\n"))
        sites = mutants
    with open(out_path, "w") as out:
        _json.dump(sites, out)
