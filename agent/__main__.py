"""The instance's command, the entry of the zipapp efsync_agent.pyz: python3 efsync_agent.pyz JOB.json [--mounted DIR].

The SSM command downloads the zipapp, checks its sha256 and runs it (src/remote/instance/ssm.ts); run.main does the work."""
import os
import sys

from efsync_agent.run import main

if __name__ == '__main__':
    if sys.getfilesystemencoding().lower() not in ('utf-8', 'utf8'):
        # Paths come as UTF-8 in the job: make the file system encoding agree, whatever locale SSM runs us in.
        os.execv(sys.executable, [sys.executable, '-X', 'utf8'] + sys.argv)
    sys.stdout.reconfigure(errors='backslashreplace')
    sys.exit(main(sys.argv[1:]))
