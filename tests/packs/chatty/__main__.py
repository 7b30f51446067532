"""A pack that prints something other than its port first."""

print("Loading rules...")
