"""The outfall registry: outfalls, approvals, remediation, monitoring, QR landing."""
