# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip.py that ansible-test downloads to bootstrap pip.

ansible-test runs this file (from ~/.ansible/test/cache/get_pip_<version>.py) inside a fresh
virtual environment with pip's own arguments, for example
``--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel``.
The Makefile copies it there only when no downloaded copy is cached, so machines with
internet keep the upstream script.
"""

import ensurepip
import os
import subprocess
import sys

# get-pip.py options that `pip install` does not know.
GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def main():
    ensurepip.bootstrap(upgrade=True)
    # ensurepip points PIP_CONFIG_FILE at os.devnull while it runs and leaves it set; without
    # removing it pip ignores the machine's configured package index.
    os.environ.pop("PIP_CONFIG_FILE", None)
    pip_args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    return subprocess.call([sys.executable, "-m", "pip", "install"] + pip_args)


if __name__ == "__main__":
    sys.exit(main())
