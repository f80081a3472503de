"""What a circuit costs to run, counted without running it (Aer workers only).

Two counts, both stopping as soon as they pass the limit
(:class:`~fake_backends.limits.WorkLimits`):

- :func:`qasm3_definitions_cost` reads OpenQASM 3 *source* and costs its gate calls
  with definitions expanded, before the circuit is imported: qiskit's importer expands
  every definition at every call (measured: eight levels of eight calls, 515 bytes,
  took 69 s to import), so the check must come first;
- :func:`expanded_operations` costs an imported circuit: every gate definition and
  loop body expanded (a loop's body once per iteration). ``while`` loops cannot be
  costed and are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fake_backends.errors import CircuitRejected

__all__ = ["expanded_operations", "qasm3_definitions_cost"]

_NEEDS_COSTING = re.compile(r"\b(gate|for|while)\b")


def qasm3_definitions_cost(source: str, limit: int) -> int:
    """Operations of the program's gate calls with user definitions expanded.

    Loops with literal bounds multiply their body; other statements count nothing (the
    imported circuit is costed again by :func:`expanded_operations`). Source without
    ``gate``, ``for`` or ``while`` costs 0 without being parsed here.
    """
    if not _NEEDS_COSTING.search(source):
        return 0
    import openqasm3
    from openqasm3 import ast

    try:
        program = openqasm3.parse(source)
    except Exception:  # a syntax error: the importer says what is wrong
        return 0
    defined: dict[str, int] = {}

    def block(statements: Iterable[Any]) -> int:
        total = 0
        for st in statements:
            total += statement(st)
            if total > limit:
                break
        return total

    def statement(st: Any) -> int:
        if isinstance(st, ast.QuantumGateDefinition):
            defined[st.name.name] = max(1, block(st.body))
            return 0
        if isinstance(st, ast.QuantumGate):
            return defined.get(st.name.name, 1) * _power(st.modifiers)
        if isinstance(st, ast.ForInLoop):
            return _iterations(st.set_declaration) * block(st.block)
        if isinstance(st, ast.WhileLoop):
            return block(st.block)
        if isinstance(st, ast.BranchingStatement):
            return block(st.if_block) + block(st.else_block)
        if isinstance(st, ast.Box):
            return block(st.body)
        return 0

    return block(program.statements)


def _literal(expr: Any) -> int | None:
    from openqasm3 import ast

    if isinstance(expr, ast.IntegerLiteral):
        return int(expr.value)
    if isinstance(expr, ast.UnaryExpression) and expr.op.name == "-":
        inner = _literal(expr.expression)
        return None if inner is None else -inner
    return None


def _iterations(declaration: Any) -> int:
    from openqasm3 import ast

    if isinstance(declaration, ast.DiscreteSet):
        return len(declaration.values)
    if isinstance(declaration, ast.RangeDefinition):
        start, end = _literal(declaration.start), _literal(declaration.end)
        step = 1 if declaration.step is None else _literal(declaration.step)
        if start is None or end is None or not step:
            return 1  # not literal: costed after import
        return max(0, (end - start) // step + 1)
    return 1


def _power(modifiers: Iterable[Any]) -> int:
    times = 1
    for m in modifiers:
        if m.modifier.name == "pow" and (k := _literal(m.argument)) is not None:
            times *= max(1, abs(k))
    return times


def expanded_operations(circuit: Any, limit: int) -> int:
    """Operations ``circuit`` costs with every gate definition and loop body expanded.

    Counted without expanding anything (a loop's body counts once per iteration), and
    the count stops as soon as it passes ``limit``. ``while`` loops cannot be costed
    and are refused (:class:`CircuitRejected`).
    """
    from qiskit.circuit import ControlFlowOp, ForLoopOp, WhileLoopOp
    from qiskit.circuit.library import get_standard_gate_name_mapping

    standard = get_standard_gate_name_mapping()
    known: dict[tuple[str, int], int] = {}

    def cost(circ: Any) -> int:
        total = 0
        for inst in circ.data:
            total += op_cost(inst.operation)
            if total > limit:
                break
        return total

    def op_cost(op: Any) -> int:
        if isinstance(op, WhileLoopOp):
            raise CircuitRejected("while loops are not supported (their cost has no bound)")
        if isinstance(op, ForLoopOp):
            indexset, _, body = op.params
            return len(indexset) * max(1, cost(body))
        if isinstance(op, ControlFlowOp):
            return 1 + sum(cost(block) for block in op.blocks)
        if op.name in standard:
            return 1
        key = (op.name, op.num_qubits)
        if key not in known:
            known[key] = max(1, cost(definition)) if (definition := _definition(op)) else 1
        return known[key]

    return cost(circuit)


def _definition(op: Any) -> Any:
    try:
        return op.definition  # one level, built on demand for some gates (qasm2)
    except Exception:  # an opaque gate: costs one
        return None
