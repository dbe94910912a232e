-- A rejected row that no longer breaks its rule (corrected in the source): it loads again.
DELETE FROM dq_rejects
WHERE council_code = :council_code AND rule_code = :rule_code
  AND source_table = :source_table AND source_key = :source_key
