"""Writes of the approvals app: the catalogue, the ingestion of records from the service halls'
systems, the signals (预警纠错) and their correction. Each module holds one of them."""
