"""A pack that fails at import, before it can print its port (a broken dependency, a syntax error...)."""

raise ImportError("No module named 'nhi_rules_that_do_not_exist'")
