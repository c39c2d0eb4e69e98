"""Remediation that can be proven: plans (一口一策), the three-step sign-off (销号) with its
documents, and public progress against the yearly targets."""
