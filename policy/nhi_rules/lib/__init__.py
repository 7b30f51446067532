"""Shared helpers for the rules: tolerant property access, rule builders, exemptions, IAM and Kubernetes models."""
