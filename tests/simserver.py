"""aifb-llmsim for the tests: started on a free loopback port with the given options, ready once
it prints its listening line, stopped with SIGTERM (and checked to exit 0, so a sanitizer report
at exit fails the test)."""

import os
import re
import subprocess
import threading
import time

from aifbtest import BIN


class LLMSim:
    def __init__(self, *args, bin_dir=BIN):
        self.args = [os.path.join(bin_dir, "aifb-llmsim"), "--listen", "127.0.0.1:0"] + [str(a) for a in args]
        self.proc = None
        self.url = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        self.early = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.early.append(line)
            m = re.search(r"listening on (\S+):(\d+)", line)
            if m:
                self.url = f"http://{m.group(1)}:{m.group(2)}"
                # Keep reading its log so a full pipe never blocks it.
                self.reader = threading.Thread(target=lambda: self.early.extend(self.proc.stderr), daemon=True)
                self.reader.start()
                return self
        self.proc.kill()
        raise RuntimeError("aifb-llmsim did not start: " + "".join(self.early))

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=5)
        self.stderr = "".join(self.early)
        if exc[0] is None:
            assert self.proc.returncode == 0, "aifb-llmsim exited %s: %s" % (self.proc.returncode, self.stderr[-3000:])
        return False
