"""The DynamoDB data layer: one module per access pattern, all keys from mostread.keys."""
