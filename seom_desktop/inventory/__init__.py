"""The inventory domain: every QOH change, the ledger and the web-stack fan-out."""
