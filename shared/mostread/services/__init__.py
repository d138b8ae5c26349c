"""What the service does, one module per job; handlers call these, these call mostread.dal."""
