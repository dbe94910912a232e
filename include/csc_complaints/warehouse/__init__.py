"""The statistics warehouse: staging, dimensions, facts and the public ``stats_*`` tables."""
