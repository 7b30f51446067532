"""nhi-platform CrossGuard rules. Distinctive package name: `policy/` is the import root when Pulumi runs the pack."""
