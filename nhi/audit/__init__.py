"""`nhi audit`: the live account compared with what a stack declares (the preflight's capture of the program)."""
