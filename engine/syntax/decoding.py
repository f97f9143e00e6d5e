"""Decoder forms of the plan grammar (GBNF, llguidance Lark, xgrammar EBNF), generated from grammar/plan.lark.

(Being written: see tests/test_decoding.py.)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DecodingGrammar:
    """One start symbol of the plan grammar in each constrained-decoding dialect."""

    name: str  # "plan", "revision", "reply"
    gbnf: str  # llama.cpp
    lark: str  # llguidance (vLLM's guidance backend)
    ebnf: str  # xgrammar (vLLM's default structured-output backend)
