"""Stand-in for the get-pip bootstrap script that ansible-test downloads into ~/.ansible/test/cache.

ansible-test creates each sanity test's virtual environment without pip and then runs its cached
``get_pip_<version>.py`` with pip's install arguments. CI reaches only the package registries, so
scripts/sanity.sh puts this file there instead: it installs pip from the Python standard library
(ensurepip, no network) and then lets that pip install the requested packages from the package index.
"""

import os
import shutil
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}   # get-pip.py options that pip itself does not know

# pip settings captured by scripts/sanity.sh (ansible-test hands pip a scrubbed environment)
conf = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip.conf")
if os.path.exists(conf):
    shutil.copyfile(conf, os.path.join(sys.prefix, "pip.conf"))
# in a child process: ensurepip.bootstrap() points PIP_CONFIG_FILE at /dev/null in its own environment
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
if args and args[0] != "install":
    args.insert(0, "install")
sys.exit(subprocess.call([sys.executable, "-m", "pip"] + args))
