"""The council's operational case-management database: schema, reference dataset, generator."""
