"""Process-wide emulator state shared by the WSGI app, the Batch backend and the job scheduler."""

from emulator.controls import Controls

controls = Controls()
"""The live controls; the server replaces its values from the command line and /_emulator/config."""

endpoint = None
"""The URL the emulator serves on (given to job processes as AWS_ENDPOINT_URL)."""
