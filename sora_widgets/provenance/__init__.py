"""Provenance: visible and invisible marks, fingerprints, C2PA signing, the registry and the checker (issue 16)."""
