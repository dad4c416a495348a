"""Where the shared contract and the reference data live (``shared/`` beside the checkout)."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
SPEC_DIR = SHARED / "spec"
REFERENCE_DIR = SHARED / "reference"
