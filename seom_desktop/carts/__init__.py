"""Cart connectors: one module per platform behind one interface, and what each can do."""
