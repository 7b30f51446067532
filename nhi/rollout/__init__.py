"""`nhi rollout`: the common blue-green moves as edits of a stack file (release, promote, rollback) and the
status of every workload's slots. Edits keep the file's comments and formatting byte for byte, the edited file
is validated by `settings` (and the rollout transition rule) before it is written, and edits of one file apply
one at a time (nhi.rollout.file_edit)."""
