"""Personal data: which columns hold it, and how the charter's policy transforms them.

A library used by ingest (which applies the policy as it loads) and by the privacy
stage (which reports, proposes and audits); it is not a stage itself.
"""

from atelier.personal._detect import Finding, classify, mask, scan_relation
from atelier.personal._kinds import KINDS
from atelier.personal._names import redact

__all__ = ["KINDS", "Finding", "classify", "mask", "redact", "scan_relation"]
