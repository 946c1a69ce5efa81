"""Child identity matching: which agencies' records describe the same child.

Library code with no Django dependency beyond the shared standardisation rules; see
docs/child-index.md ("Identity matching") and benchmarks/child_matching.py.
"""
