-- The year's final report was published: from now on RC07 watches its figures.
INSERT INTO dq_published_years (council_code, financial_year, figures, published_at, run_id)
VALUES (:council_code, :financial_year, :figures, :published_at, :run_id)
