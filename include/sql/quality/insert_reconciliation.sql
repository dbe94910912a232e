-- A year's reconciliation: the run, the time and the fingerprints of the stats and the rejected
-- rows it checked. The alert step sets reported_at once it has dealt with the result.
INSERT INTO dq_reconciliations (council_code, financial_year, stats_fingerprint,
                                rejects_fingerprint, run_id, reconciled_at, data_docs,
                                reported_at)
VALUES (:council_code, :financial_year, :stats_fingerprint, :rejects_fingerprint, :run_id,
        :reconciled_at, :data_docs, NULL)
