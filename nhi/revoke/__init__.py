"""`nhi revoke`: the kill switch for one identity, recorded in the stack file (docs/audit.md)."""
