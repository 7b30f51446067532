"""`nhi rollout`: the common blue-green moves as edits of a stack file (release, promote, rollback) and the
status of every workload's slots. Edits keep the file's comments and formatting byte for byte, and the
edited file is validated by `settings` (and the rollout transition rule) before it is written."""
