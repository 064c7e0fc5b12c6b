"""stack_model.py (the local inventory and a compile helper) is imported by the tests beside it."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
