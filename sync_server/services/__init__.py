"""What the API does, one module per area; routes only translate HTTP to these calls."""
