"""The privacy stage: personal data found and handled, anonymity, the GDPR's documents' facts."""

from atelier.privacy._stage import POLICY_FILE, STAGE, PrivacyResult, privacy

__all__ = ["POLICY_FILE", "STAGE", "PrivacyResult", "privacy"]
