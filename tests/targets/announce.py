# -*- coding: utf-8 -*-
"""The handshake of the simple targets (churn.py, execs.py): write the truth
file ({"pid", "file"}), then "ready\\n" to READY, a descriptor number (a pipe
inherited from the test) or a path.  Python 2.7 - 3.13 compatible."""
import json
import os


def announce(truth, ready, script):
    with open(truth, "w") as f:
        json.dump({"pid": os.getpid(), "file": os.path.abspath(script)}, f)
    if ready.isdigit():
        os.write(int(ready), b"ready\n")
        os.close(int(ready))
    else:
        with open(ready, "w") as f:
            f.write("ready\n")
