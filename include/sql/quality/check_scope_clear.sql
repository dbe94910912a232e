-- The incremental row check's scope (dq_check_scope) of a council, emptied before it is filled.
DELETE FROM dq_check_scope WHERE council_code = :council_code
